// `cairn testnet --validators N --out DIR [--base-port P] [--chain-id ID]
// [--load-accounts A]`: everything a local network needs, in a fixed layout that
// scripts and people can find:
//   DIR/genesis.json
//   DIR/nodeI/config.json, DIR/nodeI/node.key   (I = 0..N-1)
//   DIR/client.key                              an admin account funded in genesis
// Node I listens on 127.0.0.1: p2p on P+4I, gRPC on P+4I+1, metrics on P+4I+2, HTTP on P+4I+3.
// --load-accounts funds the load generator's accounts (node/load/load_accounts.h),
// whose keys are public: for benchmarks only.
// --pkcs11-validators K makes a token "cairn-nodeI" for each of the first K validators
// in the PKCS#11 module (SoftHSM2's by default, whose token folder SOFTHSM2_CONF names:
// the nodes must run with the same environment), generates the consensus key in it,
// and writes DIR/nodeI/token.pin (mode 0600) and the config's consensus_token; node.key
// stays the node's link key (genesis network_key).
#include <openssl/rand.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "cairn/v1/config.pb.h"
#include "cairn/v1/genesis.pb.h"
#include "crypto/check.h"
#include "crypto/domain.h"
#include "crypto/ed25519.h"
#include "ledger/genesis.h"
#include "ledger/json_file.h"
#include "node/cli/command.h"
#include "node/cli/files.h"
#include "node/cli/options.h"
#include "node/load/load_accounts.h"
#include "node/pkcs11_token.h"

