// The ordered key-value store under the ledger. LevelDB in production (its types stay
// in leveldb_store.cc), an in-memory map in tests; the ledger sees only this interface.
//
// Contract:
//  - Write applies a whole batch or nothing.
//  - With Durability::kSync, Write returns only after the batch is on stable storage.
//  - After a Write fails, every later Write fails with the same error: the store does
//    not guess what reached the disk (LevelDB's rule after a failed sync). Reopen it.
//  - Reads are safe from any thread, concurrently with one writer.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/status.h"

namespace cairn::ledger {

enum class Durability { kSync, kNoSync };

// Operations in the order they were added. Their keys and values sit back to back in
// one buffer: a block's batch has tens of thousands of small records (receipts,
// indexes, tree nodes), and two allocations each showed in block sync's profile.
class WriteBatch {
 public:
  struct Op {
    ByteView key;
    std::optional<ByteView> value;  // nullopt: delete
  };
  void Put(ByteView key, ByteView value) { Append(key, value, true); }
  void Delete(ByteView key) { Append(key, {}, false); }
  size_t size() const { return entries_.size(); }
  // The i-th operation; its views live as long as the batch is not changed.
  Op op(size_t i) const {
    const Entry& e = entries_[i];
    const ByteView key(data_.data() + e.offset, e.key_size);
    if (!e.is_put) return {key, std::nullopt};
    return {key, ByteView(data_.data() + e.offset + e.key_size, e.value_size)};
  }

 private:
  struct Entry {
    size_t offset;  // of the key; the value follows it
    size_t key_size;
    size_t value_size;
    bool is_put;
  };
  void Append(ByteView key, ByteView value, bool is_put) {
    entries_.push_back({data_.size(), key.size(), value.size(), is_put});
    data_.append(key);
    data_.append(value);
  }

  Bytes data_;
  std::vector<Entry> entries_;
};

class KvStore {
 public:
  virtual ~KvStore() = default;

  // The value at `key`, nullopt when absent; an error only when the read failed.
  virtual Result<std::optional<Bytes>> Get(ByteView key) const = 0;

  virtual Status Write(const WriteBatch& batch, Durability durability) = 0;

  // Calls `visit` for each key with `prefix` that is >= `start`, in key order, until it
  // returns false.
  using Visitor = std::function<bool(ByteView key, ByteView value)>;
  virtual Status Scan(ByteView prefix, ByteView start, const Visitor& visit) const = 0;

  // After a failed write every later write fails, since what reached the disk is
  // unknown. Reopen closes and reopens the store, so that it holds what the disk really
  // holds and takes writes again; an error when that cannot be done yet (a disk still
  // full). Concurrent reads wait for it.
  virtual Status Reopen() = 0;

  // Reclaims the space of deleted records with keys in [begin, end) (an empty `end`:
  // to the last key): LevelDB rewrites the files that hold them, so pruning frees disk,
  // not only keys. Slow and I/O-heavy: never on the commit path.
  virtual Status Compact(ByteView begin, ByteView end) = 0;
};

// What opening a database LevelDB reports as corrupt does.
enum class OnCorruption {
  kFail,    // returns the Corruption status (readers: the audit, tests)
  kRepair,  // leveldb::RepairDB keeps every intact record and drops the rest, then opens
};

// Where, inside the data directory, the state tree's database is (split_store.h).
inline constexpr std::string_view kTreeDirectory = "tree";

// Opens (creating when absent) the ledger's store in the data directory `path`: a
// SplitStore (split_store.h) over the LevelDB database at `path` and the state tree's
// at `path`/tree. With kRepair, when a repair ran, `repair_report` (if given) says what
// LevelDB found; otherwise it is left empty. A repaired store may have lost its newest
// writes: the caller must check that what remains holds together (Ledger::Open does)
// and fetch the rest again.
Result<std::unique_ptr<KvStore>> OpenLevelDbStore(const std::string& path, OnCorruption on_corruption = OnCorruption::kFail,
                                                  std::string* repair_report = nullptr);

// An in-memory store for tests, with a hook to inject write failures.
class MemoryStore : public KvStore {
 public:
  Result<std::optional<Bytes>> Get(ByteView key) const override;
  Status Write(const WriteBatch& batch, Durability durability) override;
  Status Scan(ByteView prefix, ByteView start, const Visitor& visit) const override;
  // Keeps the data and an injected failure: like a disk that is still full.
  Status Reopen() override { return Status::Ok(); }
  // Erased records are freed at once: nothing to reclaim.
  Status Compact(ByteView, ByteView) override { return Status::Ok(); }

  // The next Write fails with `error` (and so does every one after it, until
  // TEST_FailWrites(Status::Ok())).
  void TEST_FailWrites(Status error);
  // Overwrites one record behind the ledger's back, to test that corruption is caught.
  void TEST_Put(ByteView key, ByteView value);
  // How many writes asked for kSync: what a sync-per-block design would pay.
  size_t TEST_synced_writes() const;

 private:
  mutable std::mutex mu_;
  std::map<Bytes, Bytes, std::less<>> data_;
  Status write_error_;
  size_t synced_writes_ = 0;
};

}  // namespace cairn::ledger
