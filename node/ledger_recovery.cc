#include "node/ledger_recovery.h"

#include <ctime>
#include <filesystem>

#include "node/log.h"
#include "node/safety_file.h"

namespace cairn::node {

namespace {

Status CreateFolder(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  return ec ? Status::IoError("cannot create data_dir " + path + ": " + ec.message()) : Status::Ok();
}

}  // namespace

Result<std::unique_ptr<ledger::Ledger>> OpenOrRecoverLedger(const std::string& data_dir, const v1::Genesis& genesis,
                                                            crypto::SignatureVerifier* verifier,
                                                            const ledger::LedgerOptions& options) {
  CAIRN_RETURN_IF_ERROR(CreateFolder(data_dir));
  std::string repaired;
  CAIRN_ASSIGN_OR_RETURN(auto store, ledger::OpenLevelDbStore(data_dir, ledger::OnCorruption::kRepair, &repaired));
  if (!repaired.empty()) {
    LogWarn("ledger", "the database in " + data_dir + " was damaged (" + repaired +
                          "); repaired it, keeping every intact record: blocks lost with the rest come back by block sync");
  }
  auto ledger = ledger::Ledger::Open(std::move(store), genesis, verifier, options);
  if (ledger.ok()) {
    if ((*ledger)->open_report().converted_state_tree) {
      LogInfo("ledger", "converted " + data_dir + " to the current format: the state tree of " +
                            std::to_string((*ledger)->open_report().accounts) + " accounts is now stored on disk");
    }
    return std::move(*ledger);
  }
  if (ledger.status().code() != StatusCode::kCorruption && repaired.empty()) {
    return ledger.status().Annotate("data_dir " + data_dir);
  }
  const std::string aside = data_dir + ".damaged-" + std::to_string(std::time(nullptr));
  std::error_code ec;
  std::filesystem::rename(data_dir, aside, ec);
  if (ec) return ledger.status().Annotate("data_dir " + data_dir + " (and it cannot be set aside: " + ec.message() + ")");
  LogWarn("ledger", "the ledger in " + data_dir + " does not hold together (" + ledger.status().ToString() +
                        "); moved it to " + aside + " and starting from genesis: block sync fetches the chain from peers");
  CAIRN_RETURN_IF_ERROR(CreateFolder(data_dir));
  // The validator's safety record stays with the node, not with the damaged ledger.
  CAIRN_RETURN_IF_ERROR(SafetyFile::CopyRecord(aside, data_dir));
  CAIRN_ASSIGN_OR_RETURN(auto fresh, ledger::OpenLevelDbStore(data_dir));
  auto started = ledger::Ledger::Open(std::move(fresh), genesis, verifier, options);
  if (!started.ok()) return started.status().Annotate("data_dir " + data_dir);
  return std::move(*started);
}

}  // namespace cairn::node
