#include "consensus/safety_rules.h"

#include <algorithm>

#include "consensus/certificates.h"

namespace cairn::consensus {

bool SafetyRules::SafeToVote(uint64_t block_round, uint64_t qc_round,
                             const v1::TimeoutCertificate* tc) const {
  // Vote at most once per round, and only forward: two votes in one round are what
  // lets a faulty leader get two conflicting blocks certified.
  if (!IsBroken(Rule::kVoteOncePerRound) && block_round <= record_.highest_voted_round()) return false;
  // A block's round is above its parent's certificate round (a block cannot extend the
  // future).
  if (block_round <= qc_round) return false;
  if (IsBroken(Rule::kLock)) return true;
  // Extending the certificate of the round just before: the happy path. Nothing can have
  // committed in between, since no round lies in between.
  if (block_round == qc_round + 1) return true;
  // Otherwise the previous round must have ended in a timeout certificate, and the block
  // must extend a certificate at least as high as every signer's highest certificate.
  // A block that committed had a certificate of 2f+1 voters whose highest_qc_round is at
  // least its round; f+1 of them are honest and in any 2f+1 timeouts, so the TC's
  // maximum covers it and the new block extends the committed one.
  return tc != nullptr && block_round == tc->round() + 1 &&
         (IsBroken(Rule::kTcHighestCertificate) || qc_round >= MaxHighQcRound(*tc));
}

void SafetyRules::RecordVote(uint64_t block_round, uint64_t qc_round) {
  record_.set_highest_voted_round(std::max(record_.highest_voted_round(), block_round));
  record_.set_highest_qc_round(std::max(record_.highest_qc_round(), qc_round));
}

bool SafetyRules::SafeToTimeout(uint64_t round, uint64_t qc_round,
                                const v1::TimeoutCertificate* tc) const {
  // The timeout carries our highest certificate: it must not be older than one we
  // extended, or a TC built from it could justify skipping a block that committed.
  if (qc_round < record_.highest_qc_round()) return false;
  // Never time out in a round below one we voted in (a TC for it could undo our vote),
  // and a round is above its certificate.
  if (round + 1 <= record_.highest_voted_round() || round <= qc_round) return false;
  // We must have entered the round legitimately: through a certificate of the previous
  // round or a timeout certificate of it.
  return round == qc_round + 1 || (tc != nullptr && round == tc->round() + 1);
}

void SafetyRules::RecordTimeout(uint64_t round) {
  // After timing out in a round, never vote in it.
  if (!IsBroken(Rule::kNoVoteAfterTimeout)) record_.set_highest_voted_round(std::max(record_.highest_voted_round(), round));
  record_.set_highest_timeout_round(std::max(record_.highest_timeout_round(), round));
}

void SafetyRules::RecordProposal(uint64_t round) {
  record_.set_highest_proposed_round(std::max(record_.highest_proposed_round(), round));
}

void SafetyRules::RecordHighQc(const v1::QuorumCertificate& qc) {
  if (qc.round() > record_.high_qc().round() || !record_.has_high_qc()) *record_.mutable_high_qc() = qc;
}

void SafetyRules::RecordHighestTc(const v1::TimeoutCertificate& tc) {
  if (!record_.has_highest_tc() || tc.round() > record_.highest_tc().round()) *record_.mutable_highest_tc() = tc;
}

}  // namespace cairn::consensus
