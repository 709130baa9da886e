#include "crypto/sha256.h"

#include <openssl/evp.h>

#include "crypto/check.h"

namespace cairn::crypto {

namespace {
// Fetched once and never freed: it lives as long as the process.
const EVP_MD* Sha256Algorithm() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  CAIRN_CHECK(md != nullptr);
  return md;
}
}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  CAIRN_CHECK(ctx_ != nullptr);
  CAIRN_CHECK(EVP_DigestInit_ex(ctx_, Sha256Algorithm(), nullptr) == 1);
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

Sha256& Sha256::Update(ByteView data) {
  CAIRN_CHECK(EVP_DigestUpdate(ctx_, data.data(), data.size()) == 1);
  return *this;
}

Hash Sha256::Finish() {
  Hash out;
  unsigned int len = 0;
  CAIRN_CHECK(EVP_DigestFinal_ex(ctx_, out.data(), &len) == 1 && len == out.size());
  CAIRN_CHECK(EVP_DigestInit_ex(ctx_, Sha256Algorithm(), nullptr) == 1);
  return out;
}

Hash Sha256Of(ByteView data) {
  thread_local Sha256 hasher;
  return hasher.Update(data).Finish();
}

}  // namespace cairn::crypto
