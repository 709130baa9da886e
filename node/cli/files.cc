#include "node/cli/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace cairn::cli {

Status WriteNewFile(const std::filesystem::path& path, const std::string& text, unsigned mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, static_cast<mode_t>(mode));
  if (fd < 0) {
    return errno == EEXIST ? Status::AlreadyExists(path.string() + " exists; it is never overwritten")
                           : Status::IoError("cannot create " + path.string() + ": " + std::strerror(errno));
  }
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return Status::IoError("cannot write " + path.string() + ": " + std::strerror(errno));
    }
    written += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) return Status::IoError("cannot write " + path.string() + ": " + std::strerror(errno));
  return Status::Ok();
}

}  // namespace cairn::cli
