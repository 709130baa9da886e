#include "tests/cluster/fault_injector.h"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

namespace cairn::cluster {

const char* FaultName(Fault fault) {
  switch (fault) {
    case Fault::kKill: return "kill";
    case Fault::kPause: return "pause";
    case Fault::kIsolate: return "isolate";
    case Fault::kIsolateLeader: return "isolate-leader";
    case Fault::kSplit: return "split";
    case Fault::kDelay: return "delay";
    case Fault::kTruncate: return "truncate";
    case Fault::kClock: return "clock";
  }
  return "?";
}

FaultInjector::FaultInjector(Cluster& cluster, Links& links, uint64_t seed, uint64_t round_timeout_ms)
    : cluster_(cluster), links_(links), rng_(seed), round_timeout_ms_(round_timeout_ms) {}

Fault FaultInjector::Next() {
  if (draws_++ % 2 == 0) return Fault::kKill;
  if (bag_.empty()) {
    bag_ = {Fault::kPause, Fault::kIsolate, Fault::kIsolateLeader, Fault::kSplit, Fault::kTruncate, Fault::kClock};
    if (links_.CanDelay()) bag_.push_back(Fault::kDelay);
    std::shuffle(bag_.begin(), bag_.end(), rng_);
  }
  const Fault next = bag_.back();
  bag_.pop_back();
  return next;
}

std::string FaultInjector::Inject(Fault fault) {
  switch (fault) {
    case Fault::kKill: return Kill();
    case Fault::kPause: return Pause();
    case Fault::kIsolate: return Isolate(AnyValidator());
    case Fault::kIsolateLeader: {
      // Any node that answers knows the round's leader; the first to answer is asked.
      for (int i = 0; i < cluster_.size(); ++i) {
        if (auto state = cluster_.ConsensusState(i)) return "leader of round " + std::to_string(state->round()) +
                                                             ": " + Isolate(static_cast<int>(state->leader()));
      }
      return Isolate(AnyValidator());
    }
    case Fault::kSplit: return Split();
    case Fault::kDelay: return Delay();
    case Fault::kTruncate: return Truncate();
    case Fault::kClock: return ClockStep();
  }
  return "";
}

int FaultInjector::AnyValidator() { return static_cast<int>(rng_() % static_cast<uint64_t>(cluster_.size())); }

void FaultInjector::Hold(uint64_t min_ms, uint64_t max_ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(min_ms + rng_() % (max_ms - min_ms + 1)));
}

std::string FaultInjector::Kill() {
  const int victim = AnyValidator();
  std::string when = "at a random moment";
  if (rng_() % 2 == 0) {
    // Right after a commit, so that the kill often lands while the next block's
    // commit (or the one just seen) is being written.
    const uint64_t seen = cluster_.Height(victim);
    const bool advanced = Cluster::WaitFor([&] { return cluster_.Height(victim) > seen; }, std::chrono::seconds(10));
    when = advanced ? "right after committing height " + std::to_string(seen + 1) : "after waiting 10 s for a commit";
  }
  cluster_.Signal(victim, SIGKILL);
  Hold(500, 3000);
  cluster_.Start(victim);
  return "SIGKILL node " + std::to_string(victim) + " " + when + ", restarted";
}

std::string FaultInjector::Pause() {
  const int victim = AnyValidator();
  cluster_.Signal(victim, SIGSTOP);
  const uint64_t hold_ms = round_timeout_ms_ * 3 / 2 + rng_() % (round_timeout_ms_ * 3 / 2 + 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));
  cluster_.Signal(victim, SIGCONT);
  return "SIGSTOP node " + std::to_string(victim) + " for " + std::to_string(hold_ms) + " ms, SIGCONT";
}

void FaultInjector::HoldStalled(const std::vector<int>& stalled, const std::string& what) {
  std::this_thread::sleep_for(std::chrono::seconds(1));
  // A stalled node may still catch up, from a peer on its side, to blocks the cluster
  // committed before the cut; a block above every node's height at the cut is new.
  uint64_t highest = 0;
  for (int i = 0; i < cluster_.size(); ++i) highest = std::max(highest, cluster_.Height(i));
  Hold(2000, 5000);
  for (int i : stalled) {
    const uint64_t after = cluster_.Height(i);
    if (after > highest && failure_.empty()) {
      failure_ = "node " + std::to_string(i) + " reached height " + std::to_string(after) + ", above the " +
                 std::to_string(highest) + " any node had when it was " + what;
    }
  }
}

