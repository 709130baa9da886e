// The consensus safety record (what this validator last voted, proposed and timed out
// in) in files of its own inside the data directory, rather than in the ledger's
// LevelDB: recovering a damaged ledger (node/ledger_recovery.h) may repair LevelDB or
// set it aside, and must not lose this record, or the validator could sign a second,
// conflicting message for a round it already signed in.
//
// The record is saved before every signature leaves, so a save costs one fsync: two
// slot files, written in turn in place (one fdatasync each), each holding a sequence
// number and a checksum. A crash in the middle of a write tears only the slot being
// written; the other holds the record before it, which is all that had been signed
// (the new signature leaves only after the save returns). Load takes the valid slot with
// the higher sequence. A slot is created whole (temporary file, rename, folder synced),
// so an existing slot is torn only by an interrupted overwrite, with the other intact:
// both unreadable is damage, and Load refuses it, since starting without the record
// would be the danger it exists for. (A newest slot damaged by the disk after its sync
// looks like a torn one: the record falls back one save. A disk that loses synced data
// can do that to any file; the single-file record before this had the same exposure.)
#pragma once

#include <array>
#include <optional>
#include <string>

#include "cairn/v1/consensus.pb.h"
#include "crypto/status.h"

namespace cairn::node {

class SafetyFile {
 public:
  // The record's slots are `folder`/safety-record.0 and .1.
  explicit SafetyFile(std::string folder);
  ~SafetyFile();
  SafetyFile(const SafetyFile&) = delete;
  SafetyFile& operator=(const SafetyFile&) = delete;

  // nullopt when there is none yet (a first start, or a data directory from before the
  // record had its own files). Reads the single-file record of earlier builds
  // (`folder`/safety-record) while no slot exists.
  Result<std::optional<v1::SafetyRecord>> Load() const;
  // Durable when it returns Ok.
  Status Save(const v1::SafetyRecord& record);

  // Copies the record, whichever of its files exist, from one data directory to
  // another (a ledger set aside after damage keeps the node's record).
  static Status CopyRecord(const std::string& from_folder, const std::string& to_folder);

  static constexpr std::array<const char*, 2> kSlotNames = {"safety-record.0", "safety-record.1"};
  static constexpr const char* kSingleFileName = "safety-record";  // earlier builds
  std::string SlotPath(int slot) const { return folder_ + "/" + kSlotNames[slot]; }

 private:
  struct Latest {
    std::optional<v1::SafetyRecord> record;
    uint64_t sequence = 0;  // 0: no slot written yet
    int slot = 1;           // the slot holding it (so slot 0 is written first)
  };
  Result<Latest> ReadLatest() const;

  const std::string folder_;
  std::optional<Latest> latest_;  // known after the first Save
  std::array<int, 2> fds_ = {-1, -1};
};

}  // namespace cairn::node
