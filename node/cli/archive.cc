// `cairn export` and `cairn import`: a node's blocks with their certificates to an
// archive file and back (node/archive.h). `cairn audit --archive` checks one.
#include <cstdio>
#include <filesystem>

#include "ledger/genesis.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "node/archive.h"
#include "node/cli/command.h"
#include "node/cli/options.h"

namespace cairn::cli {

namespace {

// The ledger in a stopped node's data directory, opened with the genesis it records.
Result<std::unique_ptr<ledger::Ledger>> OpenStoppedLedger(const std::string& data) {
  if (!std::filesystem::exists(std::filesystem::path(data) / "CURRENT")) {
    return Status::NotFound(data + " is not a node's data directory (no LevelDB database there)");
  }
  auto store = ledger::OpenLevelDbStore(data);
  if (!store.ok()) {
    return Status::Unavailable("cannot open " + data + " (is a node running on it? stop it first): " +
                               store.status().message());
  }
  CAIRN_ASSIGN_OR_RETURN(auto bytes, (*store)->Get(ledger::keys::kGenesisDocument));
  v1::Genesis genesis;
  if (!bytes || !genesis.ParseFromString(*bytes)) return Status::Corruption(data + " holds no readable genesis");
  return ledger::Ledger::Open(std::move(store).value(), genesis);
}

}  // namespace

int RunExport(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  std::string data, out;
  uint64_t from = 0, to = 0;
  po::options_description options("export options");
  options.add_options()
      ("data", po::value(&data)->required(), "a stopped node's data directory")
      ("from", po::value(&from), "the first block (default the first this node holds: 1, or its base or retained range)")
      ("to", po::value(&to), "the last block (default the head)")
      ("out", po::value(&out)->required(), "the archive to write (never overwritten)");
  int exit_code = 0;
  if (!ParseOptions("usage: cairn export --data DIR [--from H1] [--to H2] --out FILE", options, args, &exit_code)) {
    return exit_code;
  }
  auto ledger = OpenStoppedLedger(data);
  if (!ledger.ok()) return PrintError(ledger.status().message()), 1;
  // A node that joined by state sync, or prunes, holds bodies from a later block on.
  if (from == 0) from = std::max<uint64_t>((*ledger)->retained_from(), 1);
  if (to == 0) to = (*ledger)->height();
  if (Status exported = node::ExportArchive(**ledger, from, to, out); !exported.ok()) {
    return PrintError(exported.message()), 1;
  }
  std::printf("exported blocks %llu-%llu of chain %s to %s (%llu bytes)\n", static_cast<unsigned long long>(from),
              static_cast<unsigned long long>(to), (*ledger)->chain_id().c_str(), out.c_str(),
              static_cast<unsigned long long>(std::filesystem::file_size(out)));
  return 0;
}

int RunImport(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  std::string data, genesis_file, archive;
  po::options_description options("import options");
  options.add_options()
      ("data", po::value(&data)->required(), "the data directory of a stopped node (created when absent)")
      ("genesis", po::value(&genesis_file)->required(), "the chain's genesis file")
      ("archive", po::value(&archive)->required(), "an archive that starts at the block after the node's head");
  int exit_code = 0;
  if (!ParseOptions("usage: cairn import --data DIR --genesis FILE --archive FILE", options, args, &exit_code)) {
    return exit_code;
  }
  auto genesis = ledger::ReadGenesisFile(genesis_file);
  if (!genesis.ok()) return PrintError(genesis.status().ToString()), 1;
  auto store = ledger::OpenLevelDbStore(data);
  if (!store.ok()) return PrintError("cannot open " + data + " (is a node running on it?): " + store.status().message()), 1;
  auto ledger = ledger::Ledger::Open(std::move(store).value(), *genesis);
  if (!ledger.ok()) return PrintError(ledger.status().message()), 1;
  auto report = node::ImportArchive(*genesis, archive, **ledger);
  if (!report.ok()) {
    return PrintError("import stopped at block " + std::to_string((*ledger)->height()) + ": " + report.status().message()), 1;
  }
  std::printf("imported blocks %llu-%llu (%llu transactions), each checked and executed; the head is block %llu. "
              "The node's consensus safety record was not touched\n",
              static_cast<unsigned long long>(report->from), static_cast<unsigned long long>(report->to),
              static_cast<unsigned long long>(report->transactions), static_cast<unsigned long long>((*ledger)->height()));
  return 0;
}

}  // namespace cairn::cli
