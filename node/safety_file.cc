#include "node/safety_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ledger/json_file.h"

namespace cairn::node {

namespace {

constexpr size_t kMaxRecordBytes = 1 << 16;

Status Errno(const std::string& what) { return Status::IoError(what + ": " + std::strerror(errno)); }

Status WriteAllAndSync(int fd, const std::string& bytes, const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("writing " + path);
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return Errno("syncing " + path);
  return Status::Ok();
}

}  // namespace

SafetyFile::SafetyFile(std::string folder) : folder_(std::move(folder)), path_(folder_ + "/" + kFileName) {}

Result<std::optional<v1::SafetyRecord>> SafetyFile::Load() const {
  if (::access(path_.c_str(), F_OK) != 0) return std::optional<v1::SafetyRecord>();
  CAIRN_ASSIGN_OR_RETURN(std::string bytes, ledger::ReadSmallFile(path_, kMaxRecordBytes));
  v1::SafetyRecord record;
  if (!record.ParseFromString(bytes)) {
    return Status::Corruption("the safety record " + path_ +
                              " does not parse; a validator must not start without it (restore it, or remove it only "
                              "if this key has never signed on this chain)");
  }
  return std::optional<v1::SafetyRecord>(std::move(record));
}

Status SafetyFile::Save(const v1::SafetyRecord& record) const {
  const std::string temporary = path_ + ".new";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("creating " + temporary);
  Status written = WriteAllAndSync(fd, record.SerializeAsString(), temporary);
  ::close(fd);
  CAIRN_RETURN_IF_ERROR(written);
  if (::rename(temporary.c_str(), path_.c_str()) != 0) return Errno("renaming " + temporary);
  const int dir = ::open(folder_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return Errno("opening " + folder_);
  const bool synced = ::fsync(dir) == 0;
  ::close(dir);
  return synced ? Status::Ok() : Errno("syncing " + folder_);
}

}  // namespace cairn::node
