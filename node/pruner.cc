#include "node/pruner.h"

#include <algorithm>
#include <chrono>
#include <limits>

#include "node/log.h"

namespace cairn::node {
namespace {

constexpr uint64_t kNone = std::numeric_limits<uint64_t>::max();
constexpr auto kIdle = std::chrono::seconds(1);
constexpr auto kBetweenSteps = std::chrono::milliseconds(5);

}  // namespace

Pruner::Pruner(ledger::Ledger& ledger, RetentionPolicy policy,
               std::function<std::optional<uint64_t>()> oldest_offered_target,
               uint64_t reputation_window, std::function<uint64_t()> now_ms)
    : ledger_(ledger),
      policy_(policy),
      oldest_offered_target_(std::move(oldest_offered_target)),
      reputation_window_(reputation_window),
      now_ms_(std::move(now_ms)) {}

Pruner::~Pruner() { Stop(); }

void Pruner::Start() {
  if (!policy_.prunes()) return;
  thread_ = std::thread([this] { Run(); });
}

void Pruner::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

PrunePoint Pruner::point() const {
  std::lock_guard lock(mu_);
  return point_;
}

v1::RetentionStatus Pruner::Report() const {
  const PrunePoint p = point();
  v1::RetentionStatus out;
  out.set_keep_blocks(policy_.keep_blocks);
  out.set_keep_days(static_cast<uint32_t>(policy_.keep_days));
  out.set_keep_state_versions(policy_.keep_state_versions);
  out.set_window_below(p.window);
  if (p.state_sync_floor) out.set_state_sync_floor(*p.state_sync_floor);
  out.set_prune_point(p.effective);
  // Read now, not as last computed: a node that does not prune has no step to compute.
  out.set_retained_from(ledger_.retained_from());
  out.set_oldest_state_version(ledger_.oldest_state_version());
  return out;
}

uint64_t Pruner::FirstHeightWithin(uint64_t days) const {
  const uint64_t now = now_ms_();
  const uint64_t span = days * 86'400'000;
  const uint64_t since = now > span ? now - span : 0;
  // Block times only roughly grow (each is its proposer's clock): the search finds a
  // height whose time is within the days and whose predecessor's is not, which keeps
  // at least the blocks of the last D days by any clock that agrees with the chain's.
  uint64_t low = ledger_.retained_from(), high = ledger_.height();
  while (low < high) {
    const uint64_t mid = low + (high - low) / 2;
    auto header = ledger_.GetBlockHeader(mid);
    if (!header.ok() || header->header.timestamp_ms() >= since) {
      high = mid;
    } else {
      low = mid + 1;
    }
  }
  return low;
}

PrunePoint Pruner::Compute() const {
  PrunePoint p;
  const uint64_t head = ledger_.height();
  if (policy_.keep_blocks > 0 || policy_.keep_days > 0) {
    const uint64_t by_blocks = policy_.keep_blocks > 0 && head > policy_.keep_blocks ? head - policy_.keep_blocks : 0;
    const uint64_t by_days = policy_.keep_days > 0 ? FirstHeightWithin(policy_.keep_days) : kNone;
    // Both set: keep what either keeps.
    p.window = policy_.keep_blocks > 0 ? std::min(by_blocks, by_days) : by_days;
  }
  if (const auto target = oldest_offered_target_()) {
    p.state_sync_floor = *target > reputation_window_ ? *target - reputation_window_ : 0;
  }
  p.effective = std::min(p.window, p.state_sync_floor.value_or(kNone));
  return p;
}

Result<uint64_t> Pruner::Step() {
  const PrunePoint p = Compute();
  {
    std::lock_guard lock(mu_);
    point_ = p;
  }
  uint64_t done = 0;
  if (p.effective > ledger_.retained_from()) {
    CAIRN_ASSIGN_OR_RETURN(done, ledger_.PruneBlocks(p.effective, kBlocksPerStep));
  }
  if (policy_.keep_state_versions > 0) {
    const uint64_t head = ledger_.height();
    uint64_t keep_from = head > policy_.keep_state_versions ? head - policy_.keep_state_versions : 0;
    keep_from = std::min(keep_from, oldest_offered_target_().value_or(kNone));
    CAIRN_ASSIGN_OR_RETURN(uint64_t versions, ledger_.PruneStateVersions(keep_from, kVersionsPerStep));
    done += versions;
  }
  const auto now = std::chrono::steady_clock::now();
  if (now - last_compaction_ >= kMinBetweenCompactions) {
    CAIRN_ASSIGN_OR_RETURN(bool compacted, ledger_.CompactPruned(CompactEvery(p)));
    if (compacted) last_compaction_ = now;
  }
  return done;
}

uint64_t Pruner::CompactEvery(const PrunePoint& p) const {
  const uint64_t head = ledger_.height();
  uint64_t window = head - std::min(head, p.effective);
  if (policy_.keep_state_versions > 0) window = std::min(window, policy_.keep_state_versions);
  return std::clamp<uint64_t>(window / 4, 64, 65536);
}

Status Pruner::PruneNow() {
  for (;;) {
    CAIRN_ASSIGN_OR_RETURN(uint64_t done, Step());
    if (done == 0) return Status::Ok();
  }
}

void Pruner::Run() {
  for (;;) {
    auto done = Step();
    if (!done.ok()) LogWarn("ledger", "pruning paused: " + done.status().ToString());
    // Between steps a short pause leaves the store to commits; caught up, a longer one.
    const auto pause = done.ok() && *done > 0 ? kBetweenSteps : kIdle;
    std::unique_lock lock(mu_);
    if (wake_.wait_for(lock, pause, [this] { return stopping_; })) return;
  }
}

}  // namespace cairn::node
