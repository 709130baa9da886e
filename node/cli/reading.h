// What every read command shares: the node and --json options, the trust options of
// the verified reads, and the few helpers around them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <google/protobuf/message.h>

#include "node/cli/client.h"
#include "node/cli/json_output.h"
#include "node/cli/trust.h"

namespace cairn::cli {

struct Reading {
  NodeFlags node;
  bool json = false;
  TrustFlags trust;  // the verified reads'
};

// Saves an answer with its proof as JSON, for `cairn verify-proof` to check offline.
void WriteProofFile(const std::string& path, const google::protobuf::Message& answer);
// `cairn account ADDR` means `cairn account --address ADDR`: the first argument, when it
// is not an option, is the value of `flag`.
std::vector<std::string> WithPositional(std::vector<std::string> args, const char* flag);
void AddReading(boost::program_options::options_description& options, Reading* reading);
void AddVerifiedReading(boost::program_options::options_description& options, Reading* reading);
// The light client for a verified read; nullopt with --no-verify.
Result<std::optional<Trust>> OpenTrust(const Reading& reading, NodeClient& client);
// The JSON fields saying what was verified, or that nothing was.
Json VerificationJson(const std::optional<Trust>& trust, const std::optional<node::VerifiedHeader>& verified);
// Milliseconds since the Unix epoch, by this machine's clock.
uint64_t NowMs();

}  // namespace cairn::cli
