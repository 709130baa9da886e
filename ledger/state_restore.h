// State sync, the receiving side: rebuilds one version of the state tree (the target, a
// block whose header this node has verified, so its state root is trusted) from
// chunks (state_chunk.h) that any peers send, in any order.
//
// Every answer is checked against the hash this restorer already trusts for its path:
// the target root for the root, and below it the hash a checked parent node names for
// that child slot. So a chunk proves itself alone, whoever sent it, and the subtrees of
// a node's children cover its key range exactly: no gap, no overlap, by construction.
// A lie (a changed, missing or extra leaf, a node of another version, a truncated
// answer) fails that check and Apply says which check.
//
// Storage: the tree is stored as version `version` in the ledger's key layout, so that
// TreeStore::Load(version) reads it when it is done. Each checked subtree of leaves is
// written at once with a record saying it is whole (keys.h: Y); a node whose children
// came as separate chunks is written once they all are, in one batch that replaces
// their records by its own. Open on a store holding part of the same target goes on
// from what is there. The last write, synced, is the root record (R <version>).
//
// Memory: the nodes above the chunks still being fetched (a few hundred for a million
// accounts) and the list of paths wanted.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "cairn/v1/p2p.pb.h"
#include "crypto/bytes.h"
#include "crypto/status.h"
#include "ledger/kv_store.h"
#include "ledger/tree_node.h"

namespace cairn::ledger {

class StateRestore {
 public:
  // Opens (or resumes) restoring version `version` with root `root` into `store`, which
  // must outlive it.
  static Result<std::unique_ptr<StateRestore>> Open(KvStore& store, tree::Version version, const Hash& root);

  // The paths to ask for (by EncodeNibblePath), each with the hash its answer must have.
  const std::map<Bytes, Hash>& wanted() const { return wanted_; }

  enum class Applied {
    kStored,     // checked and stored; wanted() may have grown by its children
    kNotWanted,  // not a path wanted now (a late answer to a hedged request): ignored
    kNotServed,  // the peer says it does not hold that node: ask another
  };
  // An error (INVALID_ARGUMENT, naming the check that failed) when `response` does not
  // prove the subtree this restorer expects at its path: the peer lied. Any other
  // error is the store's.
  Result<Applied> Apply(const v1::StateChunkResponse& response);

  bool finished() const { return finished_; }
  tree::Version version() const { return version_; }
  uint64_t leaves_stored() const { return leaves_stored_; }  // by this object
  uint64_t accounts() const { return accounts_; }            // once finished

 private:
  // A checked node whose internal children are still being fetched.
  struct Pending {
    Hash hash{};
    std::vector<tree::Child> children;  // versions rewritten to version_ when stored
    std::map<uint8_t, tree::NodePtr> leaf_children;  // came with the node, by slot
    int unresolved = 0;
    uint64_t leaves = 0;
  };

  StateRestore(KvStore& store, tree::Version version, const Hash& root)
      : store_(store), version_(version), root_(root) {}
  Status ApplyLeaves(const Bytes& key, const tree::NibblePath& path, const Hash& hash,
                     const v1::StateChunkResponse& response, WriteBatch* batch);
  Status ApplyNode(const Bytes& key, const tree::NibblePath& path, const Hash& hash,
                   const v1::StateChunkResponse& response, WriteBatch* batch);
  // The subtree at `key` is stored whole: its parent learns what it is.
  void Resolve(const Bytes& key, bool is_leaf, uint64_t leaves, WriteBatch* batch);
  void StoreInternal(Bytes key, WriteBatch* batch);  // by value: it may name the entry it erases

  KvStore& store_;
  const tree::Version version_;
  const Hash root_;
  std::map<Bytes, Hash> wanted_;
  std::map<Bytes, Pending> pending_;  // by EncodeNibblePath
  bool finished_ = false;
  uint64_t leaves_stored_ = 0;
  uint64_t accounts_ = 0;
};

}  // namespace cairn::ledger
