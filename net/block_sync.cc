#include "net/block_sync.h"

#include <algorithm>

namespace cairn::net {

void BlockSync::OnPeerHeight(const crypto::PublicKey& peer, uint64_t height, uint64_t blocks_from) {
  Peer& p = peers_[peer];
  p.height = std::max(p.height, height);
  // Not a maximum: a peer that prunes moves it up, one restored from an archive down.
  p.blocks_from = blocks_from;
}

void BlockSync::OnPeerGone(const crypto::PublicKey& peer) {
  peers_.erase(peer);
  // Its requests go to others at the next Poll.
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    it = it->second.peer == peer ? in_flight_.erase(it) : std::next(it);
  }
}

void BlockSync::OnCommitted(uint64_t height) {
  committed_ = std::max(committed_, height);
  if (committed_ >= best_peer_height()) catch_up_ = false;
  // Windows wholly below the head are done, whoever answered.
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    if (it->first + it->second.count - 1 <= committed_) {
      auto peer = peers_.find(it->second.peer);
      if (!it->second.arrived && peer != peers_.end() && peer->second.in_flight > 0) --peer->second.in_flight;
      it = in_flight_.erase(it);
    } else {
      ++it;
    }
  }
}

void BlockSync::OnArrived(const crypto::PublicKey& peer, uint64_t from_height, uint64_t now_ms) {
  auto it = in_flight_.find(from_height);
  if (it == in_flight_.end() || it->second.peer != peer || it->second.arrived) return;
  it->second.arrived = true;
  it->second.sent_ms = now_ms;
  auto p = peers_.find(peer);
  if (p != peers_.end() && p->second.in_flight > 0) --p->second.in_flight;
}

void BlockSync::OnResponse(const crypto::PublicKey& peer, uint64_t from_height, uint64_t applied, bool lied,
                           uint64_t now_ms) {
  auto it = in_flight_.find(from_height);
  if (it != in_flight_.end() && it->second.peer == peer) {
    const bool arrived = it->second.arrived;
    in_flight_.erase(it);
    auto p = peers_.find(peer);
    if (!arrived && p != peers_.end() && p->second.in_flight > 0) --p->second.in_flight;
  }
  auto p = peers_.find(peer);
  if (p == peers_.end()) return;
  if (lied) {
    p->second.score -= 10;
    p->second.shunned_until_ms = now_ms + config_.shun_ms;
  } else if (applied > 0) {
    p->second.score = std::min(p->second.score + 1, 100);
  } else if (from_height > committed_) {
    // Nothing useful although it claimed the heights: as bad as slow.
    p->second.score -= 1;
  }
}

std::optional<crypto::PublicKey> BlockSync::Choose(uint64_t first, uint64_t last, uint64_t now_ms,
                                                   const crypto::PublicKey* not_this) const {
  std::optional<crypto::PublicKey> best;
  int best_score = 0;
  size_t best_load = 0;
  for (const auto& [key, p] : peers_) {
    if (p.height < last || p.blocks_from > first || p.in_flight >= config_.max_in_flight_per_peer || p.shunned_until_ms > now_ms) continue;
    if (not_this != nullptr && key == *not_this) continue;
    if (!best || p.score > best_score || (p.score == best_score && p.in_flight < best_load)) {
      best = key;
      best_score = p.score;
      best_load = p.in_flight;
    }
  }
  return best;
}

std::vector<SyncRequest> BlockSync::Poll(uint64_t now_ms) {
  std::vector<SyncRequest> out;
  // Timed out: the peer is slow; ask another (or the same, if it is the only one).
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    const uint64_t from = it->first;
    InFlight& flight = it->second;
    if (now_ms < flight.sent_ms + (flight.arrived ? config_.apply_timeout_ms : config_.request_timeout_ms)) {
      ++it;
      continue;
    }
    auto slow = peers_.find(flight.peer);
    if (slow != peers_.end() && !flight.arrived) {
      slow->second.score -= 2;
      if (slow->second.in_flight > 0) --slow->second.in_flight;
    }
    flight.arrived = false;
    const uint64_t last = from + flight.count - 1;
    auto other = Choose(from, last, now_ms, &flight.peer);
    if (!other) other = Choose(from, last, now_ms, nullptr);
    if (!other) {
      // Nobody can take it now: dropped, it is a new window once a peer has room (kept,
      // it would time out again at every poll and charge the slow peer each time).
      it = in_flight_.erase(it);
      continue;
    }
    flight.peer = *other;
    flight.sent_ms = now_ms;
    ++peers_[*other].in_flight;
    out.push_back({*other, from, flight.count});
    ++it;
  }
  // New windows for the heights above the head that no request covers, lowest first.
  const uint64_t best = best_peer_height();
  uint64_t start = committed_ + 1;
  while (in_flight_.size() < config_.max_requests_in_flight && start <= best) {
    auto after = in_flight_.upper_bound(start);
    if (after != in_flight_.begin()) {
      auto covering = std::prev(after);
      if (covering->first + covering->second.count > start) {
        start = covering->first + covering->second.count;
        continue;
      }
    }
    uint64_t count = std::min<uint64_t>(config_.blocks_per_request, best - start + 1);
    if (after != in_flight_.end()) count = std::min(count, after->first - start);
    auto peer = Choose(start, start + count - 1, now_ms, nullptr);
    if (!peer) break;
    in_flight_[start] = {*peer, now_ms, static_cast<uint32_t>(count)};
    ++peers_[*peer].in_flight;
    out.push_back({*peer, start, static_cast<uint32_t>(count)});
    start += count;
  }
  return out;
}

bool BlockSync::Behind() const {
  const uint64_t best = best_peer_height();
  return best > committed_ + config_.lag_to_sync || (catch_up_ && best > committed_);
}

uint64_t BlockSync::best_peer_height() const {
  uint64_t best = 0;
  for (const auto& [key, p] : peers_) best = std::max(best, p.height);
  return best;
}

int BlockSync::score(const crypto::PublicKey& peer) const {
  auto it = peers_.find(peer);
  return it == peers_.end() ? 0 : it->second.score;
}

}  // namespace cairn::net
