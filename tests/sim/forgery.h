// Forged certificates, made as a Byzantine validator can make them: from real signatures
// it has seen (too few of them, or put on another statement), its own signature, and
// garbage. Each kind is refused by one check of consensus::VerifyQc / VerifyTc, so a
// simulator run in which forgers send them exercises every one of those checks, and one
// in which a check is broken (--break qc-quorum ...) shows what the forgery then does.
#pragma once

#include <cstdint>
#include <map>
#include <utility>

#include "cairn/v1/consensus.pb.h"
#include "consensus/certificates.h"
#include "crypto/ed25519.h"

namespace cairn::sim {

enum class Forgery {
  kUndersized,    // real signatures, one short of a quorum (a TC: the forger's alone)
  kBadSignature,  // a quorum of signers, some of whose signatures are garbage
  kWrongEpoch,    // the statement of the next epoch
  kWrongBlock,    // real signatures on another statement: a QC's block hash swapped, a
                  // TC's reported high_qc_rounds lowered to 0
};
constexpr int kForgeryKinds = 4;
const char* ForgeryName(Forgery kind);

// The signatures a forger has received: votes by block, timeouts by round.
struct SeenSignatures {
  std::map<Bytes, std::map<uint32_t, Bytes>> votes;  // block hash -> voter -> signature
  std::map<uint64_t, std::map<uint32_t, std::pair<uint64_t, Bytes>>> timeouts;  // round -> signer -> (high_qc_round, signature)
  void Record(const v1::ConsensusMessage& message);
};

// `validator`'s vote for `block`, signed as a replica signs it.
v1::Vote SignedVote(const consensus::Context& context, const crypto::PrivateKey& key, uint32_t validator,
                    const v1::Block& block);

// A certificate of `block` (the statement its voters sign) forged by `kind`; `other` is
// the block hash a kWrongBlock certificate names instead.
v1::QuorumCertificate ForgeQc(const consensus::Context& context, const crypto::PrivateKey& key, uint32_t self,
                              const v1::Block& block, const SeenSignatures& seen, Forgery kind, const Bytes& other);

// A timeout certificate of `round` forged by `kind`, every reported high_qc_round 0 (so
// that the lock lets any block through if it is taken).
v1::TimeoutCertificate ForgeTc(const consensus::Context& context, const crypto::PrivateKey& key, uint32_t self,
                               uint64_t round, const SeenSignatures& seen, Forgery kind);

}  // namespace cairn::sim
