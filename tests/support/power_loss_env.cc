#include "tests/support/power_loss_env.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
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
  synced_[name] = size;
  // LevelDB's Env syncs the directory when it syncs a MANIFEST: every directory
  // operation so far is durable from now on.
  if (IsManifest(name)) journal_.clear();
}

std::optional<std::string> PowerLossEnv::DurableBytes(const std::string& name) const {
  std::ifstream in(name, std::ios::binary);
  if (!in) return std::nullopt;
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (auto it = synced_.find(name); it != synced_.end() && it->second < bytes.size()) bytes.resize(it->second);
  return bytes;
}

void PowerLossEnv::Undo(const DirOp& op) {
  std::error_code ignored;
  auto put_back = [&](const std::string& name) {
    synced_.erase(name);  // what is put back was durable, all of it
    if (op.replaced) std::ofstream(name, std::ios::binary | std::ios::trunc) << *op.replaced;
  };
  switch (op.kind) {
    case DirOp::Kind::kCreate:
      std::filesystem::remove(op.name, ignored);
      put_back(op.name);
      return;
    case DirOp::Kind::kRemove:
      put_back(op.name);
      return;
    case DirOp::Kind::kRename:
      std::filesystem::rename(op.name, op.from, ignored);
      if (auto it = synced_.find(op.name); it != synced_.end()) {
        synced_[op.from] = it->second;
        synced_.erase(it);
      }
      put_back(op.name);
      return;
  }
}

size_t PowerLossEnv::PowerLoss(uint64_t choice) {
  std::lock_guard lock(mu_);
  const size_t survive = static_cast<size_t>(choice % (journal_.size() + 1));
  const size_t undone = journal_.size() - survive;
  for (size_t i = journal_.size(); i > survive; --i) Undo(journal_[i - 1]);
  for (const auto& [name, synced] : synced_) {
    std::error_code ignored;
    if (std::filesystem::exists(name, ignored)) std::filesystem::resize_file(name, synced, ignored);
  }
  synced_.clear();
  journal_.clear();
  cut_at_ = UINT64_MAX;
  return undone;
}

leveldb::Status PowerLossEnv::NewWritableFile(const std::string& name, leveldb::WritableFile** result) {
  *result = nullptr;
  if (!Operate()) return PowerCut(name);
  std::optional<std::string> before;
  {
    std::lock_guard lock(mu_);
    before = DurableBytes(name);
  }
  leveldb::WritableFile* file = nullptr;
  leveldb::Status s = target()->NewWritableFile(name, &file);
  if (!s.ok()) return s;
  {
    std::lock_guard lock(mu_);
    journal_.push_back({.kind = DirOp::Kind::kCreate, .name = name, .replaced = std::move(before)});
    synced_[name] = 0;  // created (or truncated) now: nothing of it is durable yet
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
    if (!existed) journal_.push_back({.kind = DirOp::Kind::kCreate, .name = name});
    synced_.try_emplace(name, existed ? size : 0);
  }
  *result = new TrackedFile(*this, name, file, size);
  return s;
}

leveldb::Status PowerLossEnv::RemoveFile(const std::string& name) {
  if (!Operate()) return PowerCut(name);
  std::lock_guard lock(mu_);
  std::optional<std::string> before = DurableBytes(name);
  leveldb::Status s = target()->RemoveFile(name);
  if (!s.ok()) return s;
  journal_.push_back({.kind = DirOp::Kind::kRemove, .name = name, .replaced = std::move(before)});
  synced_.erase(name);
  return s;
}

leveldb::Status PowerLossEnv::RenameFile(const std::string& from, const std::string& to) {
  if (!Operate()) return PowerCut(from);
  std::lock_guard lock(mu_);
  std::optional<std::string> before = DurableBytes(to);
  leveldb::Status s = target()->RenameFile(from, to);
  if (!s.ok()) return s;
  journal_.push_back({.kind = DirOp::Kind::kRename, .name = to, .from = from, .replaced = std::move(before)});
  synced_.erase(to);
  if (auto it = synced_.find(from); it != synced_.end()) {
    synced_[to] = it->second;
    synced_.erase(from);
  }
  return s;
}

}  // namespace cairn::test
