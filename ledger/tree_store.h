// The state tree on disk: versioned nodes in the ledger's store (keys.h: n, R, s), read
// through a bounded cache. The ledger owns one; every StateTree of a committed version
// reads its nodes here.
//
// Contract:
//  - Writes go into the caller's WriteBatch (the block's one synced batch), so a
//    version's nodes, its stale-node index and its root record land with the block or
//    not at all. MarkCommitted is called after that batch is durable.
//  - Reads are safe from any thread, concurrently with the one writer: a committed
//    node is never rewritten (until pruning deletes a version no reader holds).
//  - Open reads one root record, never the whole tree.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "ledger/kv_store.h"
#include "ledger/node_cache.h"
#include "ledger/state_tree.h"

namespace cairn::ledger {

class TreeStore : public NodeReader {
 public:
  TreeStore(const KvStore& store, size_t cache_bytes) : store_(store), cache_(cache_bytes) {}

  Result<tree::NodePtr> Read(ByteView node_key, const Hash& expected_hash) const override;
  tree::Version committed_version() const override { return committed_version_.load(std::memory_order_acquire); }

  // The committed tree at `version` (a block height). NOT_FOUND when the store has no
  // root record for it.
  Result<StateTree> Load(tree::Version version) const;

  // Adds what committing `tree` stores: the nodes its version wrote, the index of the
  // nodes it made stale, and its root record.
  void AddToBatch(const StateTree& tree, WriteBatch* batch) const;
  // After the batch that held AddToBatch(tree) is durable: its nodes go in the cache
  // and its version is the committed one.
  void MarkCommitted(const StateTree& tree);
  // After a reload, the version the disk holds.
  void SetCommittedVersion(tree::Version version) { committed_version_.store(version, std::memory_order_release); }

  // Stores a whole tree built in memory (converting an old data directory) in `store`,
  // the one this reads: the nodes in batches of bounded size, then, synced, the root
  // record. A crash between leaves
  // nodes no root names; doing it again writes the same records.
  Status WriteWhole(const StateTree& tree, KvStore& store);

  // The keys of the nodes that `version` made stale (empty when it replaced none).
  Result<std::vector<Bytes>> StaleNodes(tree::Version version) const;

  NodeCache::Stats cache_stats() const { return cache_.stats(); }

 private:
  const KvStore& store_;
  mutable NodeCache cache_;
  std::atomic<tree::Version> committed_version_{0};
};

}  // namespace cairn::ledger
