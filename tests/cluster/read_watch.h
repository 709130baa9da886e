// Reads as a wallet makes them while faults come and go: a thread asks random nodes for
// random load accounts (GetAccount) and checks two client-visible guarantees:
//  - monotonic reads per node: a node never answers at a lower height than it answered
//    before, across kills and restarts too (what it committed is durable);
//  - one truth per height: the same account at the same height reads the same (balance,
//    nonce, every byte) on every node.
// A node whose files the harness damaged on purpose (a truncated LevelDB file) may come
// back lower: Forget(i) starts its record afresh.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/cluster/cluster.h"

namespace cairn::cluster {

class ReadWatch {
 public:
  // Load accounts 0 .. accounts-1; which node and account each read goes to follows `seed`.
  ReadWatch(Cluster& cluster, int accounts, uint64_t seed);
  ~ReadWatch();  // stops

  void Start();
  void Stop();
  void Forget(int node);

  size_t reads() const { return reads_.load(); }
  // Answers below the height the same node answered at before, and answers that differ
  // from another node's for the same account and height.
  size_t regressions() const;
  size_t disagreements() const;
  // What the first violation was ("" when none).
  std::string first_violation() const;

 private:
  void Run();
  uint64_t Generation(int node) const;
  // `generation`: the node's when the read was sent; an answer sent before a Forget is
  // not held against the node's new record.
  void Check(int node, uint64_t generation, const std::string& address, const v1::GetAccountResponse& answer);

  Cluster& cluster_;
  const int accounts_;
  const uint64_t seed_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> reads_{0};
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<uint64_t> highest_;     // per node, guarded by mu_
  std::vector<uint64_t> generation_;  // per node: Forget calls so far, guarded by mu_
  std::map<std::pair<std::string, uint64_t>, std::string> seen_;  // (address, height) -> account bytes
  size_t regressions_ = 0;
  size_t disagreements_ = 0;
  std::string first_violation_;
};

}  // namespace cairn::cluster
