// The few POSIX file operations the node's own durable files (the safety record, the
// voted-block log) are made of, with errors that name the file.
#pragma once

#include <string>
#include <string_view>

#include "crypto/status.h"

namespace cairn::node {

// An IoError naming `what`, with errno's text.
Status Errno(const std::string& what);
bool Exists(const std::string& path);
// All of `bytes` at `offset` of `fd` (pwrite, retried); `path` names it in errors.
Status WriteAt(int fd, uint64_t offset, std::string_view bytes, const std::string& path);
Status SyncFolder(const std::string& folder);
// Creates `folder`/`name` whole: a temporary file, synced, renamed to `name`, and the
// folder synced. A crash leaves either the old file (or none) or the new one.
Status CreateFile(const std::string& folder, const std::string& name, std::string_view bytes);

}  // namespace cairn::node
