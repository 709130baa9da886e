// The node's operations port, HTTP/1.1 with Boost.Beast on the node's io thread:
//   GET /metrics   Prometheus text format
//   GET /healthz   200, or 503 while halted (liveness)
//   GET /readyz    200, or 503 with the reason: halted, syncing, behind, not in the set
//   GET /version   {"version": "0.2.0", "revision": "..."}
// Probes read atomics only (node/health.h), never a lock of the commit path. Bounded: a
// few concurrent requests, a small request, a deadline.
#pragma once

#include <memory>
#include <string>

#include "crypto/status.h"
#include "net/asio.h"
#include "node/health.h"
#include "node/metrics.h"

namespace cairn::node {

class MetricsServer {
 public:
  MetricsServer(boost::asio::io_context& io, const MetricsRegistry& registry, const Health& health);
  // Binds `listen` (host:port); a clear error if it is busy.
  Status Start(const std::string& listen);
  // Call on the io thread, or with it stopped.
  void Stop();
  uint16_t port() const { return port_; }

  // What the sessions answer from.
  struct Pages {
    const MetricsRegistry& registry;
    const Health& health;
    const std::string version_json;
  };

 private:
  void Accept();

  boost::asio::io_context& io_;
  const Pages pages_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<int> active_sessions_ = std::make_shared<int>(0);
  uint16_t port_ = 0;
};

}  // namespace cairn::node
