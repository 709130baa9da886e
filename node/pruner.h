// Retention (issue 19): prunes the ledger's old block bodies, receipts and indexes and
// its old state versions on a thread of its own, in bounded steps (ledger/pruning.cc),
// so that no commit or vote waits for it.
//
// The prune point is the lowest of its terms, each reported (GetStatus, cairn status),
// so "why is it not pruning?" has an answer:
//  - the window: the last keep_blocks blocks, or those of the last keep_days days by
//    block time (the larger of the two when both are set); neither set: keep all;
//  - the state sync floor: a joining node that restores a state this node offered
//    fetches the bodies of the blocks before it that leader reputation reads, so the
//    oldest target offered recently, less that window, is kept.
// State versions: the last keep_state_versions, never below the oldest target offered.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "cairn/v1/api.pb.h"
#include "ledger/ledger.h"

namespace cairn::node {

struct RetentionPolicy {
  uint64_t keep_blocks = 0;
  uint64_t keep_days = 0;
  uint64_t keep_state_versions = 0;  // 0: every version
  bool prunes() const { return keep_blocks > 0 || keep_days > 0 || keep_state_versions > 0; }
};

// The heights below which each term would prune block bodies; the ledger's own marks
// (Ledger::retained_from, oldest_state_version) say how far it got.
struct PrunePoint {
  uint64_t window = 0;                       // the policy alone (0: keeps all)
  std::optional<uint64_t> state_sync_floor;  // none while no offered target is in use
  uint64_t effective = 0;                    // the lowest of the terms
};

class Pruner {
 public:
  // `oldest_offered_target` is the lowest state sync target this node offered that a
  // joining node may still be restoring (StateServer::OldestTargetInUse); `reputation_window` the
  // blocks before a target that a joining node fetches with it. From the pruner's
  // thread; `now_ms` the wall clock for keep_days.
  Pruner(ledger::Ledger& ledger, RetentionPolicy policy, std::function<std::optional<uint64_t>()> oldest_offered_target,
         uint64_t reputation_window, std::function<uint64_t()> now_ms);
  ~Pruner();  // Stop()

  void Start();
  void Stop();  // idempotent; a step under way finishes first
  // The terms as last computed.
  PrunePoint point() const;
  // The policy and the terms, for GetStatus and `cairn status`.
  v1::RetentionStatus Report() const;
  // Runs steps until nothing is left to prune below the point (tests).
  Status PruneNow();

 private:
  void Run();
  // One bounded step of each kind; how many heights and versions it pruned.
  Result<uint64_t> Step();
  PrunePoint Compute() const;
  // How many pruned heights or versions wait for a compaction (Ledger::CompactPruned):
  // a quarter of the window, and at least kMinBetweenCompactions apart. A compaction
  // flushes the memtable and rewrites the indexes whole: at a fast chain's 150 blocks a
  // second, a sixteenth of a 1,000-block window was several compactions a second a node.
  // Deleted space waits at most a quarter window's worth (or 30 s) to be reclaimed.
  uint64_t CompactEvery(const PrunePoint& p) const;
  // The lowest height whose block time is within the last keep_days days.
  uint64_t FirstHeightWithin(uint64_t days) const;

  // A step of full blocks deletes about 2,000 records a block: small enough that the
  // commit that waits for the store behind it hardly notices.
  static constexpr uint64_t kBlocksPerStep = 8;
  static constexpr uint64_t kVersionsPerStep = 16;
  static constexpr std::chrono::seconds kMinBetweenCompactions{30};

  ledger::Ledger& ledger_;
  const RetentionPolicy policy_;
  const std::function<std::optional<uint64_t>()> oldest_offered_target_;
  const uint64_t reputation_window_;
  const std::function<uint64_t()> now_ms_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  PrunePoint point_;
  std::chrono::steady_clock::time_point last_compaction_;  // the pruner's thread only
  std::thread thread_;
};

}  // namespace cairn::node
