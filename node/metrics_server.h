// Serves GET /metrics (Prometheus text format) over HTTP/1.1 with Boost.Beast, on the
// node's io thread. Bounded: a few concurrent scrapes, a small request, a deadline.
#pragma once

#include <memory>
#include <string>

#include "crypto/status.h"
#include "net/asio.h"
#include "node/metrics.h"

namespace cairn::node {

class MetricsServer {
 public:
  MetricsServer(boost::asio::io_context& io, const MetricsRegistry& registry);
  // Binds `listen` (host:port); a clear error if it is busy.
  Status Start(const std::string& listen);
  // Call on the io thread, or with it stopped.
  void Stop();
  uint16_t port() const { return port_; }

 private:
  void Accept();

  boost::asio::io_context& io_;
  const MetricsRegistry& registry_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<int> active_sessions_ = std::make_shared<int>(0);
  uint16_t port_ = 0;
};

}  // namespace cairn::node
