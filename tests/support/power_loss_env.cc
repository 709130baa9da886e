#include "tests/support/power_loss_env.h"

#include <unistd.h>

#include <filesystem>
#include <memory>

namespace cairn::test {

namespace {

leveldb::Status PowerCut(const std::string& name) { return leveldb::Status::IOError(name, "the power is cut"); }

class TrackedFile : public leveldb::WritableFile {
 public:
  TrackedFile(PowerLossEnv& env, std::string name, leveldb::WritableFile* file, uint64_t size)
      : env_(env), name_(std::move(name)), file_(file), size_(size) {}

  leveldb::Status Append(const leveldb::Slice& data) override {
    if (!env_.Operate()) return PowerCut(name_);
    leveldb::Status s = file_->Append(data);
    if (s.ok()) size_ += data.size();
    return s;
  }
  leveldb::Status Flush() override { return env_.cut() ? PowerCut(name_) : file_->Flush(); }
  leveldb::Status Close() override { return file_->Close(); }
  leveldb::Status Sync() override {
    if (!env_.Operate()) return PowerCut(name_);
    leveldb::Status s = file_->Sync();
    if (s.ok()) env_.Synced(name_, size_);
    return s;
  }

 private:
  PowerLossEnv& env_;
  const std::string name_;
  std::unique_ptr<leveldb::WritableFile> file_;
  uint64_t size_;
};

bool IsManifest(const std::string& name) {
  return std::filesystem::path(name).filename().string().rfind("MANIFEST", 0) == 0;
}

}  // namespace

void PowerLossEnv::CutAfter(uint64_t operations) {
  std::lock_guard lock(mu_);
  cut_at_ = operations_ + operations;
}

bool PowerLossEnv::cut() const {
  std::lock_guard lock(mu_);
  return operations_ >= cut_at_;
}

uint64_t PowerLossEnv::operations() const {
  std::lock_guard lock(mu_);
  return operations_;
}

bool PowerLossEnv::Operate() {
  std::lock_guard lock(mu_);
  if (operations_ >= cut_at_) return false;
  ++operations_;
  return true;
}

void PowerLossEnv::Synced(const std::string& name, uint64_t size) {
  std::lock_guard lock(mu_);
  files_[name].synced = size;
  // LevelDB's Env syncs the directory when it syncs a MANIFEST: every name created in
  // that directory so far is durable from now on.
  if (!IsManifest(name)) return;
  const auto dir = std::filesystem::path(name).parent_path();
  for (auto& [other, tracked] : files_) {
    if (std::filesystem::path(other).parent_path() == dir) tracked.name_durable = true;
  }
}

void PowerLossEnv::PowerLoss() {
  std::lock_guard lock(mu_);
  for (const auto& [name, tracked] : files_) {
    std::error_code ignored;
    if (!tracked.name_durable) {
      std::filesystem::remove(name, ignored);
    } else if (std::filesystem::exists(name, ignored)) {
      std::filesystem::resize_file(name, tracked.synced, ignored);
    }
  }
  files_.clear();
  cut_at_ = UINT64_MAX;
}

leveldb::Status PowerLossEnv::NewWritableFile(const std::string& name, leveldb::WritableFile** result) {
  *result = nullptr;
  if (!Operate()) return PowerCut(name);
  leveldb::WritableFile* file = nullptr;
  leveldb::Status s = target()->NewWritableFile(name, &file);
  if (!s.ok()) return s;
  {
    std::lock_guard lock(mu_);
    files_[name] = Tracked{};  // created (or truncated) now: nothing of it is durable yet
  }
  *result = new TrackedFile(*this, name, file, 0);
  return s;
}

leveldb::Status PowerLossEnv::NewAppendableFile(const std::string& name, leveldb::WritableFile** result) {
  *result = nullptr;
  if (!Operate()) return PowerCut(name);
  uint64_t size = 0;
  const bool existed = target()->GetFileSize(name, &size).ok();
  leveldb::WritableFile* file = nullptr;
  leveldb::Status s = target()->NewAppendableFile(name, &file);
  if (!s.ok()) return s;
  {
    std::lock_guard lock(mu_);
    files_.try_emplace(name, Tracked{.synced = existed ? size : 0, .name_durable = existed});
  }
  *result = new TrackedFile(*this, name, file, size);
  return s;
}

leveldb::Status PowerLossEnv::RemoveFile(const std::string& name) {
  if (!Operate()) return PowerCut(name);
  leveldb::Status s = target()->RemoveFile(name);
  std::lock_guard lock(mu_);
  files_.erase(name);
  return s;
}

leveldb::Status PowerLossEnv::RenameFile(const std::string& from, const std::string& to) {
  if (!Operate()) return PowerCut(from);
  leveldb::Status s = target()->RenameFile(from, to);
  if (!s.ok()) return s;
  std::lock_guard lock(mu_);
  auto it = files_.find(from);
  if (it != files_.end()) {
    Tracked moved = it->second;
    moved.name_durable = true;  // see the header: renames are taken as durable
    files_.erase(it);
    files_[to] = moved;
  } else {
    files_.erase(to);
  }
  return s;
}

}  // namespace cairn::test
