// A bounded cache of state tree nodes read from (or just written to) disk, shared by
// the consensus thread and readers on any thread.
//
// Least recently used nodes go first once the charged bytes pass the capacity; a node
// is charged its memory and its key. Nodes are immutable and a key names one node for
// ever, so a cached node is never stale: the cache holds only nodes that are on disk.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <unordered_map>

#include "ledger/tree_node.h"

namespace cairn::ledger {

class NodeCache {
 public:
  explicit NodeCache(size_t capacity_bytes) : capacity_bytes_(capacity_bytes) {}

  // The node under `key`, or null.
  tree::NodePtr Get(ByteView key);
  void Put(ByteView key, tree::NodePtr node);

  struct Stats {
    uint64_t hits = 0;
    uint64_t misses = 0;
    size_t bytes = 0;
    size_t nodes = 0;
  };
  Stats stats() const;

 private:
  using Entry = std::pair<tree::NodeKeyBuffer, tree::NodePtr>;
  void EvictLocked();

  const size_t capacity_bytes_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<ByteView, std::list<Entry>::iterator> index_;  // views of lru_'s keys
  size_t bytes_ = 0;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};

}  // namespace cairn::ledger
