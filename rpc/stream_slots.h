// Open streams per client, bounded: a stream holds one of the server's threads for as
// long as it lasts, so one client must not take them all. A client is its address
// without the port (a new connection does not make a new client).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "rpc/client_rate.h"

namespace cairn::rpc {

class StreamSlots {
 public:
  explicit StreamSlots(int max_per_client) : max_per_client_(max_per_client) {}

  // Held while the stream is open; the slot frees itself.
  using Slot = std::shared_ptr<void>;
  // A slot for the client at `peer` (grpc::ServerContext::peer()), or null when it
  // already has max_per_client() streams open.
  Slot Take(const std::string& peer) {
    std::string client = ClientOf(peer);
    std::lock_guard lock(mu_);
    if (open_[client] >= max_per_client_) return nullptr;
    ++open_[client];
    return Slot(this, [this, client](void*) {
      std::lock_guard lock(mu_);
      if (--open_[client] == 0) open_.erase(client);
    });
  }
  int max_per_client() const { return max_per_client_; }

 private:
  const int max_per_client_;
  std::mutex mu_;
  std::map<std::string, int> open_;
};

}  // namespace cairn::rpc
