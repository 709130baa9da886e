#include "node/safety_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "crypto/sha256.h"
#include "ledger/json_file.h"

namespace cairn::node {

namespace {

constexpr size_t kMaxRecordBytes = 1 << 16;
// A slot: magic, sequence (u64), payload length (u32), the SafetyRecord, then the
// SHA-256 of all that (a torn write fails it).
constexpr std::string_view kMagic = "CSR2";
constexpr size_t kHeaderBytes = 4 + 8 + 4;
constexpr size_t kDigestBytes = 32;

Status Errno(const std::string& what) { return Status::IoError(what + ": " + std::strerror(errno)); }

bool Exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

std::string EncodeSlot(uint64_t sequence, const std::string& payload) {
  std::string out(kMagic);
  AppendU64(&out, sequence);
  AppendU32(&out, static_cast<uint32_t>(payload.size()));
  out += payload;
  out += AsView(crypto::Sha256Of(out));
  return out;
}

struct Slot {
  uint64_t sequence = 0;
  v1::SafetyRecord record;
};

// nullopt for a slot that is torn or damaged.
std::optional<Slot> DecodeSlot(std::string_view bytes) {
  if (bytes.size() < kHeaderBytes + kDigestBytes || bytes.substr(0, kMagic.size()) != kMagic) return std::nullopt;
  const uint64_t length = ReadU32(bytes.substr(12));
  if (bytes.size() != kHeaderBytes + length + kDigestBytes) return std::nullopt;
  const std::string_view signed_part = bytes.substr(0, kHeaderBytes + length);
  if (AsView(crypto::Sha256Of(signed_part)) != bytes.substr(signed_part.size())) return std::nullopt;
  Slot slot;
  slot.sequence = ReadU64(bytes.substr(4));
  if (!slot.record.ParseFromArray(bytes.data() + kHeaderBytes, static_cast<int>(length))) return std::nullopt;
  return slot;
}

Status WriteAll(int fd, const std::string& bytes, const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::pwrite(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("writing " + path);
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status SyncFolder(const std::string& folder) {
  const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return Errno("opening " + folder);
  const bool synced = ::fsync(dir) == 0;
  ::close(dir);
  return synced ? Status::Ok() : Errno("syncing " + folder);
}

// A file that did not exist, created whole: a temporary file, synced, renamed to `name`,
// and the folder synced.
Status CreateFile(const std::string& folder, const std::string& name, const std::string& bytes) {
  const std::string path = folder + "/" + name;
  const std::string temporary = path + ".new";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("creating " + temporary);
  Status written = WriteAll(fd, bytes, temporary);
  if (written.ok() && ::fsync(fd) != 0) written = Errno("syncing " + temporary);
  ::close(fd);
  CAIRN_RETURN_IF_ERROR(written);
  if (::rename(temporary.c_str(), path.c_str()) != 0) return Errno("renaming " + temporary);
  return SyncFolder(folder);
}

Status Damaged(const std::string& where) {
  return Status::Corruption("the safety record " + where +
                            " cannot be read; a validator must not start without it (restore it, or remove it only "
                            "if this key has never signed on this chain)");
}

}  // namespace

SafetyFile::SafetyFile(std::string folder) : folder_(std::move(folder)) {}

SafetyFile::~SafetyFile() {
  for (int fd : fds_) {
    if (fd >= 0) ::close(fd);
  }
}

Result<SafetyFile::Latest> SafetyFile::ReadLatest() const {
  Latest latest;
  bool any_slot = false;
  for (int i = 0; i < 2; ++i) {
    const std::string path = SlotPath(i);
    if (!Exists(path)) continue;
    any_slot = true;
    CAIRN_ASSIGN_OR_RETURN(std::string bytes, ledger::ReadSmallFile(path, kHeaderBytes + kMaxRecordBytes + kDigestBytes));
    std::optional<Slot> slot = DecodeSlot(bytes);
    if (slot && (!latest.record || slot->sequence > latest.sequence)) {
      latest = {std::move(slot->record), slot->sequence, i};
    }
  }
  if (any_slot) {
    if (!latest.record) return Damaged(folder_ + "/" + kSingleFileName + ".{0,1}");
    return latest;
  }
  const std::string single = folder_ + "/" + kSingleFileName;
  if (!Exists(single)) return latest;
  CAIRN_ASSIGN_OR_RETURN(std::string bytes, ledger::ReadSmallFile(single, kMaxRecordBytes));
  latest.record.emplace();
  if (!latest.record->ParseFromString(bytes)) return Damaged(single);
  return latest;
}

Result<std::optional<v1::SafetyRecord>> SafetyFile::Load() const {
  CAIRN_ASSIGN_OR_RETURN(Latest latest, ReadLatest());
  return std::move(latest.record);
}

Status SafetyFile::Save(const v1::SafetyRecord& record) {
  if (!latest_) {
    CAIRN_ASSIGN_OR_RETURN(Latest latest, ReadLatest());
    latest_ = std::move(latest);
  }
  // Never over the slot holding the latest record: a torn write must leave it.
  const int slot = 1 - latest_->slot;
  const std::string path = SlotPath(slot);
  const std::string bytes = EncodeSlot(latest_->sequence + 1, record.SerializeAsString());
  if (fds_[slot] < 0 && !Exists(path)) {
    CAIRN_RETURN_IF_ERROR(CreateFile(folder_, kSlotNames[slot], bytes));
  } else {
    if (fds_[slot] < 0) {
      fds_[slot] = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
      if (fds_[slot] < 0) return Errno("opening " + path);
    }
    CAIRN_RETURN_IF_ERROR(WriteAll(fds_[slot], bytes, path));
    // A record of another size changes the file's length: fdatasync covers that too.
    if (::ftruncate(fds_[slot], static_cast<off_t>(bytes.size())) != 0) return Errno("truncating " + path);
    if (::fdatasync(fds_[slot]) != 0) return Errno("syncing " + path);
  }
  latest_->sequence += 1;
  latest_->slot = slot;
  return Status::Ok();
}

Status SafetyFile::CopyRecord(const std::string& from_folder, const std::string& to_folder) {
  std::vector<std::string> names(kSlotNames.begin(), kSlotNames.end());
  names.push_back(kSingleFileName);
  for (const std::string& name : names) {
    const std::string from = from_folder + "/" + name;
    if (!Exists(from)) continue;
    auto bytes = ledger::ReadSmallFile(from, kHeaderBytes + kMaxRecordBytes + kDigestBytes);
    if (!bytes.ok()) return bytes.status().Annotate("cannot carry the safety record over from " + from_folder);
    CAIRN_RETURN_IF_ERROR(CreateFile(to_folder, name, *bytes));
  }
  return Status::Ok();
}

}  // namespace cairn::node
