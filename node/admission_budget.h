// Admission bounded by what the chain commits. A node that accepts every transaction
// its pool can hold turns overload into waiting: at twice the load it could commit, the
// transactions it acknowledged waited 23 s (p50) and tens of thousands had not
// committed 30 s after the load stopped. Instead a client's transaction is refused,
// with RESOURCE_EXHAUSTED and when to retry, once the transactions already pending here
// would take longer than the latency budget to commit at the best rate this chain has
// committed lately. Gossip from peers is not refused here (a peer already acknowledged it);
// it is bounded by the pool's own limits, and it counts in what is pending. The same
// rate bounds the size of a proposal, so that a round's time stays bounded too.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>

#include "crypto/status.h"

namespace cairn::node {

class AdmissionBudget {
 public:
  using Clock = std::chrono::steady_clock;
  struct Limits {
    // How long an admitted transaction may wait for the ones before it: pending is kept
    // under (commit rate) x budget.
    std::chrono::milliseconds budget{1000};
    // Pending transactions always allowed, whatever the rate: a chain that was idle has
    // no rate yet, and its first burst must get in to make one.
    size_t floor = 2000;
    // The commit rate is the best average over `span` (whole buckets) within the window:
    // what the chain can commit, not what it did in its last pause. The average of the
    // last 5 s shrank the capacity after the 2 s pause of a killed validator and refused
    // 731 to 1,164 clients' transactions while the chain recovered; the best of the
    // window refused none. A span of one bucket was too short: with blocks of 1,500
    // every 430 ms under overload, a second holds two blocks or three, and the best
    // second claimed 1.3x what the chain sustained (and admitted that much more).
    std::chrono::milliseconds window{30'000};
    std::chrono::milliseconds bucket{1000};
    std::chrono::milliseconds span{5000};
    // A proposal carries at most what the chain commits in this long (MaxBlockTxs): a
    // round's time grows with its block, and a 2-chain commit takes about three rounds
    // from admission, so at twice the load the chain could commit, blocks grown to the
    // genesis cap of 5,000 made rounds of 1.1 s and p50 latencies of 5 s for 7% more
    // throughput than blocks of 600.
    std::chrono::milliseconds round_target{250};
    // Transactions a proposal may always carry, whatever the rate (a chain that was idle
    // has none yet).
    size_t block_floor = 500;
  };

  explicit AdmissionBudget(Limits limits) : limits_(limits) {}

  // A commit of `txs` transactions at `now` (the core thread).
  void OnCommitted(size_t txs, Clock::time_point now);
  // Ok when one more transaction may join `pending` others; otherwise RESOURCE_EXHAUSTED
  // saying how full the node is and in how many milliseconds to retry.
  Status Admit(size_t pending, Clock::time_point now) const;
  // The pending transactions allowed now, and the commit rate behind it (tx/s).
  size_t Capacity(Clock::time_point now) const;
  double CommitRate(Clock::time_point now) const;
  // The transactions the next proposal may carry: the commit rate x round_target, at
  // least block_floor (the genesis cap applies on top).
  size_t MaxBlockTxs(Clock::time_point now) const;

 private:
  int64_t BucketOf(Clock::time_point t) const { return t.time_since_epoch() / limits_.bucket; }
  double RateLocked(Clock::time_point now) const;
  size_t CapacityAt(double rate) const;

  const Limits limits_;
  mutable std::mutex mu_;
  mutable std::deque<std::pair<int64_t, size_t>> buckets_;  // (bucket, txs committed in it), oldest first
};

}  // namespace cairn::node
