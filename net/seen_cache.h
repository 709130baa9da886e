// A bounded set of recently seen hashes, oldest evicted first: gossip uses it so that a
// transaction is checked and forwarded once, however many peers send it, and a peer
// replaying old transactions costs a lookup, not a signature check.
#pragma once

#include <deque>
#include <mutex>
#include <unordered_set>

#include "crypto/bytes.h"

namespace cairn::net {

class SeenCache {
 public:
  explicit SeenCache(size_t capacity) : capacity_(capacity) {}
  // True the first time `hash` is offered (while it is remembered); thread-safe.
  bool FirstSight(const Hash& hash) {
    std::lock_guard lock(mu_);
    if (!seen_.insert(hash).second) return false;
    order_.push_back(hash);
    if (order_.size() > capacity_) {
      seen_.erase(order_.front());
      order_.pop_front();
    }
    return true;
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return seen_.size();
  }

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::unordered_set<Hash, HashHasher> seen_;
  std::deque<Hash> order_;
};

}  // namespace cairn::net
