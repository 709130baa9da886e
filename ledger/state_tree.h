// The state tree: an authenticated map from 256-bit keys to values (each committed to by
// its 32-byte value hash), whose root goes into every block header. A client holding
// only a root checks a proof that an account has some state, or none (VerifyStateProof).
//
// Logically: a binary sparse Merkle tree over SHA-256(address), compressed so that a
// subtree holding one key is that key's leaf (the Jellyfish/Diem layout). Depth is about
// log2(accounts) instead of 256, so an update costs about log2(N) hashes per changed key.
//   empty subtree  = 32 zero bytes
//   leaf           = SHA-256(0x00 || key || value_hash)
//   internal node  = SHA-256(0x01 || left || right)
// The layout is canonical: one set of (key, value) pairs has exactly one tree and root.
//
// Physically: versioned 16-ary nodes (tree_node.h) that live on disk (tree_store.h) and
// are read through a bounded cache. A StateTree is one version: a root and where its
// nodes are. A version is immutable and old versions stay valid after an update, so an
// uncommitted block holds its own version (its new nodes in memory, in an overlay over
// the committed ones), and a reader keeps reading the version it took while a commit
// writes the next (a reader never waits for a commit, nor a commit for a reader).
// Memory: the overlays of uncommitted versions and the cache, never the whole tree.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/status.h"
#include "ledger/tree_node.h"

namespace cairn::ledger {

struct StateProof {
  std::vector<Hash> siblings;  // deepest first; all-zero hash for an empty sibling
  // The leaf the path ends in, if any. Its key equals the asked-for key for a proof of
  // presence, and differs for a proof of absence that ends in another leaf.
  std::optional<std::pair<Hash, Hash>> leaf;  // (key, value_hash)
};

// Where the nodes of committed versions come from (the store, through its cache).
class NodeReader {
 public:
  virtual ~NodeReader() = default;
  // The node stored under `node_key`, checked to hash to `expected_hash`. An error when
  // it is missing (the tree is damaged) or the read failed.
  virtual Result<tree::NodePtr> Read(ByteView node_key, const Hash& expected_hash) const = 0;
  // The newest version on disk: overlays up to it are no longer needed.
  virtual tree::Version committed_version() const = 0;
};

// The nodes one version wrote, and the nodes of earlier versions it replaced (stale
// from this version on: what pruning may delete once no retained version needs them).
struct TreeChanges {
  tree::Version version = 0;
  // By node key, ascending, each key once (a version writes one node at a place). A
  // vector, not a map: a block at a million accounts writes thousands of nodes, and
  // each would be an allocation of its own.
  std::vector<std::pair<tree::NodeKeyBuffer, tree::NodePtr>> nodes;
  std::vector<Bytes> stale;  // node keys

  // The node written under `key`, or null.
  tree::NodePtr Find(ByteView key) const;
  // Puts `nodes` in key order once they are all written.
  void Sort();
};

// A key's value (nullopt: absent) and the proof of it.
struct ProvenValue {
  std::optional<Bytes> value;
  StateProof proof;
};

class StateTree {
 public:
  // A change: set key to a value, or remove it (nullopt). A value is committed to by
  // its tree::ValueHash.
  using Change = std::pair<Hash, std::optional<Bytes>>;
  using Entry = std::pair<Hash, Bytes>;

  // The empty tree, with no store behind it.
  StateTree() = default;
  // A committed version whose nodes `reader` holds (it must outlive the tree).
  StateTree(const NodeReader* reader, tree::Version version, std::optional<tree::ChildRef> root, uint64_t size)
      : reader_(reader), version_(version), root_(root), size_(size) {}

  // Builds, in memory, the tree of `entries` (distinct keys, any order) as written by
  // `version`. For genesis, tests and converting an old data directory.
  static StateTree Build(tree::Version version, std::vector<Entry> entries);

