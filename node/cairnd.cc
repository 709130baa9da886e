// cairnd: runs one Cairn node from a JSON config until SIGINT or SIGTERM.
#include <signal.h>

#include <cstdio>
#include <iostream>

#include <boost/program_options.hpp>

#include "node/config.h"
#include "node/log.h"
#include "node/node.h"
#include "node/version.h"

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "cairnd: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  namespace po = boost::program_options;
  std::string config_path, log_level;
  po::options_description options("cairnd: a Cairn ledger node");
  options.add_options()
      ("help,h", "show this help")
      ("version", "print the version and the git revision it was built from")
      ("config", po::value(&config_path), "the node's JSON config file (required)")
      ("log-level", po::value(&log_level), "debug, info, warn or error (overrides the config)");
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
  if (config_path.empty()) return Fail("--config FILE is required (cairn testnet writes one per node)");

  // Signals are taken by sigwait below, in this thread only: block them before any
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

  auto config = cairn::node::LoadNodeConfig(config_path);
  if (!config.ok()) return Fail(config.status().ToString());
  auto level = cairn::node::ParseLogLevel(log_level.empty() ? config->log_level() : log_level);
  if (!level.ok()) return Fail(level.status().ToString());
  cairn::node::SetLogLevel(*level);

  auto node = cairn::node::Node::Open(*config);
  if (!node.ok()) return Fail(node.status().ToString());
  cairn::Status started = (*node)->Start();
  if (!started.ok()) return Fail(started.ToString());

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  cairn::node::LogInfo("node", std::string("received ") + (signal_number == SIGINT ? "SIGINT" : "SIGTERM") + ", stopping");
  (*node)->Stop();
  return 0;
}
