// Files the CLI writes for operators (genesis, configs): never over an existing file,
// since one of them may sit beside a key.
#pragma once

#include <filesystem>
#include <string>

#include "crypto/status.h"

namespace cairn::cli {

// Creates `path` with `text` and `mode` (0600 for a secret); an error if it exists or
// cannot be written.
Status WriteNewFile(const std::filesystem::path& path, const std::string& text, unsigned mode = 0644);

}  // namespace cairn::cli
