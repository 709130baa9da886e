#include "node/durable_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace cairn::node {

Status Errno(const std::string& what) { return Status::IoError(what + ": " + std::strerror(errno)); }

bool Exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

Status WriteAt(int fd, uint64_t offset, std::string_view bytes, const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::pwrite(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
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

Status CreateFile(const std::string& folder, const std::string& name, std::string_view bytes) {
  const std::string path = folder + "/" + name;
  const std::string temporary = path + ".new";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("creating " + temporary);
  Status written = WriteAt(fd, 0, bytes, temporary);
  if (written.ok() && ::fsync(fd) != 0) written = Errno("syncing " + temporary);
  ::close(fd);
  CAIRN_RETURN_IF_ERROR(written);
  if (::rename(temporary.c_str(), path.c_str()) != 0) return Errno("renaming " + temporary);
  return SyncFolder(folder);
}

}  // namespace cairn::node
