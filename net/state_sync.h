// State sync scheduling: which chunks of the target state (ledger/state_restore.h) to
// ask which peers for. Pure, like BlockSync: the wanted chunks, peers, answers and the
// time come in, requests go out; the node checks and stores what arrives.
//
//  - Chunks are fetched from several peers in parallel, the best-scored with room first
//    (each peer holds a few requests at a time, so that a slow one slows only its own).
//  - A request not answered in time is hedged: sent to another peer too, the first
//    answer wins, and the slow peer loses score. One not answered in three timeouts is
//    given up and asked again, so that a lost answer never stalls the sync.
//  - A peer that does not hold a chunk loses a little score and is not asked for it
//    again (unless no peer holds it); a peer whose chunk failed
//    its proof is shunned for the rest of the sync and counted.
// Chunks are named by opaque ids (the nibble path of the subtree).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/ed25519.h"

namespace cairn::net {

struct StateSyncConfig {
  size_t max_requests_in_flight = 24;
  size_t max_in_flight_per_peer = 8;
  uint64_t request_timeout_ms = 2'000;
};

struct ChunkRequest {
  crypto::PublicKey peer;
  Bytes chunk;
};

class StateSync {
 public:
  explicit StateSync(StateSyncConfig config = {}) : config_(config) {}

  // A peer that holds the target version (its committed height reached it).
  void OnPeer(const crypto::PublicKey& peer);
  void OnPeerGone(const crypto::PublicKey& peer);

  enum class Answer { kStored, kNotServed, kLied, kIgnored };
  // What came of `peer`'s answer for `chunk`.
  void OnAnswer(const crypto::PublicKey& peer, const Bytes& chunk, Answer answer);

  // Requests to send now for `wanted` (the chunks not stored yet, in the order to fetch
  // them): new ones, and hedges of those that timed out. Requests for chunks no longer
  // wanted are forgotten, which frees their peers.
  std::vector<ChunkRequest> Poll(const std::map<Bytes, Hash>& wanted, uint64_t now_ms);

  size_t in_flight() const;
  size_t peers() const { return peers_.size(); }
  int score(const crypto::PublicKey& peer) const;
  bool shunned(const crypto::PublicKey& peer) const { return shunned_.count(peer) > 0; }
  uint64_t lies() const { return lies_; }

 private:
  struct Peer {
    int score = 0;
    size_t in_flight = 0;
  };
  struct Sent {
    crypto::PublicKey peer;
    uint64_t sent_ms = 0;
    bool hedged = false;  // a later request to another peer covers it
  };
  // The best peer with room for `chunk`, not among `already` nor among those that said
  // they do not hold it.
  std::optional<crypto::PublicKey> Choose(const Bytes& chunk, const std::vector<Sent>& already) const;
  void Forget(const crypto::PublicKey& peer);

  StateSyncConfig config_;
  std::map<crypto::PublicKey, Peer> peers_;
  std::set<crypto::PublicKey> shunned_;
  std::map<Bytes, std::vector<Sent>> in_flight_;  // by chunk
  std::map<Bytes, std::set<crypto::PublicKey>> refused_;  // by chunk: peers without it
  uint64_t lies_ = 0;
};

}  // namespace cairn::net
