#include "node/load/load_accounts.h"

#include <string>

#include "crypto/sha256.h"

namespace cairn::load {

crypto::PrivateKey LoadAccountKey(uint32_t index) {
  const std::string label = "cairn-load-account/" + std::to_string(index);
  return crypto::PrivateKey::FromSeed(AsView(crypto::Sha256Of(label))).value();
}

crypto::PrivateKey CreatedAccountKey(uint64_t index) {
  const std::string label = "cairn-bench-account/" + std::to_string(index);
  return crypto::PrivateKey::FromSeed(AsView(crypto::Sha256Of(label))).value();
}

}  // namespace cairn::load
