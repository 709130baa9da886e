#include "node/cli/args.h"

#include "crypto/domain.h"

namespace cairn::cli {

Result<Bytes> ParseAddress(const std::string& text) {
  auto bytes = FromHex(text);
  if (bytes.ok() && bytes->size() == 20) return *bytes;
  if (bytes.ok() && bytes->size() == 32) return crypto::AddressOf(*bytes);
  return Status::InvalidArgument("'" + text + "' is neither an address (40 hex characters) nor a public key (64)");
}

Result<Bytes> ParseHash(const std::string& text) {
  auto bytes = FromHex(text);
  if (!bytes.ok() || bytes->size() != 32) return Status::InvalidArgument("'" + text + "' is not a hash (64 hex characters)");
  return *bytes;
}

Result<v1::Role> ParseRole(const std::string& text) {
  if (text == "user") return v1::ROLE_USER;
  if (text == "issuer") return v1::ROLE_ISSUER;
  if (text == "admin") return v1::ROLE_ADMIN;
  return Status::InvalidArgument("role '" + text + "' is not one of user, issuer, admin");
}

std::string RoleName(v1::Role role) {
  switch (role) {
    case v1::ROLE_USER: return "user";
    case v1::ROLE_ISSUER: return "issuer";
    case v1::ROLE_ADMIN: return "admin";
    default: return "none";
  }
}

}  // namespace cairn::cli
