// Loopback TCP proxies between cluster nodes, so that a fault test can break the
// network between chosen validators without root: each directed link "i dials j" goes
// through its own proxy port, and the harness sets each link's condition.
//
// The proxies forward bytes; they do not know TLS. Conditions:
//  - open: bytes pass as they come;
//  - delayed: each chunk waits `delay_ms` before it is forwarded (order is kept);
//  - dropped: bytes are read and thrown away, and a close does not pass either (a black
//    hole, or a cut cable: a node behind it that dies leaves a half-open link, and
//    after a heal the TLS stream has lost bytes; either way the nodes must notice);
//  - cut: every connection is closed and new ones are closed on accept.
// One thread runs all proxies; the setters are thread-safe and take effect on the
// next chunk (cut at once).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "net/asio.h"

namespace cairn::cluster {

enum class LinkCondition { kOpen, kDelayed, kDropped, kCut };

class LinkProxies {
 public:
  // Proxies for every ordered pair (i, j), i != j, of `nodes` nodes, each forwarding to
  // 127.0.0.1:target_ports[j]. Each listens on a port the kernel picks.
  explicit LinkProxies(const std::vector<int>& target_ports);
  ~LinkProxies();

  // The port node i dials to reach node j.
  int Port(int from, int to) const;
  // Sets both directions between a and b.
  void Set(int a, int b, LinkCondition condition, uint64_t delay_ms = 0);
  // Sets every link that crosses between `side` and the other nodes.
  void Partition(const std::vector<int>& side, LinkCondition condition);
  // Every link open again.
  void HealAll();
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
