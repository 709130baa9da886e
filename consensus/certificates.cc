#include "consensus/certificates.h"

#include <algorithm>

namespace cairn::consensus {

#ifdef CAIRN_SIM_BREAKS
namespace {
CertificateCheck broken_check = CertificateCheck::kNone;
}  // namespace
void TEST_BreakCertificateCheck(CertificateCheck check) { broken_check = check; }
#define CAIRN_CHECK_IS_BROKEN(check) (broken_check == CertificateCheck::check)
#else
#define CAIRN_CHECK_IS_BROKEN(check) false
#endif

crypto::VoteStatement StatementOf(const v1::QuorumCertificate& qc) {
  return {.epoch = qc.epoch(), .round = qc.round(), .height = qc.height(),
          .block_hash = qc.block_hash(), .commit_hash = qc.commit_hash()};
}

crypto::VoteStatement StatementOf(const v1::Vote& vote) {
  return {.epoch = vote.epoch(), .round = vote.round(), .height = vote.height(),
          .block_hash = vote.block_hash(), .commit_hash = vote.commit_hash()};
}

Bytes VoteMessage(const Context& context, const crypto::VoteStatement& statement) {
  return crypto::DomainMessage(crypto::Purpose::kVote, context.chain_id, statement.Payload());
}

Bytes TimeoutMessage(const Context& context, uint64_t round, uint64_t high_qc_round) {
  crypto::TimeoutStatement statement{context.committee.epoch(), round, high_qc_round};
  return crypto::DomainMessage(crypto::Purpose::kTimeout, context.chain_id, statement.Payload());
}

Bytes ProposalMessage(const Context& context, const Hash& block_hash) {
  crypto::ProposalStatement statement{ToBytes(block_hash)};
  return crypto::DomainMessage(crypto::Purpose::kProposal, context.chain_id, statement.Payload());
}

bool IsEpochStartQc(const Context& context, const v1::QuorumCertificate& qc) {
  return qc.round() == 0 && qc.epoch() == context.committee.epoch() && qc.height() == context.root_height &&
         qc.signatures().empty() && qc.commit_hash().empty() && qc.block_hash() == AsView(context.root_hash);
}

#ifdef CAIRN_SIM_BREAKS
namespace {
// VerifyQc with one of its checks missing: signers distinct members of the set, and then
// either no count (kQcQuorum) or no signature verification (kQcSignatures).
Status BrokenQuorumCheck(const Context& context, const v1::QuorumCertificate& qc, crypto::SignatureVerifier& verifier) {
  if (!CAIRN_CHECK_IS_BROKEN(kQcQuorum) && static_cast<size_t>(qc.signatures_size()) < context.committee.quorum()) {
    return Status::InvalidArgument("certificate has fewer signatures than a quorum");
  }
  int64_t previous = -1;
  for (const auto& s : qc.signatures()) {
    if (!context.committee.Contains(s.validator_index()) || static_cast<int64_t>(s.validator_index()) <= previous) {
      return Status::InvalidArgument("certificate signers are unknown, repeated or unordered");
    }
    previous = s.validator_index();
    if (!CAIRN_CHECK_IS_BROKEN(kQcSignatures) &&
        !verifier.Verify(context.committee.key(s.validator_index()), VoteMessage(context, StatementOf(qc)), s.signature())) {
      return Status::InvalidArgument("certificate signature is invalid");
    }
  }
  return Status::Ok();
}
}  // namespace
#endif

Status VerifyQc(const Context& context, const v1::QuorumCertificate& qc,
                crypto::SignatureVerifier& verifier) {
  if (IsEpochStartQc(context, qc)) return Status::Ok();
  if (qc.epoch() != context.committee.epoch()) {
    return Status::InvalidArgument("certificate of epoch " + std::to_string(qc.epoch()));
  }
  if (qc.block_hash().size() != 32 || (!qc.commit_hash().empty() && qc.commit_hash().size() != 32)) {
    return Status::InvalidArgument("certificate hashes must be 32 bytes");
  }
  if (qc.round() == 0) return Status::InvalidArgument("only the genesis certificate has round 0");
  std::vector<crypto::SignerSignature> signatures;
  signatures.reserve(qc.signatures_size());
  for (const auto& s : qc.signatures()) signatures.push_back({s.validator_index(), s.signature()});
#ifdef CAIRN_SIM_BREAKS
  if (CAIRN_CHECK_IS_BROKEN(kQcQuorum) || CAIRN_CHECK_IS_BROKEN(kQcSignatures)) return BrokenQuorumCheck(context, qc, verifier);
#endif
  return crypto::VerifyQuorum(VoteMessage(context, StatementOf(qc)), signatures,
                              context.committee.keys(), verifier);
}

Status VerifyTc(const Context& context, const v1::TimeoutCertificate& tc,
                crypto::SignatureVerifier& verifier) {
  const Committee& committee = context.committee;
  if (tc.epoch() != committee.epoch()) {
    return Status::InvalidArgument("timeout certificate of epoch " + std::to_string(tc.epoch()));
  }
  if ((static_cast<size_t>(tc.signatures_size()) < committee.quorum() && !CAIRN_CHECK_IS_BROKEN(kTcQuorum)) ||
      static_cast<size_t>(tc.signatures_size()) > committee.size()) {
    return Status::InvalidArgument("timeout certificate has " + std::to_string(tc.signatures_size()) +
                                   " signatures, a quorum is " + std::to_string(committee.quorum()));
  }
  int64_t previous = -1;
  for (const auto& s : tc.signatures()) {
    if (!committee.Contains(s.validator_index()) || static_cast<int64_t>(s.validator_index()) <= previous) {
      return Status::InvalidArgument("timeout certificate signers are unknown, repeated or unordered");
    }
    previous = s.validator_index();
    // A timeout for round r can only carry a certificate of an earlier round.
    if (s.high_qc_round() >= tc.round()) {
      return Status::InvalidArgument("timeout certificate names a high_qc_round not below its round");
    }
    if (!CAIRN_CHECK_IS_BROKEN(kTcSignatures) &&
        !verifier.Verify(committee.key(s.validator_index()), TimeoutMessage(context, tc.round(), s.high_qc_round()),
                         s.signature())) {
      return Status::InvalidArgument("timeout certificate signature of validator " +
                                     std::to_string(s.validator_index()) + " is invalid");
    }
  }
  return Status::Ok();
}

uint64_t ClaimedEpoch(const v1::ConsensusMessage& message) {
  switch (message.kind_case()) {
    case v1::ConsensusMessage::kProposal: {
      v1::BlockHeader header;
      return header.ParseFromString(message.proposal().block().header()) ? header.epoch() : 0;
    }
    case v1::ConsensusMessage::kVote: return message.vote().epoch();
    case v1::ConsensusMessage::kTimeout: return message.timeout().epoch();
    default: return 0;
  }
}

uint64_t MaxHighQcRound(const v1::TimeoutCertificate& tc) {
  uint64_t max = 0;
  for (const auto& s : tc.signatures()) max = std::max(max, s.high_qc_round());
  return max;
}

}  // namespace cairn::consensus
