// CAIRN_* environment variables over the config file, for containers and systemd units
// that set a value without writing a file. Precedence: a cairnd flag (--log-level) over
// the environment over the file. Each singular field of NodeConfig is CAIRN_ and its
// name in capitals (CAIRN_GRPC_LISTEN, CAIRN_MAX_SUBMITS_PER_SECOND, CAIRN_VALIDATOR);
// a field of a nested message adds its name (CAIRN_RPC_TLS_CERT_FILE). Lists (peers,
// observers) come only from the file. Relative paths resolve against the config's
// folder, as in the file.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cairn/v1/config.pb.h"
#include "crypto/status.h"

namespace cairn::node {

// Looks a variable up: its value, or null when it is not set (::getenv by default).
using EnvLookup = std::function<const char*(const char* name)>;

// Sets every field whose variable is set; an error names the variable whose value does
// not parse as its field's type.
Status ApplyEnvironment(v1::NodeConfig* config, const EnvLookup& lookup);

// Every variable name ApplyEnvironment reads.
std::vector<std::string> EnvironmentVariableNames();

}  // namespace cairn::node
