// The faults the fault harness injects into a running cluster, one at a time: each is
// injected, held for a while and healed before Inject returns, so that the harness can
// then check that the cluster commits again within its bound.
//
// At most f validators are down or cut off by a single fault, except for the even
// split (no side holds a quorum), which must stall the chain and then heal.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "tests/cluster/cluster.h"
#include "tests/cluster/links.h"

namespace cairn::cluster {

enum class Fault {
  kKill,            // SIGKILL a validator (half the time right after it commits), restart it
  kPause,           // SIGSTOP a validator for longer than the round timeout, then SIGCONT
  kIsolate,         // cut off, or black-hole, every link of one validator
  kIsolateLeader,   // the same for the validator leading the current round
  kSplit,           // two sides: a 2|2 split for n = 4; 2|5 or 3|4 for n = 7
  kDelay,           // every link of one validator slowed by 100-400 ms
  kTruncate,        // SIGKILL a validator, cut up to 1 MiB off its newest LevelDB file, restart
  kClock,           // restart a validator with its clock minutes to an hour off, then step it back
};
const char* FaultName(Fault fault);

class FaultInjector {
 public:
  // `round_timeout_ms` sets how long a pause lasts (1.5 to 3 round timeouts).
  FaultInjector(Cluster& cluster, Links& links, uint64_t seed, uint64_t round_timeout_ms);

  // Every other fault is a kill, since restarts (recovery from disk, catch-up by sync)
  // are what most often goes wrong; the rest come from a shuffled bag of the other
  // kinds, so that every 2 x 7 faults hold each kind at least once (delays only where
  // the links can delay).
  Fault Next();
  // Injects, holds and heals `fault`; a line saying what was done.
  std::string Inject(Fault fault);
  // What a fault showed while it was held that it should not have ("" when nothing):
  // a validator cut off from every other one that still commits, or a side of a split
  // without a quorum that does, means the network was not broken as claimed.
  const std::string& failure() const { return failure_; }
  // Called with a node whose files a fault damaged on purpose, after it is killed and
  // before it restarts: it may come back at a lower height (read_watch.h).
  void OnDiskDamage(std::function<void(int node)> callback) { on_disk_damage_ = std::move(callback); }

 private:
  int AnyValidator();
  std::string Kill();
  std::string Pause();
  std::string Isolate(int victim);
  std::string Split();
  std::string Delay();
  std::string Truncate();
  std::string ClockStep();
  void Hold(uint64_t min_ms, uint64_t max_ms);
  // Holds a partition in which none of `stalled` can commit a new block, and records a
  // failure if one goes above the highest height of the cluster one second in (what was
  // in flight when the cut began).
  void HoldStalled(const std::vector<int>& stalled, const std::string& what);

  Cluster& cluster_;
  Links& links_;
  std::mt19937_64 rng_;
  const uint64_t round_timeout_ms_;
  uint64_t draws_ = 0;
  std::vector<Fault> bag_;  // the other kinds still to draw
  std::function<void(int)> on_disk_damage_;
  std::string failure_;
};

}  // namespace cairn::cluster
