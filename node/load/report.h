// The benchmark's report: a table for people and, as its last line, one JSON object
// for scripts (the fields scripts/bench.sh and the README quote).
#pragma once

#include <cstdio>
#include <string>

#include "node/load/driver.h"

namespace cairn::load {

struct BenchFacts {
  std::string mode;            // "saturation", "rate" or "idle"
  size_t validators = 0;
  size_t accounts = 0;
  unsigned cores = 0;
  double seconds = 0;          // the measured window
  double offered_rate = 0;     // rate mode: the configured rate
  size_t inflight = 0;         // saturation mode
  double verify_per_s_one_core = 0;
  size_t down = 0;              // validators killed (cairn load --down)
  double down_at_seconds = -1;  // into the window; negative: before the warm-up
};

// The signature ceiling: every validator verifies every transaction once, all of them
// sharing this machine's cores.
double CeilingTps(const BenchFacts& facts);
// The q-quantile (0..1) of `values` by nearest rank; 0 for none. Sorts `values`.
double Quantile(std::vector<double>& values, double q);

void PrintReport(std::FILE* out, const BenchFacts& facts, LoadResult result);

}  // namespace cairn::load
