// The node's JSON config: read, relative paths resolved against the config's folder,
// and every field checked, so that a bad config is one clear error at start.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "cairn/v1/config.pb.h"
#include "crypto/status.h"
#include "node/config_env.h"

namespace cairn::node {

// Reads `path` (unknown fields are errors naming the field), resolves key_file,
// data_dir, genesis_file and rpc_tls paths against its folder, and checks that the
// required fields are there and every address is host:port.
Result<v1::NodeConfig> LoadNodeConfig(const std::string& path);
// The same with the CAIRN_* variables `env` finds set over the file's values
// (config_env.h), before the checks.
Result<v1::NodeConfig> LoadNodeConfig(const std::string& path, const EnvLookup& env);
// The same for a config already read: `json` is its text, relative paths resolve
// against `folder`.
Result<v1::NodeConfig> ParseNodeConfig(std::string_view json, const std::string& folder);
// The checks and path resolution of both, on a parsed config.
Result<v1::NodeConfig> CheckNodeConfig(v1::NodeConfig config, const std::filesystem::path& folder);

}  // namespace cairn::node
