#include "node/sync_buffer.h"

namespace cairn::node {

bool SyncBuffer::Add(const crypto::PublicKey& peer, v1::SyncResponse response) {
  // The key is read before the response moves: in `map[key] = value` the value is
  // evaluated first (C++17), and a moved-from response's from_height is 0. That filed
  // every window under 0, each overwriting the last, and block sync asked for all but
  // one again after a timeout: the 45-69 blocks a second the node issue measured.
  const uint64_t from_height = response.from_height();
  if (waiting_.size() >= capacity_ && !waiting_.contains(from_height)) return false;
  waiting_.insert_or_assign(from_height, Waiting{peer, std::move(response)});
  return true;
}

std::optional<SyncBuffer::Waiting> SyncBuffer::TakeJoining(uint64_t height) {
  auto lowest = waiting_.begin();
  if (lowest == waiting_.end() || lowest->first > height + 1) return std::nullopt;
  Waiting out = std::move(lowest->second);
  waiting_.erase(lowest);
  return out;
}

}  // namespace cairn::node
