// Runs a load against a running network and measures it from the chain: every
// pre-signed transfer is submitted over the public gRPC API (SubmitStream, one stream
// per validator; each account to one validator, the accounts spread over all of
// them), and a transaction counts as committed when a block holding it arrives on
// node 0's block stream.
//   saturation: closed loop, at most `inflight` submitted and not yet committed;
//   rate:       open loop, `rate` submissions a second whatever the chain does;
// in both, as a wallet would: an account's next transaction waits until the node has
// taken the one before, and one refused for capacity is sent again when the node says
// (until the window ends: what the node has not taken by then is counted unsent);
//   idle:       nothing submitted, only the validators' CPU and blocks are watched.
// The window of `seconds` starts after `warmup_seconds`; submissions stop at its end
// and every acknowledged transaction then has `drain_seconds` to commit (else lost).
// With `kill_pids`, those processes get SIGKILL `kill_at_seconds` into the window (they
// get no submissions: `nodes` lists only the validators that stay up), and the result
// says how long the chain paused and when throughput came back.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <sys/types.h>
#include <vector>

#include "node/load/workload.h"

namespace cairn::load {

enum class LoadMode { kSaturation, kRate, kIdle };

struct LoadConfig {
  std::vector<std::string> nodes;  // gRPC addresses of the validators
  std::vector<pid_t> pids;         // their processes, for CPU and memory (may be empty)
  LoadMode mode = LoadMode::kSaturation;
  size_t inflight = 2'000;
  double rate = 0;
  double warmup_seconds = 10;
  double seconds = 60;
  double drain_seconds = 30;
  std::vector<pid_t> kill_pids;
  double kill_at_seconds = 0;
  // End the run as soon as every pre-signed transaction has been sent and committed
  // (populating a chain), instead of at the window's end.
  bool until_all_committed = false;
};

struct ValidatorUsage {
  double cpu_seconds = 0;  // in the window
  double rss_mb_max = 0;   // the highest sampled in the window
  double peak_rss_mb = 0;  // the process's own high-water mark at the end
};

struct LoadResult {
  uint64_t submitted_in_window = 0;
  uint64_t committed_in_window = 0;  // transactions in blocks that arrived in the window
  uint64_t blocks_in_window = 0;
  uint64_t empty_blocks_in_window = 0;
  std::vector<double> latencies_ms;  // of the window's submissions that committed
  uint64_t submitted = 0;            // all, warm-up and window
  uint64_t failed = 0;               // refused by the node (see failures)
  uint64_t refused = 0;              // refused for capacity, and sent again when the node said
  uint64_t unsent = 0;               // not taken by the node when the window ended: not sent again
  uint64_t lost = 0;                 // acknowledged, yet not committed by the end
  std::map<std::string, uint64_t> failures;  // gRPC code and message -> count
  bool ran_out = false;              // every pre-signed transaction went before the end
  uint64_t chain_height = 0;         // the last block seen on the stream
  uint64_t chain_txs = 0;            // transactions in the blocks seen: those after the head
                                     // the run began at (on a fresh network, all of them)
  std::vector<ValidatorUsage> usage; // one per pid
  std::string error;                 // a failure of the harness itself (stream lost)
  // Between blocks arriving on the stream within the window, the longest wait.
  double longest_commit_gap_ms = 0;
  // With kill_pids: from the kill to the end of the last 5-second stretch whose
  // committed transactions (blocks, when idle) fell more than 20% below the rate before
  // the kill (0: none did); negative when the window ended in such a stretch.
  double recovery_s = -1;
};

LoadResult RunLoad(const LoadConfig& config, const Workload& workload);

}  // namespace cairn::load
