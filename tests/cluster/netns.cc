#include "tests/cluster/netns.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "crypto/check.h"
#include "tests/cluster/cluster.h"

namespace cairn::cluster {

namespace {

constexpr const char* kPrefix = "cairn";  // namespaces are cairn<pid>-<node>

std::string IpBinary() {
  for (const char* path : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
    if (::access(path, X_OK) == 0) return path;
  }
  return "";
}

// Namespaces a harness left behind when it was killed: their pid is gone.
void DeleteOrphans(const std::string& ip, const std::string& log) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/var/run/netns", error)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(kPrefix)) continue;
    const std::string pid = name.substr(std::string(kPrefix).size(), name.find('-') - std::string(kPrefix).size());
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (::kill(std::stoi(pid), 0) == 0) continue;  // its harness still runs
    RunProgram({ip, "netns", "delete", name}, log);
  }
}

// A second octet no interface of this host uses, so that our routes shadow nothing.
int FreeSubnet() {
  std::ifstream routes("/proc/net/fib_trie");
  const std::string table((std::istreambuf_iterator<char>(routes)), std::istreambuf_iterator<char>());
  for (int k = 0; k < 128; ++k) {
    const int n = 64 + (static_cast<int>(::getpid()) + k) % 128;
    if (table.find("10." + std::to_string(n) + ".") == std::string::npos) return n;
  }
  return 64 + static_cast<int>(::getpid()) % 128;
}

}  // namespace

Result<std::unique_ptr<NamespaceNet>> NamespaceNet::Create(int nodes, const std::string& log) {
  if (::geteuid() != 0) return Status::FailedPrecondition("network namespaces need root, and this runs as uid " +
                                                           std::to_string(::geteuid()));
  if (IpBinary().empty()) return Status::FailedPrecondition("no ip binary (iproute2) in /usr/sbin, /sbin or /usr/bin");
  DeleteOrphans(IpBinary(), log);
  std::unique_ptr<NamespaceNet> net(
      new NamespaceNet(nodes, kPrefix + std::to_string(::getpid()), FreeSubnet(), log));
  CAIRN_RETURN_IF_ERROR(net->Build());
  return net;
}

NamespaceNet::NamespaceNet(int nodes, std::string tag, int subnet, std::string log)
    : nodes_(nodes), tag_(std::move(tag)), subnet_(subnet), log_(std::move(log)) {}

NamespaceNet::~NamespaceNet() {
  // A namespace's interfaces go with it, the host ends of its cables too.
  for (const std::string& name : made_) Ip({"netns", "delete", name});
}

std::string NamespaceNet::Name(int i) const { return tag_ + "-" + std::to_string(i); }
std::string NamespaceNet::NamespacePath(int i) const { return "/var/run/netns/" + Name(i); }
std::string NamespaceNet::Address(int i) const {
  return "10." + std::to_string(subnet_) + ".0." + std::to_string(i + 1);
}

bool NamespaceNet::Ip(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {IpBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProgram(argv, log_) == 0;
}

Status NamespaceNet::Build() {
  const std::string net = "10." + std::to_string(subnet_) + ".";
  auto fail = [&](const std::string& what) { return Status::FailedPrecondition("cannot " + what + " (see " + log_ + ")"); };
  auto broken = [&](const std::string& what) { return Status::Internal("cannot " + what + " (see " + log_ + ")"); };
  for (int i = 0; i < nodes_; ++i) {
    // Refused namespaces are this machine's limit (skipped); a failure after the first
    // one was made is a bug to report (fails).
    if (!Ip({"netns", "add", Name(i)})) {
      return i == 0 ? fail("create network namespace " + Name(i)) : Status::Internal("cannot create " + Name(i));
    }
    made_.push_back(Name(i));
    const std::string ns = Name(i);
    if (!Ip({"-n", ns, "link", "set", "lo", "up"}) || !Ip({"-n", ns, "addr", "add", Address(i) + "/32", "dev", "lo"}) ||
        // The black hole: one end of a veth cable whose other end takes nothing (no
        // address, no forwarding); without ARP nothing waits on an answer either.
        !Ip({"-n", ns, "link", "add", "void", "type", "veth", "peer", "name", "void-end"}) ||
        !Ip({"-n", ns, "link", "set", "void", "arp", "off", "up"}) || !Ip({"-n", ns, "link", "set", "void-end", "up"})) {
      return broken("set up the loopback and black-hole interfaces in " + ns);
    }
    // The cable to the host: a /30 of its own, and the node's address routed over it.
    const std::string host_end = "c" + std::to_string(::getpid()) + "h" + std::to_string(i);
    const std::string link_net = net + std::to_string(100 + i) + ".";
    if (!Ip({"link", "add", host_end, "type", "veth", "peer", "name", "host", "netns", ns}) ||
        !Ip({"addr", "add", link_net + "1/30", "dev", host_end}) || !Ip({"link", "set", host_end, "up"}) ||
        !Ip({"-n", ns, "addr", "add", link_net + "2/30", "dev", "host"}) || !Ip({"-n", ns, "link", "set", "host", "up"}) ||
        !Ip({"route", "add", Address(i) + "/32", "dev", host_end})) {
      return broken("cable node " + std::to_string(i) + " to the host");
    }
  }
  for (int a = 0; a < nodes_; ++a) {
    for (int b = a + 1; b < nodes_; ++b) {
      // In a's namespace the cable to b is p<b>, in b's the cable to a is p<a>.
      if (!Ip({"link", "add", "p" + std::to_string(b), "netns", Name(a), "type", "veth", "peer", "name",
               "p" + std::to_string(a), "netns", Name(b)})) {
        return broken("cable nodes " + std::to_string(a) + " and " + std::to_string(b));
      }
      Cable(a, b, LinkCondition::kOpen);
    }
  }
  return Status::Ok();
}

void NamespaceNet::Cable(int a, int b, LinkCondition condition) {
  CAIRN_CHECK(condition != LinkCondition::kDelayed);
  const std::string state = condition == LinkCondition::kCut ? "down" : "up";
  for (auto [from, to] : {std::pair{a, b}, std::pair{b, a}}) {
    const std::string cable = "p" + std::to_string(to);
    Ip({"-n", Name(from), "link", "set", cable, state});
    if (condition == LinkCondition::kCut) {
      // The route over the cable went with it; one into the black hole would stay.
      Ip({"-n", Name(from), "route", "del", Address(to) + "/32", "dev", "void"});
      continue;
    }
    const std::string device = condition == LinkCondition::kDropped ? "void" : cable;
    Ip({"-n", Name(from), "route", "replace", Address(to) + "/32", "dev", device, "src", Address(from)});
  }
}

void NamespaceNet::Set(int a, int b, LinkCondition condition, uint64_t) { Cable(a, b, condition); }

void NamespaceNet::Partition(const std::vector<int>& side, LinkCondition condition) {
  for (int a : side) {
    for (int b = 0; b < nodes_; ++b) {
      if (std::find(side.begin(), side.end(), b) == side.end()) Cable(a, b, condition);
    }
  }
}

void NamespaceNet::HealAll() {
  for (int a = 0; a < nodes_; ++a) {
    for (int b = a + 1; b < nodes_; ++b) Cable(a, b, LinkCondition::kOpen);
  }
}

}  // namespace cairn::cluster
