// The consensus safety record (what this validator last voted, proposed and timed out
// in) in a file of its own inside the data directory, rather than in the ledger's
// LevelDB: recovering a damaged ledger (node/ledger_recovery.h) may repair LevelDB or
// set it aside, and must not lose this record, or the validator could sign a second,
// conflicting message for a round it already signed in.
//
// Save writes a temporary file, syncs it, renames it over the record and syncs the
// folder: a crash leaves the old record or the new one, never a mix. Load refuses a
// record that does not parse: starting without it would be the danger it exists for.
#pragma once

#include <optional>
#include <string>

#include "cairn/v1/consensus.pb.h"
#include "crypto/status.h"

namespace cairn::node {

class SafetyFile {
 public:
  // The record at `folder`/safety-record.
  explicit SafetyFile(std::string folder);

  // nullopt when there is none yet (a first start, or a data directory from before the
  // record had its own file).
  Result<std::optional<v1::SafetyRecord>> Load() const;
  // Durable when it returns Ok.
  Status Save(const v1::SafetyRecord& record) const;

  static constexpr const char* kFileName = "safety-record";
  const std::string& path() const { return path_; }

 private:
  const std::string folder_;
  const std::string path_;
};

}  // namespace cairn::node
