// A LevelDB Env that models what a disk keeps when the power goes.
//
// File contents: the bytes of a file up to its last Sync.
// Directory entries (a file created, renamed over another, or removed): durable once the
// directory is synced (LevelDB syncs it when it syncs a MANIFEST). Until then they are
// kept as a journal, in order, as a journaling file system (ext4's ordered mode) commits
// metadata: after a power loss some prefix of the journal survives and the rest is
// undone, newest first. So a rename of CURRENT may come undone with everything after it
// (the old MANIFEST's removal too), but never a later operation without an earlier one.
//
// After Cut() every operation that would reach the disk fails; PowerLoss(choice) then
// keeps the first `choice % (journal length + 1)` directory operations, undoes the rest,
// and truncates each file to what was synced, as a machine that lost power would find
// the disk.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <leveldb/env.h>

namespace cairn::test {

class PowerLossEnv : public leveldb::EnvWrapper {
 public:
  PowerLossEnv() : EnvWrapper(leveldb::Env::Default()) {}

  // The disk stops taking anything after `operations` more writes or syncs (0: now).
  void CutAfter(uint64_t operations);
  bool cut() const;
  // What the machine finds when it comes back (`choice` picks how many unsynced directory
  // operations survive); then the disk takes writes again. Returns how many were undone.
  size_t PowerLoss(uint64_t choice);
  uint64_t operations() const;  // writes and syncs so far

  leveldb::Status NewWritableFile(const std::string& name, leveldb::WritableFile** result) override;
  leveldb::Status NewAppendableFile(const std::string& name, leveldb::WritableFile** result) override;
  leveldb::Status RemoveFile(const std::string& name) override;
  leveldb::Status RenameFile(const std::string& from, const std::string& to) override;

  // For the files: one operation that reaches the disk, or false once cut.
  bool Operate();
  void Synced(const std::string& name, uint64_t size);

 private:
  // A directory operation not yet made durable, and what undoing it puts back.
  struct DirOp {
    enum class Kind { kCreate, kRename, kRemove } kind;
    std::string name;                     // created or removed; a rename's target
    std::string from;                     // a rename's source
    std::optional<std::string> replaced;  // the durable bytes `name` held before, if any
    uint64_t replaced_synced = 0;
  };
  // The durable bytes of `name` now (its synced prefix), if it exists. Under mu_.
  std::optional<std::string> DurableBytes(const std::string& name) const;
  void Undo(const DirOp& op);

  mutable std::mutex mu_;
  std::map<std::string, uint64_t> synced_;  // bytes of each written file that survive
  std::vector<DirOp> journal_;              // since the directory was last synced
  uint64_t operations_ = 0;
  uint64_t cut_at_ = UINT64_MAX;
};

}  // namespace cairn::test
