// Signature verification behind an interface, so that a result can be cached: a node
// verifies a transaction once on admission and reuses the answer when the transaction
// arrives again in a block, and the simulator verifies each signature once for all of
// its replicas.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
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
//
// A signature being checked by one thread is not checked again by another: the second
// caller waits for the first one's answer. This is what lets the consensus thread and
// the admission pool walk the same batch of transactions at once (a proposal can arrive
// while its transactions' gossip is still being admitted) and share the work instead
// of doing it twice.
class CachingVerifier : public SignatureVerifier {
 public:
  explicit CachingVerifier(size_t capacity) : capacity_(capacity) {}
  bool Verify(const PublicKey& key, ByteView message, ByteView signature) override;
  // Each call counts once: answered from the cache (hits), checked by this thread
  // (misses), or answered by another thread's check it waited for (waits).
  size_t hits() const;
  size_t misses() const;
  size_t waits() const;

 private:
  enum class Result : uint8_t { kChecking, kValid, kInvalid };
  // Records `id`'s answer, wakes its waiters and evicts beyond capacity.
  void Finish(const Hash& id, bool valid);

  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable finished_;
  std::list<Hash> order_;  // oldest first; entries still kChecking are never evicted
  std::unordered_map<Hash, Result, HashHasher> results_;
  size_t hits_ = 0;
  size_t misses_ = 0;
  size_t waits_ = 0;
};

}  // namespace cairn::crypto
