// A steady load of signed transfers for fault tests, and the record of what the API
// acknowledged as committed.
//
// Each benchmark account (the cluster must fund them: Cluster(n, 0, accounts)) keeps
// one transfer in flight: it submits to a random node, asks random nodes until one
// answers COMMITTED (that answer is the acknowledgement recorded), then signs the next
// nonce. A transfer not committed within `resubmit_after` goes again to another node,
// since the node that took it may have been killed before gossiping it; resubmitting
// the same signed bytes is idempotent. Nodes that are down or paused only cost a
// bounded RPC deadline.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/cluster/cluster.h"

namespace cairn::cluster {

class SteadyLoad {
 public:
  // Accounts 0 .. accounts-1, spread over `threads` submitting threads. Seeded: which
  // node each call goes to follows `seed`.
  SteadyLoad(Cluster& cluster, int accounts, int threads, uint64_t seed);
  ~SteadyLoad();  // stops

  void Start();
  void Stop();

  // Hashes of every transfer a node answered COMMITTED for, in no particular order.
  std::vector<std::string> Acknowledged() const;
  // The same, each with the receipt (serialized) of the answer that acknowledged it.
  std::vector<std::pair<std::string, std::string>> AcknowledgedReceipts() const;
  size_t acknowledged() const;
  size_t submit_failures() const { return submit_failures_.load(); }
  size_t resubmissions() const { return resubmissions_.load(); }

 private:
  void Run(int thread_index);

  Cluster& cluster_;
  const int accounts_;
  const int threads_;
  const uint64_t seed_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> workers_;
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, std::string>> acknowledged_;  // (hash, receipt), guarded by mu_
  std::atomic<size_t> submit_failures_{0};
  std::atomic<size_t> resubmissions_{0};
};

}  // namespace cairn::cluster
