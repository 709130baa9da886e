#include "node/health.h"

namespace cairn::node {

Health::Readiness Health::Ready() const {
  if (halted()) return {false, "halted: a ledger write failed"};
  if (syncing_.load(std::memory_order_relaxed)) return {false, "syncing"};
  const uint64_t height = committed_height_.load(std::memory_order_relaxed);
  const uint64_t best = best_peer_height();
  if (best > height + policy_.max_lag_blocks) {
    return {false, "behind: height " + std::to_string(height) + ", peers at " + std::to_string(best)};
  }
  if (policy_.validator && !in_current_set_.load(std::memory_order_relaxed)) {
    return {false, "not in the current validator set"};
  }
  return {true, ""};
}

}  // namespace cairn::node
