// cairnd: runs one Cairn node from a JSON config until SIGINT or SIGTERM.
#include <signal.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <set>
#include <string>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <boost/program_options.hpp>

#include "node/config.h"
#include "node/log.h"
#include "node/node.h"
#include "node/state_bootstrap.h"
#include "node/version.h"

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "cairnd: %s\n", message.c_str());
  return 1;
}

// A misspelt variable would otherwise be silently ignored. The CLI's own variables
// (CAIRN_NODE, CAIRN_TLS_CA) and CAIRN_CONFIG are known too.
void WarnOfUnknownVariables() {
  std::set<std::string> known = {"CAIRN_CONFIG", "CAIRN_NODE", "CAIRN_TLS_CA"};
  for (const std::string& name : cairn::node::EnvironmentVariableNames()) known.insert(name);
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string variable(*entry, std::strcspn(*entry, "="));
    if (variable.rfind("CAIRN_", 0) == 0 && !known.count(variable)) {
      cairn::node::LogWarn("config", variable + " is set but is no cairnd setting (node/config_env.h); ignored");
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  namespace po = boost::program_options;
  std::string config_path, log_level;
  po::options_description options("cairnd: a Cairn ledger node");
  options.add_options()
      ("help,h", "show this help")
      ("version", "print the version and the git revision it was built from")
      ("config", po::value(&config_path), "the node's JSON config file (required; or CAIRN_CONFIG)")
      ("log-level", po::value(&log_level), "debug, info, warn or error (over CAIRN_LOG_LEVEL and the config)");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, options), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return Fail(e.what());
  }
  if (vm.count("help")) {
    std::cout << options;
    return 0;
  }
  if (vm.count("version")) {
    std::printf("cairnd %s (%s)\n", cairn::kVersion, cairn::kRevision);
    return 0;
  }
  if (config_path.empty() && std::getenv("CAIRN_CONFIG") != nullptr) config_path = std::getenv("CAIRN_CONFIG");
  if (config_path.empty()) return Fail("--config FILE is required (cairn init or cairn testnet writes one)");

  // Signals are taken by sigwait below, in one thread of its own: block them before any
  // other thread exists so that every thread inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // A file-size limit (ulimit -f) makes a write fail with EFBIG, handled like a full
  // disk (the node stops committing and retries), instead of killing the process.
  signal(SIGXFSZ, SIG_IGN);

  // A flag over the environment over the file (config_env.h).
  if (!log_level.empty()) setenv("CAIRN_LOG_LEVEL", log_level.c_str(), 1);
  auto config = cairn::node::LoadNodeConfig(config_path, [](const char* name) { return std::getenv(name); });
  if (!config.ok()) return Fail(config.status().ToString());
  auto level = cairn::node::ParseLogLevel(config->log_level());
  if (!level.ok()) return Fail(level.status().ToString());
  cairn::node::SetLogLevel(*level);
  WarnOfUnknownVariables();

  // One thread takes the stop signal for the whole run: a state sync before the node
  // opens stops on it as the node does.
  // Static: the thread is detached and may outlive main's frame on an early return.
  static sigset_t waited_signals = stop_signals;
  static std::atomic<bool> stop{false};
  static std::mutex stop_mu;
  static std::condition_variable stopped;
  static int signal_number = 0;
  std::thread signals([] {
    sigwait(&waited_signals, &signal_number);
    cairn::node::LogInfo("node", std::string("received ") + (signal_number == SIGINT ? "SIGINT" : "SIGTERM") + ", stopping");
    std::lock_guard lock(stop_mu);
    stop = true;
    stopped.notify_all();
  });
  signals.detach();  // it outlives an early return; the process ends with main

  auto joined = cairn::node::RunStateBootstrap(*config, stop);
  if (stop) return 0;
  if (!joined.ok()) return Fail("state sync: " + joined.status().ToString());
  if (joined->ran) {
    cairn::node::LogInfo("state-sync", "joined at block " + std::to_string(joined->height) + " with " +
                                           std::to_string(joined->accounts) + " accounts in " +
                                           std::to_string(joined->seconds) + " s (" +
                                           std::to_string(joined->chunk_bytes) + " bytes of state from " +
                                           std::to_string(joined->chunks_by_peer.size()) + " peers, " +
                                           std::to_string(joined->lies) + " bad answers); opening the node");
  }

  auto node = cairn::node::Node::Open(*config);
  if (!node.ok()) return Fail(node.status().ToString());
  cairn::Status started = (*node)->Start();
  if (!started.ok()) return Fail(started.ToString());

  std::unique_lock lock(stop_mu);
  stopped.wait(lock, [&] { return stop.load(); });
  (*node)->Stop();
  return 0;
}
