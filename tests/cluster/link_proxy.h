// Loopback TCP proxies between cluster nodes, so that a fault test can break the
// network between chosen validators without root: each directed link "i dials j" goes
// through its own proxy port, and the harness sets each link's condition.
//
// The proxies forward bytes; they do not know TLS. They give every condition of
// links.h; a dropped link reads its bytes and throws them away, a cut one closes every
// connection and new ones on accept.
// One thread runs all proxies; the setters are thread-safe and take effect on the
// next chunk (cut at once).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "net/asio.h"
#include "tests/cluster/links.h"

namespace cairn::cluster {

class LinkProxies final : public Links {
 public:
  // Proxies for every ordered pair (i, j), i != j, of `nodes` nodes, each forwarding to
  // 127.0.0.1:target_ports[j]. Each listens on a port the kernel picks.
  explicit LinkProxies(const std::vector<int>& target_ports);
  ~LinkProxies();

  // The port node i dials to reach node j.
  int Port(int from, int to) const;
  void Set(int a, int b, LinkCondition condition, uint64_t delay_ms = 0) override;
  void Partition(const std::vector<int>& side, LinkCondition condition) override;
  void HealAll() override;
  bool CanDelay() const override { return true; }
  // Bytes a black hole has thrown away so far.
  uint64_t bytes_dropped() const;

 private:
  struct Link;
  struct Session;
  void Accept(const std::shared_ptr<Link>& link);
  void SetOne(int from, int to, LinkCondition condition, uint64_t delay_ms);

  const int nodes_;
  boost::asio::io_context io_;
  std::vector<std::shared_ptr<Link>> links_;  // index from * nodes_ + to
  std::thread thread_;
};

}  // namespace cairn::cluster
