#include "ledger/node_cache.h"

namespace cairn::ledger {

namespace {
// What an entry costs beyond the node: the list cell (with the key in it), the index
// slot, the shared pointer's control block.
constexpr size_t kEntryOverhead = sizeof(std::pair<tree::NodeKeyBuffer, tree::NodePtr>) + 16 + 48 + 16;
size_t Charge(const tree::Node& node) { return node.MemoryBytes() + kEntryOverhead; }
}  // namespace

tree::NodePtr NodeCache::Get(ByteView key) {
  std::lock_guard lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->second;
}

void NodeCache::Put(ByteView key, tree::NodePtr node) {
  std::lock_guard lock(mu_);
  if (index_.count(key) > 0) return;
  lru_.emplace_front(tree::NodeKeyBuffer(key), std::move(node));
  index_.emplace(lru_.front().first.view(), lru_.begin());
  bytes_ += Charge(*lru_.front().second);
  EvictLocked();
}

void NodeCache::EvictLocked() {
  while (bytes_ > capacity_bytes_ && !lru_.empty()) {
    const Entry& last = lru_.back();
    bytes_ -= Charge(*last.second);
    index_.erase(last.first.view());
    lru_.pop_back();
  }
}

NodeCache::Stats NodeCache::stats() const {
  std::lock_guard lock(mu_);
  return {hits_, misses_, bytes_, lru_.size()};
}

}  // namespace cairn::ledger
