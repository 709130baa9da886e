// A per-client rate limit on transactions submitted (Submit and each message of
// SubmitStream): a token bucket per client, where a client is its address without the
// port (rpc/stream_slots.h), so that opening new connections does not buy more. It
// keeps one client's flood from filling the mempool and the verify pool that every
// other client shares. The table of clients is bounded: idle clients (full buckets)
// are forgotten first, and when it is full of active ones a new client is refused.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace cairn::rpc {

// The client part of grpc::ServerContext::peer() ("ipv4:127.0.0.1:5000" -> "ipv4:127.0.0.1").
inline std::string ClientOf(const std::string& peer) { return peer.substr(0, peer.rfind(':')); }

class ClientRateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  // `per_second` transactions a second per client, bursts of up to `burst`.
  ClientRateLimiter(double per_second, double burst, size_t max_clients = 10'000)
      : per_second_(per_second), burst_(burst), max_clients_(max_clients) {}

  // Takes one token for the client at `peer`; false when it has none left.
  bool Take(const std::string& peer, Clock::time_point now = Clock::now());
  double per_second() const { return per_second_; }

 private:
  struct Bucket {
    double tokens;
    Clock::time_point at;
  };
  double Refill(const Bucket& bucket, Clock::time_point now) const;

  const double per_second_;
  const double burst_;
  const size_t max_clients_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> clients_;  // guarded by mu_
};

}  // namespace cairn::rpc
