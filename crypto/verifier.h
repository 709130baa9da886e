// Signature verification behind an interface, so that a result can be cached: a node
// verifies a transaction once on admission and reuses the answer when the transaction
// arrives again in a block, and the simulator verifies each signature once for all of
// its replicas.
#pragma once

#include <cstddef>
#include <list>
#include <mutex>
#include <unordered_map>

#include "crypto/bytes.h"
#include "crypto/ed25519.h"

namespace cairn::crypto {

class SignatureVerifier {
 public:
  virtual ~SignatureVerifier() = default;
  virtual bool Verify(const PublicKey& key, ByteView message, ByteView signature) = 0;
};

// Verifies every time.
class DirectVerifier : public SignatureVerifier {
 public:
  bool Verify(const PublicKey& key, ByteView message, ByteView signature) override {
    return key.Verify(message, signature);
  }
};

// Remembers up to `capacity` results (valid and invalid), keyed by the SHA-256 of key,
// message and signature, evicting the oldest. Thread-safe.
class CachingVerifier : public SignatureVerifier {
 public:
  explicit CachingVerifier(size_t capacity) : capacity_(capacity) {}
  bool Verify(const PublicKey& key, ByteView message, ByteView signature) override;
  size_t hits() const;
  size_t misses() const;

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::list<Hash> order_;  // oldest first
  std::unordered_map<Hash, bool, HashHasher> results_;
  size_t hits_ = 0;
  size_t misses_ = 0;
};

}  // namespace cairn::crypto
