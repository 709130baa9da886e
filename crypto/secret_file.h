// Files that hold secrets (a private key, a token's PIN): read only when no one but the
// owner can read them, because a validator key or PIN that leaked is a validator an
// attacker controls.
#pragma once

#include <string>

#include "crypto/status.h"

namespace cairn::crypto {

// The contents of `path`, or FailedPrecondition (naming the mode and the chmod that
// fixes it) when group or others may read it. `what` names the file in errors ("key
// file", "PIN file").
Result<std::string> ReadSecretFile(const std::string& path, const std::string& what);

}  // namespace cairn::crypto
