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
    std::unique_lock lock(mu_);
    auto it = results_.find(id);
    if (it != results_.end() && it->second == Result::kChecking) {
      // Iterators may be invalidated while waiting: look the entry up again. Only
      // Finish leaves kChecking, so the wait ends when the other thread is done.
      finished_.wait(lock, [&] {
        it = results_.find(id);
        return it == results_.end() || it->second != Result::kChecking;
      });
      if (it != results_.end()) {
        ++waits_;
        return it->second == Result::kValid;
      }
      // Evicted while this thread slept (a tiny cache): check it here.
    } else if (it != results_.end()) {
      ++hits_;
      return it->second == Result::kValid;
    }
    ++misses_;
    results_.emplace(id, Result::kChecking);
  }
  // Verified outside the lock, by this thread only.
  bool valid = key.Verify(message, signature);
  Finish(id, valid);
  return valid;
}

void CachingVerifier::Finish(const Hash& id, bool valid) {
  {
    std::lock_guard lock(mu_);
    results_[id] = valid ? Result::kValid : Result::kInvalid;
    order_.push_back(id);
    // Entries join order_ when finished, so the oldest entries are never kChecking.
    while (order_.size() > capacity_) {
      results_.erase(order_.front());
      order_.pop_front();
    }
  }
  finished_.notify_all();
}

size_t CachingVerifier::hits() const {
  std::lock_guard lock(mu_);
  return hits_;
}

size_t CachingVerifier::misses() const {
  std::lock_guard lock(mu_);
  return misses_;
}

size_t CachingVerifier::waits() const {
  std::lock_guard lock(mu_);
  return waits_;
}

}  // namespace cairn::crypto
