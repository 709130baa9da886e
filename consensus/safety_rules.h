// The safety rules of the 2-chain protocol (Jolteon / DiemBFT v4): what a replica may
// vote for and when it may time out. With at most f faulty validators, a replica that
// follows these rules never helps certify two conflicting blocks that both commit.
//
// State (persisted in SafetyRecord before any vote or timeout leaves the node):
//   highest_voted_round  the highest round this replica voted or timed out in
//   highest_qc_round     the highest round of a certificate it extended by voting (the
//                        2-chain "lock")
//
// Commit rule (applied by the block tree, stated here with the others): a block B is
// committed when a certificate forms for a block whose parent is B and whose round is
// B's round + 1. Voters state that finalisation in their vote (commit_hash).
#pragma once

#include <cstdint>

#include "cairn/v1/consensus.pb.h"

namespace cairn::consensus {

class SafetyRules {
 public:
  // Rules the simulator can turn off, one at a time, to prove that it catches the
  // resulting forks. Only a build with CAIRN_SIM_BREAKS can turn them off. Besides the
  // rules of this class:
  //  - the replica's (Replica::MaybeVote): the record of a vote is persisted
  //    (kPersistVote), and before the vote leaves (kPersistVoteFirst), so that a crash
  //    cannot make it vote twice;
  //  - the block tree's commit rule (BlockTree::Commit): the certified block's parent
  //    commits (kCommitParent), and only when their rounds are consecutive
  //    (kCommitConsecutive).
  enum class Rule {
    kVoteOncePerRound,
    kLock,
    kTcHighestCertificate,  // after a timeout certificate, extend at least its highest
    kNoVoteAfterTimeout,    // a timeout counts as the round's vote
    kPersistVote,
    kPersistVoteFirst,
    kCommitConsecutive,
    kCommitParent,
  };

  explicit SafetyRules(v1::SafetyRecord record) : record_(std::move(record)) {}
  const v1::SafetyRecord& record() const { return record_; }

  // May this replica vote for a block of `block_round` whose certificate (its parent's)
  // has `qc_round`, entered through `tc` (the previous round's timeout certificate, or
  // null)?
  bool SafeToVote(uint64_t block_round, uint64_t qc_round, const v1::TimeoutCertificate* tc) const;
  // Records a vote that SafeToVote allowed.
  void RecordVote(uint64_t block_round, uint64_t qc_round);

  // May this replica time out in `round`, holding a highest certificate of `qc_round`,
  // having entered `round` through `tc` (or null)?
  bool SafeToTimeout(uint64_t round, uint64_t qc_round, const v1::TimeoutCertificate* tc) const;
  void RecordTimeout(uint64_t round);

  void RecordProposal(uint64_t round);
  bool HasProposedIn(uint64_t round) const { return record_.highest_proposed_round() >= round; }
  void RecordHighQc(const v1::QuorumCertificate& qc);
  void RecordHighestTc(const v1::TimeoutCertificate& tc);
  bool Enforces(Rule rule) const { return !IsBroken(rule); }

#ifdef CAIRN_SIM_BREAKS
  void TEST_Break(Rule rule) { broken_ = rule; broken_set_ = true; }
#endif

 private:
  bool IsBroken(Rule rule) const { return broken_set_ && broken_ == rule; }

  v1::SafetyRecord record_;
  Rule broken_ = Rule::kVoteOncePerRound;
  bool broken_set_ = false;
};

}  // namespace cairn::consensus
