// Validators on real addresses: each node in a network namespace of its own, with its
// address (10.N.0.<i+1>) on its loopback, every two nodes joined by a veth cable of
// their own (so that any partition is a set of cables), and one cable from each node to
// the host, where clients and the harness stay. A cut brings a cable's two ends down; a
// black hole routes the peer's address on both sides into a cable that leads nowhere
// (packets sent vanish, the sender sees nothing wrong). Delays need tc netem, which this machine
// lacks: CanDelay() is false, and the harness keeps its delays in the loopback proxies.
//
// Needs root (CAP_NET_ADMIN) and iproute2. Everything it makes it deletes when it goes
// out of scope; namespaces left by a harness that was killed are deleted by the next.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "crypto/status.h"
#include "tests/cluster/links.h"

namespace cairn::cluster {

class NamespaceNet final : public Links {
 public:
  // `log`: where the ip commands write. An error saying why when this machine does not
  // allow it (not root, no iproute2, the kernel refuses).
  static Result<std::unique_ptr<NamespaceNet>> Create(int nodes, const std::string& log);
  ~NamespaceNet() override;

  int nodes() const { return nodes_; }
  // Node i's address, and the path of its namespace (for setns).
  std::string Address(int i) const;
  std::string NamespacePath(int i) const;

  void Set(int a, int b, LinkCondition condition, uint64_t delay_ms = 0) override;
  void Partition(const std::vector<int>& side, LinkCondition condition) override;
  void HealAll() override;
  bool CanDelay() const override { return false; }

 private:
  NamespaceNet(int nodes, std::string tag, int subnet, std::string log);
  Status Build();
  std::string Name(int i) const;
  // `ip` with `args`; false if it failed.
  bool Ip(const std::vector<std::string>& args) const;
  void Cable(int a, int b, LinkCondition condition);

  const int nodes_;
  const std::string tag_;  // unique to this process: cairn<pid>
  const int subnet_;       // the N of 10.N.x.y
  const std::string log_;
  std::vector<std::string> made_;  // namespaces created, to delete
};

}  // namespace cairn::cluster
