// The production KvStore. LevelDB's types appear in this file only.
#include <fcntl.h>
#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/filter_policy.h>
#include <leveldb/write_batch.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "ledger/kv_store.h"
#include "ledger/leveldb_env_for_tests.h"
#include "ledger/split_store.h"

namespace cairn::ledger {

namespace {

leveldb::Slice ToSlice(ByteView v) { return leveldb::Slice(v.data(), v.size()); }
ByteView ToView(const leveldb::Slice& s) { return ByteView(s.data(), s.size()); }

Status FromLevelDb(const leveldb::Status& s, const char* what) {
  if (s.ok()) return Status::Ok();
  std::string message = std::string(what) + ": " + s.ToString();
  if (s.IsCorruption()) return Status::Corruption(message);
  if (s.IsNotFound()) return Status::NotFound(message);
  return Status::IoError(message);
}

// A table file read with pread. LevelDB's own Env maps up to 1,000 table files into
// memory, and every page of them it touches then counts in the node's resident memory,
// which so grows with the database (130 MB of a validator's 280 MB at 125,000
// accounts). Read with pread, the same pages sit in the OS page cache: shared,
// reclaimable, outside the process.
class PreadFile : public leveldb::RandomAccessFile {
 public:
  PreadFile(std::string name, int fd) : name_(std::move(name)), fd_(fd) {}
  ~PreadFile() override { ::close(fd_); }
  leveldb::Status Read(uint64_t offset, size_t n, leveldb::Slice* result, char* scratch) const override {
    const ssize_t got = ::pread(fd_, scratch, n, static_cast<off_t>(offset));
    if (got < 0) return leveldb::Status::IOError(name_, std::strerror(errno));
    *result = leveldb::Slice(scratch, static_cast<size_t>(got));
    return leveldb::Status::OK();
  }

 private:
  const std::string name_;
  const int fd_;
};

class PreadEnv : public leveldb::EnvWrapper {
 public:
  PreadEnv() : EnvWrapper(leveldb::Env::Default()) {}
  leveldb::Status NewRandomAccessFile(const std::string& name, leveldb::RandomAccessFile** result) override {
    *result = nullptr;
    const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return errno == ENOENT ? leveldb::Status::NotFound(name, std::strerror(errno))
                             : leveldb::Status::IOError(name, std::strerror(errno));
    }
    *result = new PreadFile(name, fd);
    return leveldb::Status::OK();
  }
};

// The two databases of the store (split_store.h).
enum class Part { kLedger, kTree };

leveldb::Env* env_for_tests = nullptr;  // SetLevelDbEnvForTests

leveldb::Options StoreOptions(Part part, const leveldb::FilterPolicy* filter) {
  static PreadEnv* const env = new PreadEnv();  // lives as long as any database
  leveldb::Options options;
  options.create_if_missing = true;
  options.paranoid_checks = true;
  options.filter_policy = filter;
  options.env = env_for_tests != nullptr ? env_for_tests : env;
  // Each open table file holds a descriptor (LevelDB's default is 1,000 a database):
  // keep room for the node's sockets.
  options.max_open_files = 256;
  // Measured on a validator of a 1,000,000-account chain under saturation: LevelDB's
  // compaction took 38% of the node's CPU with the defaults, snappy a fifth of that.
  // Most bytes written are state tree nodes, which are hashes snappy cannot shrink, and
  // the rest (signatures, keys, addresses) hardly more. A 16 MiB memtable (default 4)
  // makes a quarter as many level-0 files.
  options.compression = leveldb::kNoCompression;
  options.write_buffer_size = size_t{16} << 20;
  // The tree's tables are moved down the levels rather than merged, and are most of the
  // bytes: larger ones, so that the descriptors above cover 2 GiB of them.
  if (part == Part::kTree) options.max_file_size = size_t{8} << 20;
  return options;
}

class LevelDbStore : public KvStore {
 public:
  LevelDbStore(Part part, std::string path, std::unique_ptr<leveldb::DB> db,
               std::unique_ptr<const leveldb::FilterPolicy> filter)
      : part_(part), path_(std::move(path)), filter_(std::move(filter)), db_(std::move(db)) {}

  Result<std::optional<Bytes>> Get(ByteView key) const override {
    std::shared_lock open(open_mu_);
    if (!db_) return Closed();
    Bytes value;
    leveldb::Status s = db_->Get(leveldb::ReadOptions(), ToSlice(key), &value);
    if (s.IsNotFound()) return std::optional<Bytes>();
    if (!s.ok()) return FromLevelDb(s, "leveldb get");
    return std::optional<Bytes>(std::move(value));
  }

