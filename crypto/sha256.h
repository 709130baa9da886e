// SHA-256 through OpenSSL's EVP interface, with the algorithm fetched once per process
// (OpenSSL 3 otherwise looks it up on every call, which dominates small inputs).
#pragma once

#include "crypto/bytes.h"

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace cairn::crypto {

// Incremental hasher. Not copyable; one per thread at a time.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  Sha256& Update(ByteView data);
  Sha256& Update(const Hash& h) { return Update(AsView(h)); }
  // Returns the digest; the hasher is then reset for reuse.
  Hash Finish();

 private:
  EVP_MD_CTX* ctx_;
};

// One-shot digest.
Hash Sha256Of(ByteView data);

}  // namespace cairn::crypto
