// A LevelDB Env that models what a disk keeps when the power goes: the bytes of a file
// up to its last Sync, and a new file's name only once its directory was synced (LevelDB
// syncs the directory when it syncs a MANIFEST). After Cut() every operation that would
// reach the disk fails; PowerLoss() then truncates each file to what was synced and
// removes the files whose names were never made durable, as a machine that lost power
// would find them. Renames and removals are taken as durable at once (a limitation: a
// real disk may also undo them until the directory is synced).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include <leveldb/env.h>

namespace cairn::test {

class PowerLossEnv : public leveldb::EnvWrapper {
 public:
  PowerLossEnv() : EnvWrapper(leveldb::Env::Default()) {}

  // The disk stops taking anything after `operations` more writes or syncs (0: now).
  void CutAfter(uint64_t operations);
  bool cut() const;
  // What the machine finds when it comes back; then the disk takes writes again.
  void PowerLoss();
  uint64_t operations() const;  // writes and syncs so far

  leveldb::Status NewWritableFile(const std::string& name, leveldb::WritableFile** result) override;
  leveldb::Status NewAppendableFile(const std::string& name, leveldb::WritableFile** result) override;
  leveldb::Status RemoveFile(const std::string& name) override;
  leveldb::Status RenameFile(const std::string& from, const std::string& to) override;

  // For the files: one operation that reaches the disk, or false once cut.
  bool Operate();
  void Synced(const std::string& name, uint64_t size);

 private:
  struct Tracked {
    uint64_t synced = 0;     // bytes that survive a power loss
    bool name_durable = false;  // its directory was synced since it was created
  };
  mutable std::mutex mu_;
  std::map<std::string, Tracked> files_;
  uint64_t operations_ = 0;
  uint64_t cut_at_ = UINT64_MAX;
};

}  // namespace cairn::test
