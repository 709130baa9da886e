#include "crypto/verifier.h"

#include "crypto/sha256.h"

namespace cairn::crypto {

bool CachingVerifier::Verify(const PublicKey& key, ByteView message, ByteView signature) {
  Sha256 hasher;
  // Length-prefix the message so (message, signature) pairs cannot collide.
  Bytes length;
  AppendU64(&length, message.size());
  Hash id = hasher.Update(key.bytes()).Update(length).Update(message).Update(signature).Finish();
  {
    std::lock_guard lock(mu_);
    auto it = results_.find(id);
    if (it != results_.end()) {
      ++hits_;
      return it->second;
    }
    ++misses_;
  }
  // Verified outside the lock: two threads may verify one signature twice, never wrongly.
  bool valid = key.Verify(message, signature);
  std::lock_guard lock(mu_);
  if (results_.emplace(id, valid).second) {
    order_.push_back(id);
    if (order_.size() > capacity_) {
      results_.erase(order_.front());
      order_.pop_front();
    }
  }
  return valid;
}

size_t CachingVerifier::hits() const {
  std::lock_guard lock(mu_);
  return hits_;
}

size_t CachingVerifier::misses() const {
  std::lock_guard lock(mu_);
  return misses_;
}

}  // namespace cairn::crypto
