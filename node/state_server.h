// Serving state sync: answers peers' StateChunkRequests (ledger/state_chunk.h) from the
// ledger's stored versions, their EpochChangesRequests (epoch_chain.h) and
// StateTargetRequests (state_target.h), on a thread
// of its own, so that reading thousands of leaves
// from disk never delays the core thread (consensus, commits) nor the net thread.
// Bounded (architecture rule 5): requests beyond the queue's bound are answered "busy"
// at once, and the requester asks another peer.
//
// It also says which state versions joining nodes may still be restoring (the targets
// it offered, kept alive by chunk requests for them), so that pruning keeps them.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "cairn/v1/p2p.pb.h"
#include "crypto/ed25519.h"
#include "ledger/ledger.h"

namespace cairn::node {

class StateServer {
 public:
  using Reply = std::function<void(const crypto::PublicKey& to, const v1::PeerMessage& message)>;
  struct Stats {
    uint64_t served = 0;     // chunk answers with leaves or a node
    uint64_t refused = 0;    // answers with an error (busy, not held)
    uint64_t bytes_out = 0;  // of the answers' leaves and nodes
  };

  // `ledger` must outlive the server; `reply` is called on the server's thread. A target
  // offered counts as in use until `hold_ms` after the last request for it.
  StateServer(const ledger::Ledger& ledger, Reply reply, uint64_t hold_ms, size_t max_queued = 32);
  ~StateServer();  // Stop()

  void Start();
  void Stop();  // idempotent; pending requests are dropped
  // From any thread.
  void Offer(const crypto::PublicKey& from, v1::StateChunkRequest request);
  void Offer(const crypto::PublicKey& from, v1::EpochChangesRequest request);
  void Offer(const crypto::PublicKey& from, v1::StateTargetRequest request);
  Stats stats() const;
  // The lowest version offered as a target and asked for within the hold; nullopt when
  // none is.
  std::optional<uint64_t> OldestTargetInUse() const;

 private:
  void Run();
  // Queues `request` (a PeerMessage of one of the two requests); false when full.
  bool Enqueue(const crypto::PublicKey& from, v1::PeerMessage request);
  void Answer(const crypto::PublicKey& to, v1::StateChunkResponse response);
  // Marks `version` in use now: always when `offered`, else only if it was offered (a
  // peer cannot keep an arbitrary version from pruning).
  void MarkInUse(uint64_t version, bool offered);

  const ledger::Ledger& ledger_;
  const Reply reply_;
  const size_t max_queued_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::pair<crypto::PublicKey, v1::PeerMessage>> queue_;
  bool stopping_ = false;
  Stats stats_;
  const uint64_t hold_ms_;
  // Target version -> when it was last offered or asked for (steady clock, ms); at most
  // kMaxTargetsInUse, the least recently used dropped first.
  static constexpr size_t kMaxTargetsInUse = 64;
  std::map<uint64_t, uint64_t> targets_in_use_;
  std::thread thread_;
};

}  // namespace cairn::node
