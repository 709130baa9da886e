// How the fault harness breaks the network between validators. Two ways:
//  - loopback proxies, one per directed link (link_proxy.h): no root needed, and the only
//    way here to slow a link (tc netem is not available);
//  - cables between network namespaces (netns.h): each validator on its own address, as
//    in production, a link cut by bringing its interfaces down.
#pragma once

#include <cstdint>
#include <vector>

namespace cairn::cluster {

//  - open: bytes pass as they come;
//  - delayed: each chunk waits `delay_ms` before it is forwarded (order is kept);
//  - dropped: bytes are thrown away, and a close does not pass either (a black hole: a
//    node behind it that dies leaves a half-open link, and after a heal the TLS stream
//    has lost bytes; either way the nodes must notice);
//  - cut: connections end and new ones fail.
enum class LinkCondition { kOpen, kDelayed, kDropped, kCut };

class Links {
 public:
  virtual ~Links() = default;
  // Sets both directions between a and b.
  virtual void Set(int a, int b, LinkCondition condition, uint64_t delay_ms = 0) = 0;
  // Sets every link that crosses between `side` and the other nodes.
  virtual void Partition(const std::vector<int>& side, LinkCondition condition) = 0;
  // Every link open again.
  virtual void HealAll() = 0;
  // Whether kDelayed is available.
  virtual bool CanDelay() const = 0;
};

}  // namespace cairn::cluster
