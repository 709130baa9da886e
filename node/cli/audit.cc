// `cairn audit --genesis FILE --data DIR`: verifies a node's chain from genesis without
// trusting the node (ledger/audit.h): prints a summary, or the first height and check
// that failed, and exits non-zero then.
#include <cstdio>
#include <filesystem>

#include "crypto/verifier.h"
#include "ledger/audit.h"
#include "ledger/genesis.h"
#include "node/certificate_check.h"
#include "node/cli/command.h"
#include "node/cli/options.h"

namespace cairn::cli {

int RunAudit(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  std::string genesis_file, data;
  po::options_description options("audit options");
  options.add_options()
      ("genesis", po::value(&genesis_file)->required(), "the chain's genesis file: the only thing trusted")
      ("data", po::value(&data)->required(), "a node's data directory (stop the node first, or audit a copy)");
  int exit_code = 0;
  if (!ParseOptions("usage: cairn audit --genesis FILE --data DIR", options, args, &exit_code)) return exit_code;

  auto genesis = ledger::ReadGenesisFile(genesis_file);
  if (!genesis.ok()) return PrintError(genesis.status().ToString()), 1;
  if (!std::filesystem::exists(std::filesystem::path(data) / "CURRENT")) {
    return PrintError(data + " is not a node's data directory (no LevelDB database there)"), 1;
  }
  auto store = ledger::OpenLevelDbStore(data);
  if (!store.ok()) {
    return PrintError("cannot open " + data + " (is a node running on it? stop it or audit a copy): " +
                      store.status().message()),
           1;
  }
  crypto::DirectVerifier verifier;
  auto check = node::MakeCertificateCheck(genesis->chain_id(), ledger::BuildGenesisState(*genesis).block_hash, verifier);
  ledger::StoreAuditSource source(**store);
  auto report = ledger::AuditChain(*genesis, source, check, store->get());
  if (!report.ok()) {
    std::printf("audit FAILED: %s\n", report.status().message().c_str());
    return 1;
  }
  const double tps = report->seconds > 0 ? report->transactions / report->seconds : 0;
  std::printf("audit passed: chain %s, %llu blocks, %llu transactions in %.2f s (%.0f tx/s); %s\n",
              genesis->chain_id().c_str(), static_cast<unsigned long long>(report->blocks),
              static_cast<unsigned long long>(report->transactions), report->seconds, tps,
              report->head_proven_final ? "the head is proven final" : "no finality certificate for the head");
  return 0;
}

}  // namespace cairn::cli
