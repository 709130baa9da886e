// Parsing what people type: addresses (40 hex) or public keys (64 hex, turned into
// their address), hashes (64 hex), roles (user, issuer, admin).
#pragma once

#include <string>

#include "cairn/v1/state.pb.h"
#include "crypto/bytes.h"
#include "crypto/status.h"

namespace cairn::cli {

Result<Bytes> ParseAddress(const std::string& text);
Result<Bytes> ParseHash(const std::string& text);
Result<v1::Role> ParseRole(const std::string& text);
// "user", "issuer", "admin".
std::string RoleName(v1::Role role);

}  // namespace cairn::cli
