// cairn-faults: real cairnd validators on 127.0.0.1 under a steady load of signed
// transfers, with faults injected one after another (tests/cluster/fault_injector.h):
// kills and restarts, pauses, cut, black-holed and slowed links through loopback
// proxies, the leader isolated, splits, a truncated LevelDB file, clock steps. After
// each fault is healed no node may have exited and the cluster must commit again within
// --recover-s; at the end every node must catch up, the chains must agree at every
// height, block times must not go back or run ahead, every transaction acknowledged as
// committed must be in every node's ledger with the receipt it was acknowledged with,
// reads made throughout must never go back in height on a node nor differ between nodes
// at one height (tests/cluster/read_watch.h), `cairn audit` must pass on every node's data
// and no log may hold key material. With --twin the last validator is Byzantine
// throughout: a second process signs with its key, and the chain may hold evidence
// against it (against no one else). With --netns each validator runs in a network
// namespace of its own on its own address, and links are cut by bringing cables down
// (tests/cluster/netns.h; no delays there); where namespaces cannot be made the run says
// why and exits 77 (skipped). Prints one line per fault and a one-line summary; exits 1
// (saying why) when any of that fails.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include <boost/program_options.hpp>

#include "tests/cluster/chain_checks.h"
#include "tests/cluster/cluster.h"
#include "tests/cluster/fault_injector.h"
#include "tests/cluster/link_proxy.h"
#include "tests/cluster/netns.h"
#include "tests/cluster/read_watch.h"
#include "tests/cluster/steady_load.h"
#include "tests/support/seed.h"

