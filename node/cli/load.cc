// `cairn load --network DIR`: the load generator. Drives a network made by
// `cairn testnet --load-accounts A` and started (scripts/bench.sh does both), and
// prints the report of node/load/report.h. Exits non-zero when a transaction was
// refused or lost, or the measurement itself failed. `--mode populate --create N`
// instead fills the chain with N new accounts, created by the load accounts (which
// must be admins: `cairn testnet --load-admins`) as fast as the chain takes them.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>
#include <vector>

#include "crypto/domain.h"
#include "crypto/ed25519.h"
#include "ledger/genesis.h"
#include "node/cli/client.h"
#include "node/cli/command.h"
#include "node/cli/options.h"
#include "node/config.h"
#include "node/load/driver.h"
#include "node/load/load_accounts.h"
#include "node/load/report.h"
#include "node/load/workload.h"

namespace cairn::cli {

namespace {

namespace fs = std::filesystem;

// Ed25519 verifications a second on this thread, with the node's own verifier
// (libsodium's, the fastest on this machine, so the ceiling is the machine's and not a
// choice of library): the median of five 0.4 s samples, since the machine may be
// shared and noisy.
double MeasureVerifyPerSecond() {
  const crypto::PrivateKey key = load::LoadAccountKey(0);
  const std::string message(120, 'm');  // about a transaction's signed bytes
  const Bytes signature = key.Sign(message);
  std::vector<double> samples;
  for (int sample = 0; sample < 5; ++sample) {
    const auto start = std::chrono::steady_clock::now();
    const auto end = start + std::chrono::milliseconds(400);
    uint64_t count = 0;
    while (std::chrono::steady_clock::now() < end) {
      for (int i = 0; i < 50; ++i) {
        if (!key.public_key().Verify(message, signature)) return 0;
      }
      count += 50;
    }
    samples.push_back(count / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return load::Quantile(samples, 0.5);
}

// The committed nonce of each of the first `accounts` load accounts, as `node` says.
Result<std::vector<uint64_t>> LoadAccountNonces(const std::string& node, uint32_t accounts) {
  NodeClient client(NodeFlags{node, ""});
  std::vector<uint64_t> nonces;
  for (uint32_t i = 0; i < accounts; ++i) {
    CAIRN_ASSIGN_OR_RETURN(auto response, client.Account(crypto::AddressOf(load::LoadAccountKey(i).public_key().bytes())));
    nonces.push_back(response.account().nonce());
  }
  return nonces;
}

// --mode populate: create `count` accounts, then one JSON line of what it took.
int Populate(load::LoadConfig config, const std::string& chain_id, const std::vector<uint64_t>& nonces, uint64_t count) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  std::fprintf(stderr, "signing %llu account creations over %zu load accounts...\n", static_cast<unsigned long long>(count),
               nonces.size());
  const load::Workload workload = load::SignAccountCreations(chain_id, nonces, 0, count, cores);
  config.mode = load::LoadMode::kSaturation;
  config.warmup_seconds = 0;
  config.seconds = 24 * 3600;
  config.until_all_committed = true;
  const auto start = std::chrono::steady_clock::now();
  load::LoadResult result = load::RunLoad(config, workload);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const uint64_t created = result.submitted - result.failed - result.lost - result.unsent;
  double rss_mb_max = 0;
  for (const auto& usage : result.usage) rss_mb_max = std::max(rss_mb_max, usage.rss_mb_max);
  std::printf("{\"mode\":\"populate\",\"created\":%llu,\"seconds\":%.1f,\"created_per_s\":%.0f,\"failed\":%llu,"
              "\"lost\":%llu,\"chain_height\":%llu,\"rss_mb_max\":%.1f}\n",
              static_cast<unsigned long long>(created), seconds, created / seconds,
              static_cast<unsigned long long>(result.failed), static_cast<unsigned long long>(result.lost),
              static_cast<unsigned long long>(result.chain_height), rss_mb_max);
  for (const auto& [failure, n] : result.failures) std::fprintf(stderr, "  %llu x %s\n", static_cast<unsigned long long>(n), failure.c_str());
  return result.error.empty() && result.failed == 0 && result.lost == 0 && created == count ? 0 : 1;
}

// How many load accounts genesis funds: keys 0, 1, ... while they are there.
uint32_t CountLoadAccounts(const v1::Genesis& genesis) {
  std::set<std::string> keys;
  for (const auto& account : genesis.accounts()) keys.insert(account.public_key());
  uint32_t count = 0;
  while (keys.count(load::LoadAccountKey(count).public_key().hex())) ++count;
  return count;
}

}  // namespace

int RunLoad(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  std::string network = "devnet", mode = "saturation";
  load::LoadConfig config;
  double rate_of_ceiling = 0;
  size_t down = 0;
  double down_at = -1;
  uint64_t create = 0;
  po::options_description options("load options");
  options.add_options()
      ("network", po::value(&network), "the folder of `cairn testnet --load-accounts A`, its nodes running (default devnet)")
      ("mode", po::value(&mode), "saturation (closed loop), rate (open loop), idle, or populate (default saturation)")
      ("create", po::value(&create), "populate: accounts to create (the load accounts must be admins)")
      ("inflight", po::value(&config.inflight), "saturation: transactions submitted and not yet committed (default 2000)")
      ("rate", po::value(&config.rate), "rate: submissions a second")
      ("rate-of-ceiling", po::value(&rate_of_ceiling), "rate: submissions a second as a fraction of the signature ceiling")
      ("seconds", po::value(&config.seconds), "the measured window (default 60)")
      ("warmup", po::value(&config.warmup_seconds), "seconds of load before the window (default 10)")
      ("drain", po::value(&config.drain_seconds), "seconds for acknowledged transactions to commit after it (default 30)")
      ("down", po::value(&down), "SIGKILL this many validators (the last ones; never node 0, whose block stream is read) "
                                 "before the warm-up, and submit only to the others")
      ("down-at", po::value(&down_at), "with --down: kill them this many seconds into the measured window instead");
  int exit_code = 0;
  if (!ParseOptions("usage: cairn load --network DIR [--mode saturation|rate|idle] [--inflight K] [--rate R | "
                    "--rate-of-ceiling F] [--seconds S] [--warmup W] [--down K [--down-at S]]\n"
                    "       cairn load --network DIR --mode populate --create N [--inflight K]",
                    options, args, &exit_code)) {
    return exit_code;
  }
  if (mode != "saturation" && mode != "rate" && mode != "idle" && mode != "populate") {
    return PrintError("--mode must be saturation, rate, idle or populate"), 2;
  }
  if ((mode == "populate") != (create > 0)) return PrintError("--create N goes with --mode populate, and N must be positive"), 2;
  config.mode = mode == "rate" ? load::LoadMode::kRate : mode == "idle" ? load::LoadMode::kIdle : load::LoadMode::kSaturation;
  if (config.mode == load::LoadMode::kRate && (config.rate > 0) == (rate_of_ceiling > 0)) {
    return PrintError("--mode rate needs exactly one of --rate and --rate-of-ceiling"), 2;
  }
  if (config.seconds <= 0 || config.warmup_seconds < 0 || config.inflight == 0) {
    return PrintError("--seconds and --inflight must be positive, --warmup not negative"), 2;
  }
  if (config.mode != load::LoadMode::kRate && (config.rate > 0 || rate_of_ceiling > 0)) {
    return PrintError("--rate and --rate-of-ceiling apply to --mode rate only"), 2;
  }
  if (down_at >= 0 && (down == 0 || down_at >= config.seconds)) {
    return PrintError("--down-at needs --down and a time inside the measured window"), 2;
  }

  auto genesis = ledger::ReadGenesisFile((fs::path(network) / "genesis.json").string());
  if (!genesis.ok()) return PrintError(genesis.status().ToString()), 1;
  for (size_t i = 0; fs::exists(fs::path(network) / ("node" + std::to_string(i)) / "config.json"); ++i) {
    const fs::path dir = fs::path(network) / ("node" + std::to_string(i));
    auto node = node::LoadNodeConfig((dir / "config.json").string());
    if (!node.ok()) return PrintError(node.status().ToString()), 1;
    config.nodes.push_back(node->grpc_listen());
    std::ifstream pid_file(dir / "cairnd.pid");
    pid_t pid = 0;
    if (pid_file >> pid) config.pids.push_back(pid);
  }
  if (config.nodes.empty()) return PrintError(network + " holds no nodeI/config.json"), 1;
  if (down > 0) {
    if (down >= config.nodes.size() || config.pids.size() != config.nodes.size()) {
      return PrintError("--down needs fewer validators than the network has, each with its cairnd.pid"), 2;
    }
    std::vector<pid_t> killed(config.pids.end() - static_cast<long>(down), config.pids.end());
    config.nodes.resize(config.nodes.size() - down);
    config.pids.resize(config.pids.size() - down);
    if (down_at >= 0) {
      config.kill_pids = std::move(killed);
      config.kill_at_seconds = down_at;
    } else {
      for (pid_t pid : killed) ::kill(pid, SIGKILL);
      std::fprintf(stderr, "killed %zu validators before the warm-up\n", down);
    }
  }
  const uint32_t accounts = CountLoadAccounts(*genesis);
  if (accounts == 0 && config.mode != load::LoadMode::kIdle) {
    return PrintError(network + "/genesis.json funds no load accounts (cairn testnet --load-accounts A)"), 1;
  }
  // Earlier runs on this network used nonces: sign after them.
  std::vector<uint64_t> nonces(accounts, 0);
  if (config.mode != load::LoadMode::kIdle) {
    auto committed = LoadAccountNonces(config.nodes[0], accounts);
    if (!committed.ok()) return PrintError(committed.status().ToString()), 1;
    nonces = std::move(*committed);
  }
  if (mode == "populate") return Populate(config, genesis->chain_id(), nonces, create);

  load::BenchFacts facts{.mode = mode,
                         .validators = static_cast<size_t>(genesis->validators_size()),
                         .accounts = accounts,
                         .cores = std::max(1u, std::thread::hardware_concurrency()),
                         .seconds = config.seconds,
                         .inflight = config.mode == load::LoadMode::kSaturation ? config.inflight : 0,
                         .down = down,
                         .down_at_seconds = down_at};
  std::fprintf(stderr, "measuring Ed25519 verification on one core...\n");
  facts.verify_per_s_one_core = MeasureVerifyPerSecond();
  const double ceiling = load::CeilingTps(facts);
  if (rate_of_ceiling > 0) config.rate = rate_of_ceiling * ceiling;
  facts.offered_rate = config.rate;

  // Enough for the whole run: the ceiling bounds what the chain can take (with room
  // for a noisy measurement of it), the rate bounds what is offered.
  const double run_seconds = config.warmup_seconds + config.seconds;
  size_t count = 0;
  if (config.mode == load::LoadMode::kSaturation) count = static_cast<size_t>(1.5 * ceiling * run_seconds) + config.inflight;
  if (config.mode == load::LoadMode::kRate) count = static_cast<size_t>(config.rate * run_seconds) + 1;
  std::fprintf(stderr, "signing %zu transfers over %u accounts...\n", count, accounts);
  const load::Workload workload = load::SignTransfers(genesis->chain_id(), nonces, count, facts.cores);
  std::fprintf(stderr, "%s load on %zu validators: %.0f s warm-up, %.0f s measured\n", mode.c_str(), config.nodes.size(),
               config.warmup_seconds, config.seconds);
  load::LoadResult result = load::RunLoad(config, workload);
  const bool clean = result.error.empty() && result.failed == 0 && result.lost == 0;
  load::PrintReport(stdout, facts, std::move(result));
  return clean ? 0 : 1;
}

}  // namespace cairn::cli
