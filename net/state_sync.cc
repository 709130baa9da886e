#include "net/state_sync.h"

#include <algorithm>

namespace cairn::net {

void StateSync::OnPeer(const crypto::PublicKey& peer) {
  if (shunned_.count(peer) == 0) peers_.try_emplace(peer);
}

void StateSync::OnPeerGone(const crypto::PublicKey& peer) {
  peers_.erase(peer);
  // Its requests go to others at the next Poll.
  for (auto& [chunk, sent] : in_flight_) {
    std::erase_if(sent, [&](const Sent& s) { return s.peer == peer; });
  }
  std::erase_if(in_flight_, [](const auto& entry) { return entry.second.empty(); });
}

void StateSync::Forget(const crypto::PublicKey& peer) {
  auto p = peers_.find(peer);
  if (p != peers_.end() && p->second.in_flight > 0) --p->second.in_flight;
}

void StateSync::OnAnswer(const crypto::PublicKey& peer, const Bytes& chunk, Answer answer) {
  auto flight = in_flight_.find(chunk);
  if (flight != in_flight_.end()) {
    auto& sent = flight->second;
    auto it = std::find_if(sent.begin(), sent.end(), [&](const Sent& s) { return s.peer == peer; });
    if (it != sent.end()) {
      Forget(peer);
      sent.erase(it);
    }
    // Stored: the other copies of the request are moot.
    if (answer == Answer::kStored || sent.empty()) {
      for (const Sent& s : sent) Forget(s.peer);
      in_flight_.erase(flight);
    }
  }
  auto p = peers_.find(peer);
  if (p == peers_.end()) return;
  switch (answer) {
    case Answer::kStored: p->second.score = std::min(p->second.score + 1, 100); break;
    case Answer::kNotServed: {
      p->second.score -= 1;
      // Not asked for this chunk again, unless every peer refused it (then all are
      // asked again: a peer may have been behind).
      auto& refused = refused_[chunk];
      refused.insert(peer);
      if (refused.size() >= peers_.size()) refused_.erase(chunk);
      break;
    }
    case Answer::kLied:
      ++lies_;
      shunned_.insert(peer);
      OnPeerGone(peer);
      break;
    case Answer::kIgnored: break;
  }
}

std::optional<crypto::PublicKey> StateSync::Choose(const Bytes& chunk, const std::vector<Sent>& already) const {
  auto refused = refused_.find(chunk);
  auto usable = [&](const crypto::PublicKey& key) {
    if (std::any_of(already.begin(), already.end(), [&](const Sent& s) { return s.peer == key; })) return false;
    return refused == refused_.end() || refused->second.count(key) == 0;
  };
  std::optional<crypto::PublicKey> best;
  int best_score = 0;
  size_t best_load = 0;
  for (const auto& [key, p] : peers_) {
    if (p.in_flight >= config_.max_in_flight_per_peer) continue;
    if (!usable(key)) continue;
    if (!best || p.score > best_score || (p.score == best_score && p.in_flight < best_load)) {
      best = key;
      best_score = p.score;
      best_load = p.in_flight;
    }
  }
  return best;
}

std::vector<ChunkRequest> StateSync::Poll(const std::map<Bytes, Hash>& wanted, uint64_t now_ms) {
  std::vector<ChunkRequest> out;
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    if (wanted.count(it->first) > 0) {
      ++it;
      continue;
    }
    for (const Sent& s : it->second) Forget(s.peer);
    it = in_flight_.erase(it);
  }
  std::erase_if(refused_, [&](const auto& entry) { return wanted.count(entry.first) == 0; });
  // Abandoned: no answer in three timeouts (a lost frame, a peer that never answers). Its
  // peer's slot is freed and a chunk left with no request is asked again below, of
  // whoever has room then (the same peer, if it is the only one).
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    std::erase_if(it->second, [&](const Sent& s) {
      if (now_ms < s.sent_ms + 3 * config_.request_timeout_ms) return false;
      Forget(s.peer);
      return true;
    });
    it = it->second.empty() ? in_flight_.erase(it) : std::next(it);
  }
  // Timed out: hedge with another peer, once per request; the slow peer loses score.
  for (auto& [chunk, sent] : in_flight_) {
    const size_t before = sent.size();
    for (size_t i = 0; i < before; ++i) {
      if (sent[i].hedged || now_ms < sent[i].sent_ms + config_.request_timeout_ms) continue;
      sent[i].hedged = true;
      auto slow = peers_.find(sent[i].peer);
      if (slow != peers_.end()) slow->second.score -= 2;
      auto other = Choose(chunk, sent);
      if (!other) continue;
      ++peers_[*other].in_flight;
      sent.push_back({*other, now_ms, false});
      out.push_back({*other, chunk});
    }
  }
  // New requests, in the order wanted lists them.
  for (const auto& [chunk, hash] : wanted) {
    if (in_flight_.size() >= config_.max_requests_in_flight) break;
    if (in_flight_.count(chunk) > 0) continue;
    auto peer = Choose(chunk, {});
    if (!peer) break;
    ++peers_[*peer].in_flight;
    in_flight_[chunk].push_back({*peer, now_ms, false});
    out.push_back({*peer, chunk});
  }
  return out;
}

size_t StateSync::in_flight() const {
  size_t n = 0;
  for (const auto& [chunk, sent] : in_flight_) n += sent.size();
  return n;
}

int StateSync::score(const crypto::PublicKey& peer) const {
  auto it = peers_.find(peer);
  return it == peers_.end() ? 0 : it->second.score;
}

}  // namespace cairn::net
