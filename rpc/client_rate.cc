#include "rpc/client_rate.h"

#include <algorithm>

namespace cairn::rpc {

double ClientRateLimiter::Refill(const Bucket& bucket, Clock::time_point now) const {
  const double elapsed_s = std::chrono::duration<double>(now - bucket.at).count();
  return std::min(burst_, bucket.tokens + std::max(0.0, elapsed_s) * per_second_);
}

bool ClientRateLimiter::Take(const std::string& peer, Clock::time_point now) {
  const std::string client = ClientOf(peer);
  std::lock_guard lock(mu_);
  auto it = clients_.find(client);
  if (it == clients_.end()) {
    if (clients_.size() >= max_clients_) {
      // A client whose bucket has refilled is indistinguishable from a new one.
      std::erase_if(clients_, [&](const auto& entry) { return Refill(entry.second, now) >= burst_; });
      if (clients_.size() >= max_clients_) return false;
    }
    it = clients_.emplace(client, Bucket{burst_, now}).first;
  }
  Bucket& bucket = it->second;
  bucket.tokens = Refill(bucket, now);
  bucket.at = now;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

}  // namespace cairn::rpc