std::string FaultInjector::Isolate(int victim) {
  const bool cut = rng_() % 2 == 0;
  links_.Partition({victim}, cut ? LinkCondition::kCut : LinkCondition::kDropped);
  HoldStalled({victim}, "cut off from every other validator");
  links_.HealAll();
  return std::string(cut ? "cut" : "black-holed") + " every link of node " + std::to_string(victim) + ", healed";
}

std::string FaultInjector::Split() {
  const int n = cluster_.size();
  std::vector<int> order(n);
  for (int i = 0; i < n; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng_);
  // n = 4: 2|2, neither side a quorum. Larger n: a side of f (the rest commit) or of
  // f + 1 (no side commits).
  const int f = (n - 1) / 3;
  const int side_size = n == 4 ? 2 : f + static_cast<int>(rng_() % 2);
  std::vector<int> side(order.begin(), order.begin() + side_size);
  links_.Partition(side, LinkCondition::kCut);
  // A side smaller than a quorum (n - f) cannot commit: for n = 4 neither side.
  std::vector<int> stalled;
  if (side_size < n - f) stalled = side;
  if (n - side_size < n - f) stalled.insert(stalled.end(), order.begin() + side_size, order.end());
  HoldStalled(stalled, "split from the others without a quorum");
  links_.HealAll();
  std::string names;
  for (int i : side) names += (names.empty() ? "" : ",") + std::to_string(i);
  return "split {" + names + "} from the other " + std::to_string(n - side_size) + ", healed";
}

std::string FaultInjector::Delay() {
  const int victim = AnyValidator();
  const uint64_t delay_ms = 100 + rng_() % 301;
  for (int other = 0; other < cluster_.size(); ++other) {
    if (other != victim) links_.Set(victim, other, LinkCondition::kDelayed, delay_ms);
  }
  Hold(3000, 6000);
  links_.HealAll();
  return "delayed every link of node " + std::to_string(victim) + " by " + std::to_string(delay_ms) + " ms, healed";
}

std::string FaultInjector::Truncate() {
  namespace fs = std::filesystem;
  const int victim = AnyValidator();
  cluster_.Signal(victim, SIGKILL);
  if (on_disk_damage_) on_disk_damage_(victim);
  // LevelDB's own files, of either database (the ledger's, and the state tree's in
  // tree/): the write-ahead log (*.log), tables (*.ldb) and MANIFEST-*; not the text
  // LOG, which is not data.
  fs::path newest;
  fs::file_time_type newest_time = fs::file_time_type::min();
  for (const auto& entry : fs::recursive_directory_iterator(cluster_.DataDir(victim))) {
    const std::string name = entry.path().filename().string();
    const bool data = name.ends_with(".log") || name.ends_with(".ldb") || name.starts_with("MANIFEST-");
    if (data && entry.is_regular_file() && entry.file_size() > 0 && entry.last_write_time() >= newest_time) {
      newest = entry.path();
      newest_time = entry.last_write_time();
    }
  }
  std::string what = "SIGKILL node " + std::to_string(victim);
  if (!newest.empty()) {
    const uintmax_t size = fs::file_size(newest);
    const uintmax_t cut = 1 + rng_() % std::min<uintmax_t>(size, 1 << 20);
    fs::resize_file(newest, size - cut);
    what += ", cut " + std::to_string(cut) + " of " + std::to_string(size) + " bytes off " + newest.filename().string();
  }
  Hold(200, 1000);
  cluster_.Start(victim);
  return what + ", restarted";
}

std::string FaultInjector::ClockStep() {
  const int victim = AnyValidator();
  // Ahead or behind by one minute to one hour: far beyond the 30 s a validator accepts.
  const int64_t minutes = 1 + static_cast<int64_t>(rng_() % 60);
  const int64_t offset_ms = (rng_() % 2 == 0 ? 1 : -1) * minutes * 60'000;
  cluster_.Signal(victim, SIGKILL);
  cluster_.Start(victim, {"CAIRN_TEST_CLOCK_OFFSET_MS=" + std::to_string(offset_ms)});
  Hold(4000, 8000);
  cluster_.Signal(victim, SIGKILL);
  cluster_.Start(victim);
  return "restarted node " + std::to_string(victim) + " with its clock " + std::to_string(offset_ms / 1000) +
         " s off, then stepped back (restarted on the system clock)";
}

}  // namespace cairn::cluster