  // The tree with `changes` applied, written by `version`, which must be above this
  // tree's. Keys must be distinct; any order. An error only when reading a node failed.
  Result<StateTree> Update(tree::Version version, std::vector<Change> changes) const;

  Hash root() const { return root_ ? root_->hash : Hash{}; }
  const std::optional<tree::ChildRef>& root_ref() const { return root_; }
  uint64_t size() const { return size_; }
  tree::Version version() const { return version_; }

  Result<std::optional<Bytes>> Get(const Hash& key) const;
  Result<ProvenValue> Prove(const Hash& key) const;
  // Up to `limit` entries with keys >= `from`, in key order: a page of the tree's
  // contents (the audit walks it; state sync serves it).
  Result<std::vector<Entry>> Leaves(const Hash& from, size_t limit) const;

  // Subtrees, for state sync (state_chunk.h). The reference of the node stored at
  // exactly `path` (nullopt: the path ends above it, in a leaf or an empty slot).
  Result<std::optional<tree::ChildRef>> RefAt(const tree::NibblePath& path) const;
  // The node of `ref` at `path`: from the overlays of uncommitted versions, or the reader.
  Result<tree::NodePtr> Load(const tree::ChildRef& ref, const tree::NibblePath& path) const;
  // Up to `limit` entries of the subtree of `ref` at `path`, in key order.
  Result<std::vector<Entry>> LeavesUnder(const tree::ChildRef& ref, const tree::NibblePath& path, size_t limit) const;
  // The subtree of `entries` (sorted by key, distinct, all under `path`, at least one)
  // as `version` writes it at `path`: its reference and its nodes.
  static std::pair<tree::ChildRef, TreeChanges> BuildSubtree(tree::Version version, const tree::NibblePath& path,
                                                            std::span<const Entry> entries);

  // What this version wrote (empty when it changed nothing); to be stored when it
  // commits.
  const TreeChanges* changes() const;
  // The same version, read from `reader` alone, once its changes are on disk.
  StateTree Committed(const NodeReader* reader) const { return StateTree(reader, version_, root_, size_); }
  // The same tree holding `pin` (ledger/version_pins.h) while it or any copy, or any
  // tree updated from it, lives: pruning keeps the nodes it reads.
  StateTree Pinned(std::shared_ptr<const void> pin) const {
    StateTree out = *this;
    out.pin_ = std::move(pin);
    return out;
  }

 private:
  class Updater;
  // The leaf where `key`'s path ends (null: an empty subtree), with the binary siblings
  // on the way, root first, when `siblings` is given.
  Result<tree::NodePtr> Walk(const Hash& key, std::vector<Hash>* siblings) const;
  // Leaves: the subtree of `ref` at `path`; `bounded` while `path` is a prefix of `from`.
  Status CollectLeaves(const tree::ChildRef& ref, const tree::NibblePath& path, const Hash& from, bool bounded,
                       size_t limit, std::vector<Entry>* out) const;

  const NodeReader* reader_ = nullptr;
  std::shared_ptr<const void> pin_;
  tree::Version version_ = 0;
  std::optional<tree::ChildRef> root_;
  uint64_t size_ = 0;
  // The changes of versions not yet on disk that this one reads, its own last.
  std::vector<std::shared_ptr<const TreeChanges>> overlays_;
};

// The smallest key above `key`, nullopt for the largest: where the next page starts.
std::optional<Hash> KeyAfter(const Hash& key);

// The key of an account in the tree: SHA-256 of its address.
Hash StateKey(ByteView address);

// The value an account's leaf commits to: tree::ValueHash of the serialized Account
// exactly as stored and as sent in proofs.
inline Hash AccountValueHash(ByteView account_bytes) { return tree::ValueHash(account_bytes); }

// True when `proof` shows that `key` maps to `value_hash` (or, with nullopt, to nothing)
// under `root`.
bool VerifyStateProof(const Hash& root, const Hash& key, const std::optional<Hash>& value_hash,
                      const StateProof& proof);

}  // namespace cairn::ledger
