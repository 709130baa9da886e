// Who leads a round: a deterministic function of the chain the round's block extends.
//
// Why the chain, and not this replica's committed head: every honest replica that
// extends (or votes on) one block computes the same leader for the next round from it,
// with no extra messages and no dependence on how far each one's commits have got. A
// certified block is unique per round, so in the good case everyone agrees; after a
// timeout, replicas whose highest certificates differ may disagree, which only costs
// that round (leader choice affects liveness, never safety: votes, locks and
// certificates do not depend on it).
//
// Why failures are on chain: a block whose round does not follow its parent's round
// names, in BlockHeader.failed_proposers, the leaders of the rounds in between (as this
// chain elected them). Replicas vote only for a proposal whose list is the one they
// compute, so the record is certified with the block, auditable, and what the next
// rounds' election reads.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "cairn/v1/block.pb.h"
#include "crypto/bytes.h"

namespace cairn::consensus {

// What leader election reads of one block of the chain.
struct ChainRecord {
  uint64_t round = 0;
  uint32_t proposer = 0;
  // The voters of its parent certificate (BlockHeader.parent_signers) and the round
  // they voted in. Only what the block hash covers, so that every copy of a block reads
  // the same.
  uint64_t parent_qc_round = 0;
  std::vector<uint32_t> parent_voters;
  std::vector<uint32_t> failed;  // BlockHeader.failed_proposers

  static ChainRecord Of(const v1::BlockHeader& header, const v1::QuorumCertificate& parent_qc);
};

// The chain a round builds on: its tip (the parent of the round's block) and the tip's
// ancestors of the same epoch, newest first. `tip_round` is 0 when the tip is the
// epoch's root (rounds start again in every epoch).
struct ChainView {
  Hash tip_hash{};
  uint64_t tip_round = 0;
  std::vector<const ChainRecord*> records;  // at most the election's window_blocks()
};

// A validator's standing in leader election on one chain, for operators.
struct LeaderStanding {
  bool candidate = false;
  uint32_t failures = 0;  // charged in the window
  uint64_t last_active_round = 0;
  uint64_t last_proposed_round = 0;
  uint64_t last_failed_round = 0;
};

class LeaderElection {
 public:
  virtual ~LeaderElection() = default;
  // The leader of `round` (> chain.tip_round) for a block that extends chain's tip.
  virtual uint32_t LeaderOf(uint64_t round, const ChainView& chain) = 0;
  // How many blocks of the chain it reads (0: none); the replica keeps that many
  // committed records below its tree.
  virtual size_t window_blocks() const { return 0; }
  // Each validator's standing on `chain`; empty for an election that keeps none.
  virtual std::vector<LeaderStanding> Standings(const ChainView&) const { return {}; }
};

// At most this many rounds before a block's are charged in its failed_proposers: after
// a long outage there is nothing more to learn from older rounds.
constexpr uint64_t kMaxChargedRounds = 64;

// BlockHeader.failed_proposers for a block of `round` on chain's tip: the distinct
// leaders of the rounds tip_round + 1 .. round - 1 (the last kMaxChargedRounds of them),
// in round order.
std::vector<uint32_t> SkippedLeaders(LeaderElection& leaders, uint64_t round, const ChainView& chain);

// Rounds modulo the set's size, whatever the chain: for tests that need a fixed
// schedule, and the genesis option leader_reputation.round_robin.
class RoundRobinLeaders : public LeaderElection {
 public:
  explicit RoundRobinLeaders(size_t validators) : validators_(validators) {}
  uint32_t LeaderOf(uint64_t round, const ChainView&) override { return static_cast<uint32_t>(round % validators_); }

 private:
  size_t validators_;
};

// Leader reputation. Over the window (the last window_blocks blocks of the chain in
// this epoch), each validator has:
//   last_active   the highest round in which it proposed a block of the window or
//                 signed a parent certificate in it;
//   last_failed   the highest round of a block of the window that charged it a failure;
//   failures      how many blocks of the window charged it.
// It is a candidate when it has not failed since it was last active
// (last_failed <= last_active), has fewer than failure_limit failures in the window,
// and was active in the window at all, or the window is not full yet (a new epoch, where
// nothing is known of anyone). Candidates are ordered by the round they last proposed
// in (never first), ties broken by a hash of the tip and the index, which is the seed
// from the chain; the leader of the round right after the tip is the first, and each
// round skipped since the tip passes to the next (a skipped round's leader is the one
// the next block charges). Once every candidate has had a round since the tip and no
// block came (or there is no candidate at all): round-robin over the whole set. Without
// that, a candidate list left holding only faulty validators (the honest ones charged
// while a partition cut them off) would stall the chain for good, since only a new
// block changes the list (found by scripts/soak.sh sim, seed 1006886 with token signers).
//
// What this gives: a validator that stops is charged once, at its first missed round,
// and not elected again while it stays silent (unless every candidate in turn fails to
// make a block); after the last block, an honest leader comes within |candidates| + n
// rounds whatever the faulty validators do; every candidate leads once in every
// |candidates| consecutive successful rounds (least recently proposed first), so no
// validator can be starved or lead twice in a row while others wait; one that comes back
// is a candidate again from the first block whose certificate carries its vote, and
// leads within |candidates| blocks after that, unless it is benched (failure_limit
// failures in the window), then within window_blocks more.
class ReputationLeaders : public LeaderElection {
 public:
  struct Params {
    size_t window_blocks = 0;  // 0: 20 x validators
    uint32_t failure_limit = 2;
  };
  ReputationLeaders(size_t validators, Params params);

  uint32_t LeaderOf(uint64_t round, const ChainView& chain) override;
  size_t window_blocks() const override { return window_blocks_; }

  std::vector<LeaderStanding> Standings(const ChainView& chain) const override;

 private:
  // The candidates in election order, for one tip (cached: every round asks).
  const std::vector<uint32_t>& OrderFor(const ChainView& chain);

  const size_t validators_;
  const size_t window_blocks_;
  const uint32_t failure_limit_;
  struct CacheKey {
    Hash tip;
    uint64_t tip_round;
    size_t records;
    bool operator==(const CacheKey&) const = default;
  };
  static constexpr size_t kCachedTips = 8;
  std::deque<std::pair<CacheKey, std::vector<uint32_t>>> cache_;
};

}  // namespace cairn::consensus
