// `cairn init --name ORG --out DIR`: one organisation's node, set up on its own machine:
// a new node key (which never leaves DIR) and a config, and the one line the
// organisation sends to whoever assembles the genesis (`cairn genesis`). The config
// names no peers: validators dial each other at the addresses the chain lists.
#include <cstdio>
#include <filesystem>

#include "crypto/ed25519.h"
#include "ledger/json_file.h"
#include "node/cli/command.h"
#include "node/cli/files.h"
#include "node/cli/json_output.h"
#include "node/cli/options.h"
#include "node/config.h"

namespace cairn::cli {

int RunInit(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  namespace fs = std::filesystem;
  std::string name, out, address;
  std::string p2p = "0.0.0.0:26600", grpc = "127.0.0.1:26601", metrics = "127.0.0.1:26602", http = "127.0.0.1:26603";
  bool observer = false, json = false;
  po::options_description options("init options");
  options.add_options()
      ("name", po::value(&name)->required(), "the organisation's validator name, unique in the set")
      ("out", po::value(&out)->required(), "folder for node.key and config.json (created; never overwritten)")
      ("address", po::value(&address), "HOST:PORT where the other validators reach this node (goes in the genesis)")
      ("p2p", po::value(&p2p), "listen address for peers (default 0.0.0.0:26600)")
      ("grpc", po::value(&grpc), "listen address for the gRPC API (default 127.0.0.1:26601)")
      ("metrics", po::value(&metrics), "listen address for /metrics and the health probes (default 127.0.0.1:26602)")
      ("http", po::value(&http), "listen address for the HTTP/JSON API (default 127.0.0.1:26603; empty: none)")
      ("observer", po::bool_switch(&observer), "a node that follows the chain and does not validate")
      ("json", po::bool_switch(&json), "print JSON");
  int exit_code = 0;
  if (!ParseOptions("usage: cairn init --name ORG --out DIR [--address HOST:PORT] [--p2p|--grpc|--metrics|--http HOST:PORT]\n"
                    "                  [--observer] [--json]",
                    options, args, &exit_code)) {
    return exit_code;
  }
  if (name.empty() || name.size() > 64) return PrintError("--name must be 1 to 64 characters"), 2;

  v1::NodeConfig config;
  config.set_key_file("node.key");
  config.set_data_dir("data");
  config.set_genesis_file("genesis.json");
  config.set_p2p_listen(p2p);
  config.set_grpc_listen(grpc);
  config.set_metrics_listen(metrics);
  config.set_http_listen(http);
  config.set_log_level("info");
  config.set_validator(!observer);
  // The same checks cairnd makes, before anything is written.
  if (auto checked = node::CheckNodeConfig(config, out); !checked.ok()) return PrintError(checked.status().message()), 2;
  if (address.empty()) {
    const std::string port = p2p.substr(p2p.rfind(':') + 1);
    address = (p2p.rfind("0.0.0.0:", 0) == 0 || p2p.rfind("[::]:", 0) == 0) ? "PUBLIC_HOST:" + port : p2p;
  }

  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) return PrintError("cannot create " + out + ": " + ec.message()), 1;
  const fs::path dir(out);
  if (fs::exists(dir / "node.key")) return PrintError((dir / "node.key").string() + " exists; init never replaces a key"), 1;
  crypto::PrivateKey key = crypto::PrivateKey::Generate();
  if (Status s = key.WriteFile((dir / "node.key").string()); !s.ok()) return PrintError(s.message()), 1;
  if (Status s = WriteNewFile(dir / "config.json", ledger::ToJson(config)); !s.ok()) return PrintError(s.message()), 1;

  const std::string public_key = key.public_key().hex();
  const std::string validator_flag = "--validator " + name + "=" + public_key + "@" + address;
  if (json) {
    PrintJson({{"name", name},
               {"public_key", public_key},
               {"address", address},
               {"config", (dir / "config.json").string()},
               {"validator_flag", observer ? "" : validator_flag}});
    return 0;
  }
  std::printf("node key:   %s (mode 0600; it never leaves this machine)\nconfig:     %s\npublic key: %s\n",
              (dir / "node.key").c_str(), (dir / "config.json").c_str(), public_key.c_str());
  if (observer) {
    std::printf("an observer: the validators' operators add its public key to \"observers\" in their configs\n");
  } else {
    std::printf("send this to whoever assembles the genesis (cairn genesis):\n  %s\n", validator_flag.c_str());
  }
  std::printf("then put the genesis at %s and start: cairnd --config %s\n", (dir / "genesis.json").c_str(),
              (dir / "config.json").c_str());
  return 0;
}

}  // namespace cairn::cli