  Status Write(const WriteBatch& batch, Durability durability) override {
    std::shared_lock open(open_mu_);
    if (!db_) return Closed();
    std::lock_guard lock(write_mu_);
    if (!write_error_.ok()) return write_error_;
    leveldb::WriteBatch native;
    for (size_t i = 0; i < batch.size(); ++i) {
      const WriteBatch::Op op = batch.op(i);
      if (op.value) {
        native.Put(ToSlice(op.key), ToSlice(*op.value));
      } else {
        native.Delete(ToSlice(op.key));
      }
    }
    leveldb::WriteOptions options;
    options.sync = durability == Durability::kSync;
    Status status = FromLevelDb(db_->Write(options, &native), "leveldb write");
    // After a failed write we cannot know what reached the disk: fail from now on.
    if (!status.ok()) write_error_ = status;
    return status;
  }

  Status Scan(ByteView prefix, ByteView start, const Visitor& visit) const override {
    std::shared_lock open(open_mu_);
    if (!db_) return Closed();
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
    for (it->Seek(ToSlice(start < prefix ? prefix : start)); it->Valid(); it->Next()) {
      ByteView key = ToView(it->key());
      if (!key.starts_with(prefix)) break;
      if (!visit(key, ToView(it->value()))) break;
    }
    return FromLevelDb(it->status(), "leveldb scan");
  }

  Status Compact(ByteView begin, ByteView end) override {
    std::shared_lock open(open_mu_);
    if (!db_) return Closed();
    const leveldb::Slice from = ToSlice(begin), to = ToSlice(end);
    // LevelDB reports no error from a compaction: a failed one shows in the next write.
    db_->CompactRange(&from, end.empty() ? nullptr : &to);
    return Status::Ok();
  }

  Status Reopen() override {
    std::unique_lock open(open_mu_);
    std::lock_guard lock(write_mu_);
    db_.reset();  // LevelDB holds a lock file: close before opening again
    leveldb::DB* db = nullptr;
    leveldb::Status s = leveldb::DB::Open(StoreOptions(part_, filter_.get()), path_, &db);
    // Until an open succeeds, every call reports the store closed.
    if (!s.ok()) return FromLevelDb(s, ("cannot reopen ledger database at " + path_).c_str());
    db_.reset(db);
    write_error_ = Status::Ok();
    return Status::Ok();
  }

 private:
  Status Closed() const { return Status::Unavailable("the ledger database at " + path_ + " is closed (reopen failed)"); }

  const Part part_;
  const std::string path_;
  // Declared before db_: the database uses the filter until it is closed.
  std::unique_ptr<const leveldb::FilterPolicy> filter_;
  std::unique_ptr<leveldb::DB> db_;
  // Shared by every call, exclusive while Reopen swaps db_.
  mutable std::shared_mutex open_mu_;
  std::mutex write_mu_;
  Status write_error_;
};

}  // namespace

namespace {

Result<std::unique_ptr<KvStore>> OpenOne(Part part, const std::string& path, OnCorruption on_corruption,
                                         std::string* repair_report) {
  std::unique_ptr<const leveldb::FilterPolicy> filter(leveldb::NewBloomFilterPolicy(10));
  const leveldb::Options options = StoreOptions(part, filter.get());
  leveldb::DB* db = nullptr;
  leveldb::Status s = leveldb::DB::Open(options, path, &db);
  // LevelDB's LOCK file: another process has this database open. Two nodes on one data
  // directory would share one safety record and could sign conflicting messages, so
  // this is an error of its own (never a repair).
  if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
    return Status::FailedPrecondition("the ledger database at " + path +
                                      " is in use by another process (is a cairnd already running with this data_dir?): " +
                                      s.ToString());
  }
  if (s.IsCorruption() && on_corruption == OnCorruption::kRepair) {
    const std::string found = s.ToString();
    leveldb::Status repaired = leveldb::RepairDB(path, options);
    if (!repaired.ok()) return FromLevelDb(repaired, ("cannot repair the damaged database at " + path + " (" + found + ")").c_str());
    if (repair_report) *repair_report = found;
    s = leveldb::DB::Open(options, path, &db);
  }
  if (!s.ok()) return FromLevelDb(s, ("cannot open ledger database at " + path).c_str());
  return std::unique_ptr<KvStore>(
      std::make_unique<LevelDbStore>(part, path, std::unique_ptr<leveldb::DB>(db), std::move(filter)));
}

}  // namespace

void SetLevelDbEnvForTests(leveldb::Env* env) { env_for_tests = env; }

Result<std::unique_ptr<KvStore>> OpenLevelDbStore(const std::string& path, OnCorruption on_corruption,
                                                  std::string* repair_report) {
  std::string rest_repair, tree_repair;
  CAIRN_ASSIGN_OR_RETURN(auto rest, OpenOne(Part::kLedger, path, on_corruption, &rest_repair));
  CAIRN_ASSIGN_OR_RETURN(auto tree, OpenOne(Part::kTree, path + "/" + std::string(kTreeDirectory), on_corruption,
                                            &tree_repair));
  if (repair_report) {
    *repair_report = rest_repair;
    if (!tree_repair.empty()) *repair_report += (rest_repair.empty() ? "" : "; ") + std::string("state tree: ") + tree_repair;
  }
  return std::unique_ptr<KvStore>(std::make_unique<SplitStore>(std::move(rest), std::move(tree)));
}

}  // namespace cairn::ledger