namespace cairn::cluster {
namespace {

using Clock = std::chrono::steady_clock;
constexpr uint64_t kRoundTimeoutMs = 2'000;  // cairn testnet's genesis
constexpr int64_t kMaxFutureTimestampMs = 30'000;  // node.cc

// The last line of a node's log: why it exited, in the failure message itself (CI keeps
// only the harness's output, not the node's folder).
std::string LastLine(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  return last;
}

struct Options {
  int validators = 4;
  int faults = 20;
  int accounts = 40;
  int recover_s = 30;
  int catch_up_s = 120;
  bool twin = false;
  bool netns = false;
  bool keep = false;
};

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int Fail(Cluster& cluster, const std::string& why, uint64_t seed) {
  cluster.KeepDir();
  std::printf("cairn-faults: FAIL (seed %llu): %s; logs and data kept in %s\n", static_cast<unsigned long long>(seed),
              why.c_str(), cluster.dir().c_str());
  return 1;
}

constexpr int kSkipped = 77;  // CTest's SKIP_RETURN_CODE

int Run(const Options& o, uint64_t seed) {
  Cluster cluster(o.validators, 0, o.accounts);
  if (o.keep) cluster.KeepDir();
  // Destroyed before the cluster: a namespace deleted while its nodes run lasts until
  // they exit, when the cluster stops them.
  std::unique_ptr<Links> links;
  if (o.netns) {
    auto net = NamespaceNet::Create(o.validators, cluster.dir() + "/netns.log");
    if (!net.ok() && net.status().code() == StatusCode::kFailedPrecondition) {
      std::printf("cairn-faults: SKIP: cannot run validators in network namespaces here: %s\n",
                  net.status().ToString().c_str());
      return kSkipped;
    }
    if (!net.ok()) return Fail(cluster, "network namespaces: " + net.status().ToString(), seed);
    cluster.UseNamespaces(**net);
    std::printf("cairn-faults: validators in network namespaces, node 0 at %s\n", (*net)->Address(0).c_str());
    links = std::move(*net);
  } else {
    std::vector<int> ports;
    for (int i = 0; i < o.validators; ++i) ports.push_back(cluster.P2pPort(i));
    auto proxies = std::make_unique<LinkProxies>(ports);
    cluster.RoutePeers([&](int from, int to) { return proxies->Port(from, to); });
    links = std::move(proxies);
  }
  cluster.StartAll();
  // The twin makes validator n-1 Byzantine for the whole run. Every other fault is
  // healed before liveness is checked, so at most f validators are faulty then.
  if (o.twin) cluster.StartTwin(o.validators - 1);
  if (!Cluster::WaitFor([&] { return MaxHeight(cluster) >= 1; }, std::chrono::seconds(60))) {
    return Fail(cluster, "the cluster did not commit its first block within 60 s", seed);
  }
  SteadyLoad load(cluster, o.accounts, 4, seed);
  load.Start();
  ReadWatch reads(cluster, o.accounts, seed);
  reads.Start();
  FaultInjector injector(cluster, *links, seed, kRoundTimeoutMs);
  injector.OnDiskDamage([&](int node) { reads.Forget(node); });
  std::map<std::string, int> injected;
  double recover_max_s = 0, recover_last_s = 0;
  const auto run_start = Clock::now();
  for (int k = 1; k <= o.faults; ++k) {
    const Fault fault = injector.Next();
    const std::string what = injector.Inject(fault);
    ++injected[FaultName(fault)];
    if (!injector.failure().empty()) return Fail(cluster, "fault " + std::to_string(k) + ": " + injector.failure(), seed);
    // Healed: a block committed after this point shows the cluster is live again.
    const auto healed = Clock::now();
    const uint64_t before = MaxHeight(cluster);
    if (!Cluster::WaitFor([&] { return MaxHeight(cluster) >= before + 2; }, std::chrono::seconds(o.recover_s))) {
      return Fail(cluster, "no commit within " + std::to_string(o.recover_s) + " s after fault " + std::to_string(k) + " (" +
                      what + "); stuck at height " + std::to_string(before),
                  seed);
    }
    if (o.twin && !cluster.TwinsAlive()) {
      return Fail(cluster, "the twin exited (see " + cluster.dir() + "/net/twin0/cairnd.log)", seed);
    }
    // No node may have exited meanwhile (a restart into damage must not crash-loop).
    for (int i = 0; i < o.validators; ++i) {
      if (!cluster.Alive(i)) {
        return Fail(cluster,
                    "node " + std::to_string(i) + " exited after fault " + std::to_string(k) + " (" + what +
                        "); its log ends with \"" + LastLine(cluster.NodeDir(i) + "/cairnd.log") + "\"; see " +
                        cluster.NodeDir(i) + "/cairnd.log",
                    seed);
      }
    }
    recover_last_s = SecondsSince(healed);
    recover_max_s = std::max(recover_max_s, recover_last_s);
    std::printf("fault %d/%d %s: %s; commits again after %.1f s, %zu txs acknowledged\n", k, o.faults,
                FaultName(fault), what.c_str(), recover_last_s, load.acknowledged());
    std::fflush(stdout);
  }
  load.Stop();
  reads.Stop();
  const auto acknowledged = load.AcknowledgedReceipts();

  // Every node catches up with the highest, then the chains and the ledgers are compared.
  const auto catch_up_start = Clock::now();
  const uint64_t target = MaxHeight(cluster);
  for (int i = 0; i < o.validators; ++i) {
    if (!Cluster::WaitFor([&] { return cluster.Height(i) >= target; }, std::chrono::seconds(o.catch_up_s))) {
      return Fail(cluster, "node " + std::to_string(i) + " stayed at height " + std::to_string(cluster.Height(i)) +
                      ", the others reached " + std::to_string(target),
                  seed);
    }
  }
  const double catch_up_s = SecondsSince(catch_up_start);
  const ChainComparison chains = CompareChains(cluster, target);
  size_t missing = 0;
  // Read-your-writes across nodes: each acknowledged transfer on every node, with the
  // receipt the acknowledging node gave.
  for (int i = 0; i < o.validators; ++i) missing += CountNotAsAcknowledged(cluster, i, acknowledged);
  // Evidence may convict the twinned validator only (testnet names validator i "node<i>").
  const auto evidence = cluster.Evidence(0);
  if (!evidence) return Fail(cluster, "node 0 does not list its evidence", seed);
  const std::string twinned = "node" + std::to_string(o.validators - 1);
  for (const v1::EvidenceRecord& record : evidence->records()) {
    if (!o.twin || record.validator_name() != twinned) {
      return Fail(cluster, "the chain holds evidence against " + record.validator_name() + ", which is honest", seed);
    }
  }
  for (int i = 0; i < o.validators; ++i) cluster.Signal(i, SIGTERM);
  int audited = 0;
  for (int i = 0; i < o.validators; ++i) audited += AuditPasses(cluster, i) ? 1 : 0;
  const int leaking_logs = LogsWithKeyMaterial(cluster);

  std::string kinds;
  for (const auto& [name, count] : injected) kinds += (kinds.empty() ? "" : ", ") + name + " " + std::to_string(count);
  std::printf(
      "cairn-faults: seed %llu, %d validators%s, %d faults in %.0f s (%s); %zu txs acknowledged, %zu missing from a "
      "node or with another receipt; %zu reads, %zu went back in height, %zu disagreed; %llu forks over %llu heights; block times: %llu regressions, at most %.1f s ahead; audit passed on "
      "%d/%d; %d pieces of equivocation evidence; recovery max %.1f s, after the last heal %.1f s, "
      "catch-up %.1f s; %zu submit failures, %zu resubmissions\n",
      static_cast<unsigned long long>(seed), o.validators, o.twin ? " (the last one twinned)" : "", o.faults, SecondsSince(run_start), kinds.c_str(),
      acknowledged.size(), missing, reads.reads(), reads.regressions(), reads.disagreements(),
      static_cast<unsigned long long>(chains.forks),
      static_cast<unsigned long long>(chains.heights), static_cast<unsigned long long>(chains.timestamp_regressions),
      static_cast<double>(chains.max_ahead_ms) / 1000, audited, o.validators, evidence->records_size(), recover_max_s,
      recover_last_s,
      catch_up_s, load.submit_failures(), load.resubmissions());
  if (chains.forks > 0) return Fail(cluster, "chains differ: " + chains.first, seed);
  if (chains.timestamp_regressions > 0) return Fail(cluster, "a block is stamped earlier than its parent", seed);
  // A validator votes only for blocks at most 30 s ahead of its clock (node.cc).
  if (chains.max_ahead_ms > kMaxFutureTimestampMs + 5'000) {
    return Fail(cluster, "a block is stamped " + std::to_string(chains.max_ahead_ms) + " ms ahead of the real time", seed);
  }
  if (missing > 0) {
    return Fail(cluster, std::to_string(missing) + " acknowledged transactions missing or with another receipt (counted per node)", seed);
  }
  if (reads.regressions() + reads.disagreements() > 0) return Fail(cluster, "reads: " + reads.first_violation(), seed);
  if (reads.reads() == 0) return Fail(cluster, "no read was answered: the reads did not run", seed);
  if (leaking_logs > 0) return Fail(cluster, std::to_string(leaking_logs) + " node logs hold private key material", seed);
  if (audited != o.validators) return Fail(cluster, "cairn audit failed on a node (see audit-node*.log in the cluster dir)", seed);
  if (acknowledged.empty()) return Fail(cluster, "no transaction was acknowledged: the load did not run", seed);
  std::printf("cairn-faults: PASS\n");
  return 0;
}

}  // namespace
}  // namespace cairn::cluster

