#include "node/safety_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <vector>

#include "crypto/sha256.h"
#include "ledger/json_file.h"
#include "node/durable_file.h"

namespace cairn::node {

namespace {

constexpr size_t kMaxRecordBytes = 1 << 16;
// A slot: magic, sequence (u64), payload length (u32), the SafetyRecord, then the
// SHA-256 of all that (a torn write fails it).
constexpr std::string_view kMagic = "CSR2";
constexpr size_t kHeaderBytes = 4 + 8 + 4;
constexpr size_t kDigestBytes = 32;

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
    CAIRN_RETURN_IF_ERROR(WriteAt(fds_[slot], 0, bytes, path));
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
