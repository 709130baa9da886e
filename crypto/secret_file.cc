#include "crypto/secret_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace cairn::crypto {

Result<std::string> ReadSecretFile(const std::string& path, const std::string& what) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return Status::NotFound("cannot read " + what + " " + path + ": " + std::strerror(errno));
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 0777));
    return Status::FailedPrecondition(what + " " + path + " is readable by others (mode " + mode + "); run: chmod 600 " +
                                      path);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot open " + what + " " + path + ": " + std::strerror(errno));
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

}  // namespace cairn::crypto
