// What the node tells probes about itself, for /healthz, /readyz and the gRPC health
// service. Liveness is "the process serves and is not halted" (a failed ledger write);
// readiness adds "caught up with its peers and, for a validator, in the current set",
// so that a load balancer or orchestrator stops sending clients to a node that is
// syncing without restarting it.
//
// The core thread sets the facts as they change; probes read them from the net thread
// as atomics and never take a lock the commit path holds.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace cairn::node {

class Health {
 public:
  struct Policy {
    uint64_t max_lag_blocks = 100;
    bool validator = false;  // the operator means this node to be in the set
  };
  struct Readiness {
    bool ready = false;
    std::string reason;  // why not, for the probe's body and the log
  };

  explicit Health(Policy policy) : policy_(policy) {}

  void SetHalted(bool halted) { halted_.store(halted, std::memory_order_relaxed); }
  void SetSyncing(bool syncing) { syncing_.store(syncing, std::memory_order_relaxed); }
  // Whether this node is in the current validator set, and the set's size.
  void SetCurrentSet(bool in_set, uint32_t size) {
    in_current_set_.store(in_set, std::memory_order_relaxed);
    set_size_.store(size, std::memory_order_relaxed);
  }
  void SetCommittedHeight(uint64_t height) { committed_height_.store(height, std::memory_order_relaxed); }
  void SetBestPeerHeight(uint64_t height) { best_peer_height_.store(height, std::memory_order_relaxed); }

  bool halted() const { return halted_.load(std::memory_order_relaxed); }
  bool in_current_set() const { return in_current_set_.load(std::memory_order_relaxed); }
  uint32_t set_size() const { return set_size_.load(std::memory_order_relaxed); }
  uint64_t best_peer_height() const { return best_peer_height_.load(std::memory_order_relaxed); }
  // Liveness: not halted.
  bool Live() const { return !halted(); }
  Readiness Ready() const;

 private:
  const Policy policy_;
  std::atomic<bool> halted_{false};
  std::atomic<bool> syncing_{false};
  std::atomic<bool> in_current_set_{false};
  std::atomic<uint32_t> set_size_{0};
  std::atomic<uint64_t> committed_height_{0};
  std::atomic<uint64_t> best_peer_height_{0};
};

}  // namespace cairn::node
