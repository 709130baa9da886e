// Block sync's responses that arrived above the committed head: the node asks several
// peers for consecutive windows at once and they answer in any order, so a window waits
// here until the blocks below it are committed. Bounded; the consensus thread's alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>

#include "cairn/v1/p2p.pb.h"
#include "crypto/ed25519.h"

namespace cairn::node {

class SyncBuffer {
 public:
  struct Waiting {
    crypto::PublicKey peer;
    v1::SyncResponse response;
  };

  explicit SyncBuffer(size_t capacity) : capacity_(capacity) {}

  // Keeps `response` from `peer`, replacing one kept for the same first height. False
  // (dropped: block sync asks again after its timeout) when full.
  bool Add(const crypto::PublicKey& peer, v1::SyncResponse response);
  // The lowest kept response that joins a head at `height` (it starts at or below
  // height + 1), taken out; nullopt when the lowest still starts above.
  std::optional<Waiting> TakeJoining(uint64_t height);
  void Clear() { waiting_.clear(); }
  size_t size() const { return waiting_.size(); }

 private:
  const size_t capacity_;
  std::map<uint64_t, Waiting> waiting_;  // by the response's first height
};

}  // namespace cairn::node
