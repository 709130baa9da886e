// The business ledger model's read commands: asset show, record get, record history,
// signatories show. Asset definitions and records are checked against the validator
// sets by the light client (trust.h) like accounts, unless --no-verify says not to.
#pragma once

#include <string>
#include <vector>

namespace cairn::cli {

int RunAssetShow(const std::vector<std::string>& args);
int RunRecordGet(const std::vector<std::string>& args);
int RunRecordHistory(const std::vector<std::string>& args);
int RunSignatoriesShow(const std::vector<std::string>& args);

}  // namespace cairn::cli
