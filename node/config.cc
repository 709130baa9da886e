#include "node/config.h"

#include <filesystem>

#include "crypto/ed25519.h"
#include "ledger/json_file.h"
#include "net/transport.h"
#include "node/epoch_chain.h"
#include "node/log.h"

namespace cairn::node {

namespace {

std::string Resolve(const std::filesystem::path& folder, const std::string& path) {
  if (path.empty() || std::filesystem::path(path).is_absolute()) return path;
  return (folder / path).lexically_normal().string();
}

Status CheckAddress(const char* field, const std::string& address, bool required) {
  if (address.empty()) return required ? Status::InvalidArgument(std::string(field) + " is required") : Status::Ok();
  return net::ParseEndpoint(address).status().Annotate(field);
}

}  // namespace

Result<v1::NodeConfig> LoadNodeConfig(const std::string& path) {
  return LoadNodeConfig(path, [](const char*) -> const char* { return nullptr; });
}

Result<v1::NodeConfig> LoadNodeConfig(const std::string& path, const EnvLookup& env) {
  v1::NodeConfig config;
  CAIRN_RETURN_IF_ERROR(ledger::ReadJsonFile(path, &config).Annotate("config " + path));
  CAIRN_RETURN_IF_ERROR(ApplyEnvironment(&config, env));
  auto checked = CheckNodeConfig(std::move(config), std::filesystem::path(path).parent_path());
  if (!checked.ok()) return checked.status().Annotate("config " + path);
  return checked;
}

Result<v1::NodeConfig> ParseNodeConfig(std::string_view json, const std::string& folder) {
  v1::NodeConfig config;
  CAIRN_RETURN_IF_ERROR(ledger::ParseJson(json, &config).Annotate("config"));
  auto checked = CheckNodeConfig(std::move(config), folder);
  if (!checked.ok()) return checked.status().Annotate("config");
  return checked;
}

Result<v1::NodeConfig> CheckNodeConfig(v1::NodeConfig config, const std::filesystem::path& folder) {
  for (auto [field, value] : {std::pair{"key_file", config.mutable_key_file()},
                              std::pair{"data_dir", config.mutable_data_dir()},
                              std::pair{"genesis_file", config.mutable_genesis_file()}}) {
    if (value->empty()) return Status::InvalidArgument(std::string(field) + " is required");
    *value = Resolve(folder, *value);
  }
  if (config.has_rpc_tls()) {
    config.mutable_rpc_tls()->set_cert_file(Resolve(folder, config.rpc_tls().cert_file()));
    config.mutable_rpc_tls()->set_key_file(Resolve(folder, config.rpc_tls().key_file()));
  }
  if (Status s = CheckAddress("p2p_listen", config.p2p_listen(), true); !s.ok()) return s;
  if (Status s = CheckAddress("grpc_listen", config.grpc_listen(), false); !s.ok()) return s;
  if (Status s = CheckAddress("metrics_listen", config.metrics_listen(), false); !s.ok()) return s;
  if (Status s = CheckAddress("http_listen", config.http_listen(), false); !s.ok()) return s;
  if (!config.http_listen().empty() && config.grpc_listen().empty()) {
    return Status::InvalidArgument("http_listen needs grpc_listen: the HTTP API serves the gRPC services");
  }
  for (int i = 0; i < config.peers_size(); ++i) {
    const auto& peer = config.peers(i);
    const std::string where = "peers[" + std::to_string(i) + "]";
    if (Status s = CheckAddress("address", peer.address(), true); !s.ok()) return s.Annotate(where);
    if (auto key = crypto::ParseNewKeyHex(peer.public_key()); !key.ok()) {
      return key.status().Annotate(where + ".public_key");
    }
  }
  for (int i = 0; i < config.observers_size(); ++i) {
    if (auto key = crypto::ParseNewKeyHex(config.observers(i)); !key.ok()) {
      return key.status().Annotate("observers[" + std::to_string(i) + "]");
    }
  }
  if (auto level = ParseLogLevel(config.log_level()); !level.ok()) return level.status().Annotate("log_level");
  const std::string& mode = config.sync_mode();
  if (!mode.empty() && mode != "blocks" && mode != "state") {
    return Status::InvalidArgument("sync_mode '" + mode + "': say \"blocks\" (replay from genesis) or \"state\" (state sync)");
  }
  if (mode == "state" && config.peers_size() == 0) return Status::InvalidArgument("sync_mode \"state\" needs peers to fetch from");
  if (!config.state_sync_checkpoint().empty()) {
    if (mode != "state") return Status::InvalidArgument("state_sync_checkpoint is for sync_mode \"state\"");
    if (auto checkpoint = ParseCheckpoint(config.state_sync_checkpoint()); !checkpoint.ok()) {
      return checkpoint.status().Annotate("state_sync_checkpoint");
    }
  }
  if (config.has_consensus_token()) {
    v1::Pkcs11Config& token = *config.mutable_consensus_token();
    for (auto [field, value] : {std::pair{"module", token.mutable_module()},
                                std::pair{"token_label", token.mutable_token_label()},
                                std::pair{"pin_file", token.mutable_pin_file()}}) {
      if (value->empty()) return Status::InvalidArgument(std::string("consensus_token.") + field + " is required");
    }
    if (token.key_label().empty() == token.key_id().empty()) {
      return Status::InvalidArgument("consensus_token: name the key by key_label or by key_id, one of the two");
    }
    // A bare name ("libsofthsm2.so") is for the loader's search path.
    if (token.module().find('/') != std::string::npos) token.set_module(Resolve(folder, token.module()));
    token.set_pin_file(Resolve(folder, token.pin_file()));
  }
  return config;
}

}  // namespace cairn::node
