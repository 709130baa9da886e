#include "node/cli/reading.h"

#include <chrono>
#include <fstream>

#include "ledger/json_file.h"
#include "node/cli/command.h"
#include "node/cli/options.h"

namespace cairn::cli {

namespace po = boost::program_options;

void WriteProofFile(const std::string& path, const google::protobuf::Message& answer) {
  std::ofstream out(path, std::ios::trunc);
  out << ledger::ToJson(answer);
  if (!out) PrintError("cannot write " + path);
}

std::vector<std::string> WithPositional(std::vector<std::string> args, const char* flag) {
  if (!args.empty() && args[0].rfind("--", 0) != 0) args.insert(args.begin(), flag);
  return args;
}

void AddReading(po::options_description& options, Reading* reading) {
  options.add_options()("json", po::bool_switch(&reading->json), "print JSON");
  AddNodeOption(options, &reading->node);
}

void AddVerifiedReading(po::options_description& options, Reading* reading) {
  AddReading(options, reading);
  AddTrustOptions(options, &reading->trust);
}

Result<std::optional<Trust>> OpenTrust(const Reading& reading, NodeClient& client) {
  if (reading.trust.no_verify) return std::optional<Trust>();
  CAIRN_ASSIGN_OR_RETURN(Trust trust, Trust::Open(reading.trust, client));
  return std::optional<Trust>(std::move(trust));
}

Json VerificationJson(const std::optional<Trust>& trust, const std::optional<node::VerifiedHeader>& verified) {
  if (!trust || !verified) return {{"verified", false}, {"warning", kNotVerified}};
  return trust->DescribeJson(*verified);
}

uint64_t NowMs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

}  // namespace cairn::cli