int main(int argc, char** argv) {
  namespace po = boost::program_options;
  cairn::cluster::Options o;
  uint64_t seed = 0;
  po::options_description options("usage: cairn-faults [options]");
  options.add_options()("help", "this text")
      ("validators", po::value(&o.validators)->default_value(4), "validators (4 to 10)")
      ("faults", po::value(&o.faults)->default_value(20), "faults to inject, one after another (every other one a kill)")
      ("accounts", po::value(&o.accounts)->default_value(40), "load accounts, each with one transfer in flight")
      ("recover-s", po::value(&o.recover_s)->default_value(30), "bound on the time to commit again after a heal")
      ("catch-up-s", po::value(&o.catch_up_s)->default_value(120), "bound on every node reaching the highest height")
      ("twin", po::bool_switch(&o.twin), "also run a second process with the last validator's key (equivocation)")
      ("netns", po::bool_switch(&o.netns), "each validator in a network namespace of its own (root; no delays)")
      ("keep", po::bool_switch(&o.keep), "keep the cluster's folder (logs, data) after a passing run too")
      ("seed", po::value(&seed), "replay a run (default: CAIRN_TEST_SEED, else random)");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, options), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cairn-faults: %s\n", e.what());
    return 2;
  }
  if (vm.count("help")) {
    std::cout << options;
    return 0;
  }
  if (o.validators < 4 || o.validators > 10 || o.faults < 1 || o.accounts < 1) {
    std::fprintf(stderr, "cairn-faults: --validators 4..10, --faults and --accounts at least 1\n");
    return 2;
  }
  if (o.twin && o.netns) {
    std::fprintf(stderr, "cairn-faults: --twin runs on loopback only (the twin has no namespace of its own)\n");
    return 2;
  }
  if (!vm.count("seed")) seed = cairn::test::TestSeed("cairn-faults");
  return cairn::cluster::Run(o, seed);
}
