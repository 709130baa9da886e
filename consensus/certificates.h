// Checking and signing the protocol's statements: votes and quorum certificates,
// timeouts and timeout certificates, proposals. Every check here runs before a message
// touches any state (architecture rule 4).
#pragma once

#include <string>

#include "cairn/v1/block.pb.h"
#include "cairn/v1/consensus.pb.h"
#include "consensus/committee.h"
#include "crypto/domain.h"
#include "crypto/verifier.h"

namespace cairn::consensus {

// What a replica of one epoch checks messages against.
struct Context {
  std::string chain_id;
  Committee committee;
  // The epoch's root: the block its first block builds on (the genesis block for epoch
  // 0, the last block of the epoch before otherwise).
  Hash root_hash{};
  uint64_t root_height = 0;
};

crypto::VoteStatement StatementOf(const v1::QuorumCertificate& qc);
crypto::VoteStatement StatementOf(const v1::Vote& vote);
Bytes VoteMessage(const Context& context, const crypto::VoteStatement& statement);
Bytes TimeoutMessage(const Context& context, uint64_t round, uint64_t high_qc_round);
Bytes ProposalMessage(const Context& context, const Hash& block_hash);

// The epoch-start certificate of the epoch's root block: no signatures, round 0. The one
// certificate accepted without a quorum, and only for the root of this epoch (which the
// certificates of the epoch before proved final).
bool IsEpochStartQc(const Context& context, const v1::QuorumCertificate& qc);

// A quorum of distinct validators of the certificate's epoch signed its statement.
Status VerifyQc(const Context& context, const v1::QuorumCertificate& qc,
                crypto::SignatureVerifier& verifier);
// A quorum of distinct validators signed a timeout for the certificate's round, each
// with the high_qc_round it names.
Status VerifyTc(const Context& context, const v1::TimeoutCertificate& tc,
                crypto::SignatureVerifier& verifier);
uint64_t MaxHighQcRound(const v1::TimeoutCertificate& tc);

#ifdef CAIRN_SIM_BREAKS
// Checks the simulator can turn off, to prove that it catches what forged certificates
// then do. Process-wide (the simulator runs one scenario at a time); only a build with
// CAIRN_SIM_BREAKS has this.
enum class CertificateCheck {
  kNone,
  kQcQuorum,      // a certificate with fewer signers than a quorum is taken
  kQcSignatures,  // a certificate's signatures are not verified
  kTcQuorum,
  kTcSignatures,
};
void TEST_BreakCertificateCheck(CertificateCheck check);
#endif

// The epoch a consensus message claims (0 for block requests and responses), read
// before any check: only to notice that the sender has moved to a later epoch.
uint64_t ClaimedEpoch(const v1::ConsensusMessage& message);

}  // namespace cairn::consensus