namespace cairn::cli {

namespace {

constexpr uint64_t kClientFunds = 1'000'000'000'000;

// Four ports a node, from the base port P.
constexpr int kPortsPerNode = 4;

std::string Address(int port) { return "127.0.0.1:" + std::to_string(port); }

// A devnet token's PIN: random, in a file only its node reads.
std::string NewPin() {
  unsigned char bytes[12];
  CAIRN_CHECK(RAND_bytes(bytes, sizeof(bytes)) == 1);
  return ToHex(ByteView(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

// Makes token "cairn-NAME" with a consensus key in it; its config goes in `config`.
Result<crypto::PublicKey> ConsensusKeyInToken(const std::string& module, const std::string& name,
                                              const std::filesystem::path& node_dir, v1::Pkcs11Config* config) {
  const node::TokenAddress address{.module = module, .token_label = "cairn-" + name, .pin = NewPin()};
  CAIRN_RETURN_IF_ERROR(WriteNewFile(node_dir / "token.pin", address.pin + "\n", 0600));
  CAIRN_RETURN_IF_ERROR(node::Pkcs11Token::InitToken(address, NewPin()));
  CAIRN_ASSIGN_OR_RETURN(auto token, node::Pkcs11Token::Open(address));
  CAIRN_ASSIGN_OR_RETURN(node::TokenKey key, token->GenerateKey("consensus", ByteView("\x01", 1)));
  config->set_module(module);
  config->set_token_label(address.token_label);
  config->set_key_label("consensus");
  config->set_pin_file("token.pin");
  return key.public_key;
}
int P2pPort(int base_port, int i) { return base_port + kPortsPerNode * i; }

}  // namespace

int RunTestnet(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  int validators = 4;
  std::string out;
  int base_port = 26600;
  std::string chain_id = "cairn-devnet";
  uint32_t load_accounts = 0;
  uint64_t epoch_length = 0;
  uint32_t admin_threshold = 0;
  uint64_t min_block_interval_ms = 0;
  bool load_admins = false;
  int pkcs11_validators = 0;
  std::string pkcs11_module = "/usr/lib/softhsm/libsofthsm2.so";
  po::options_description options("testnet options");
  options.add_options()
      ("validators", po::value(&validators), "number of validators (default 4; n = 3f + 1 tolerates f faults)")
      ("out", po::value(&out)->required(), "folder to create (must not exist or be empty)")
      ("base-port", po::value(&base_port),
       "node I uses ports P+4I (p2p), P+4I+1 (gRPC), P+4I+2 (metrics), P+4I+3 (HTTP); default 26600")
      ("chain-id", po::value(&chain_id), "the chain id (default cairn-devnet)")
      ("load-accounts", po::value(&load_accounts),
       "also fund this many benchmark accounts whose keys anyone can derive (cairn-load); never on a real network")
      ("load-admins", po::bool_switch(&load_admins),
       "make the benchmark accounts admins, so that they can create accounts (cairn load --mode populate)")
      ("epoch-length", po::value(&epoch_length),
       "validator-set changes apply at heights that are multiples of this (default 100)")
      ("admin-threshold", po::value(&admin_threshold), "admin approvals a validator-set change needs (default 1)")
      ("min-block-interval-ms", po::value(&min_block_interval_ms),
       "a leader proposes no sooner than this after the parent block: fewer, fuller blocks (default: the node's, 6)")
      ("pkcs11-validators", po::value(&pkcs11_validators),
       "the first K validators keep their consensus keys in a PKCS#11 token each (SoftHSM2 for a devnet; run the "
       "nodes with the same SOFTHSM2_CONF)")
      ("pkcs11-module", po::value(&pkcs11_module), "the PKCS#11 module for --pkcs11-validators (default SoftHSM2's)");
  int exit_code = 0;
  if (!ParseOptions("usage: cairn testnet --validators N --out DIR [--base-port P] [--chain-id ID] [--load-accounts A [--load-admins]]\n"
                    "                     [--epoch-length N] [--admin-threshold N] [--min-block-interval-ms MS]\n"
                    "                     [--pkcs11-validators K [--pkcs11-module SO]]",
                    options, args, &exit_code)) {
    return exit_code;
  }
  if (validators < 1 || validators > 100) return PrintError("--validators must be 1 to 100"), 2;
  if (pkcs11_validators < 0 || pkcs11_validators > validators) {
    return PrintError("--pkcs11-validators must be 0 to the number of validators"), 2;
  }
  if (load_accounts > 1'000'000) return PrintError("--load-accounts must be at most 1000000"), 2;
  if (base_port < 1024 || base_port + kPortsPerNode * validators > 65535) return PrintError("--base-port out of range"), 2;
  namespace fs = std::filesystem;
  const fs::path dir(out);
  std::error_code ec;
  if (fs::exists(dir) && !fs::is_empty(dir, ec)) {
    PrintError(out + " exists and is not empty; testnet never overwrites keys");
    return 1;
  }
  fs::create_directories(dir, ec);
  if (ec) return PrintError("cannot create " + out + ": " + ec.message()), 1;

  v1::Genesis genesis;
  genesis.set_chain_id(chain_id);
  if (epoch_length > 0) genesis.mutable_governance()->set_epoch_length(epoch_length);
  if (admin_threshold > 0) genesis.mutable_governance()->set_admin_threshold(admin_threshold);
  if (min_block_interval_ms > 0) genesis.mutable_consensus()->set_min_block_interval_ms(min_block_interval_ms);
  genesis.set_genesis_time_ms(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count()));
  std::vector<crypto::PublicKey> keys;
  std::vector<v1::Pkcs11Config> tokens(validators);
  for (int i = 0; i < validators; ++i) {
    const fs::path node_dir = dir / ("node" + std::to_string(i));
    fs::create_directories(node_dir, ec);
    if (ec) return PrintError("cannot create " + node_dir.string() + ": " + ec.message()), 1;
    crypto::PrivateKey key = crypto::PrivateKey::Generate();
    if (Status s = key.WriteFile((node_dir / "node.key").string()); !s.ok()) return PrintError(s.message()), 1;
    keys.push_back(key.public_key());
    v1::GenesisValidator* v = genesis.add_validators();
    v->set_name("node" + std::to_string(i));
    v->set_public_key(key.public_key().hex());
    v->set_address(Address(P2pPort(base_port, i)));
    if (i < pkcs11_validators) {
      auto in_token = ConsensusKeyInToken(pkcs11_module, v->name(), node_dir, &tokens[i]);
      if (!in_token.ok()) return PrintError(in_token.status().Annotate(v->name() + "'s token").message()), 1;
      v->set_public_key(in_token->hex());
      v->set_network_key(key.public_key().hex());
    }
  }
  crypto::PrivateKey client = crypto::PrivateKey::Generate();
  if (Status s = client.WriteFile((dir / "client.key").string()); !s.ok()) return PrintError(s.message()), 1;
  v1::GenesisAccount* account = genesis.add_accounts();
  account->set_public_key(client.public_key().hex());
  account->set_role(v1::ROLE_ADMIN);
  v1::Balance* balance = account->add_balances();
  balance->set_asset("CAIRN");
  balance->set_amount(kClientFunds);
  for (uint32_t i = 0; i < load_accounts; ++i) {
    v1::GenesisAccount* load = genesis.add_accounts();
    load->set_public_key(load::LoadAccountKey(i).public_key().hex());
    load->set_role(load_admins ? v1::ROLE_ADMIN : v1::ROLE_USER);
    v1::Balance* funds = load->add_balances();
    funds->set_asset(load::kLoadAsset);
    funds->set_amount(load::kLoadAccountFunds);
  }
  // The registry from the start: every asset of the genesis balances is defined, the
  // client account its issuer (README, "The ledger model"). And closed proposals
  // committed to, so that a pruning node proves those it keeps.
  genesis.set_asset_registry(true);
  genesis.mutable_governance()->set_commit_closed_proposals(true);
  for (const std::string& name : std::set<std::string>{"CAIRN", load::kLoadAsset}) {
    v1::GenesisAsset* asset = genesis.add_assets();
    asset->set_name(name);
    asset->add_issuers(client.public_key().hex());
  }
  if (Status s = ledger::ValidateGenesis(genesis); !s.ok()) return PrintError(s.message()), 1;
  if (Status s = WriteNewFile(dir / "genesis.json", ledger::ToJson(genesis)); !s.ok()) return PrintError(s.message()), 1;

  for (int i = 0; i < validators; ++i) {
    v1::NodeConfig config;
    config.set_key_file("node.key");
    config.set_data_dir("data");
    config.set_genesis_file("../genesis.json");
    config.set_p2p_listen(Address(P2pPort(base_port, i)));
    config.set_grpc_listen(Address(P2pPort(base_port, i) + 1));
    config.set_metrics_listen(Address(P2pPort(base_port, i) + 2));
    config.set_http_listen(Address(P2pPort(base_port, i) + 3));
    config.set_log_level("info");
    config.set_validator(true);
    if (i < pkcs11_validators) *config.mutable_consensus_token() = tokens[i];
    for (int j = 0; j < validators; ++j) {
      if (j == i) continue;
      v1::PeerConfig* peer = config.add_peers();
      peer->set_address(Address(P2pPort(base_port, j)));
      peer->set_public_key(keys[j].hex());
    }
    const fs::path path = dir / ("node" + std::to_string(i)) / "config.json";
    if (Status s = WriteNewFile(path, ledger::ToJson(config)); !s.ok()) return PrintError(s.message()), 1;
  }
  std::printf("testnet of %d validators in %s (chain %s)\n", validators, out.c_str(), chain_id.c_str());
  for (int i = 0; i < validators; ++i) {
    std::printf("  node%d: p2p %s, gRPC %s, metrics http://%s/metrics, HTTP http://%s\n", i,
                Address(P2pPort(base_port, i)).c_str(), Address(P2pPort(base_port, i) + 1).c_str(),
                Address(P2pPort(base_port, i) + 2).c_str(), Address(P2pPort(base_port, i) + 3).c_str());
  }
  std::printf("client key: %s/client.key (address %s, %llu CAIRN)\n", out.c_str(),
              ToHex(crypto::AddressOf(client.public_key().bytes())).c_str(), static_cast<unsigned long long>(kClientFunds));
  if (pkcs11_validators > 0) {
    std::printf("consensus keys of node0..node%d are in tokens of %s: start those nodes with the same environment%s\n",
                pkcs11_validators - 1, pkcs11_module.c_str(),
                std::getenv("SOFTHSM2_CONF") ? (" (SOFTHSM2_CONF=" + std::string(std::getenv("SOFTHSM2_CONF")) + ")").c_str() : "");
  }
  std::printf("start a node: build/bin/cairnd --config %s/node0/config.json\n", out.c_str());
  return 0;
}

}  // namespace cairn::cli
