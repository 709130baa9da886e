// The state tree: an authenticated map from 256-bit keys to 32-byte value hashes, whose
// root goes into every block header. A client holding only a root checks a proof that an
// account has some state, or none (VerifyStateProof).
//
// Choice: a binary sparse Merkle tree over SHA-256(address), compressed so that a subtree
// holding one key is that key's leaf (the Jellyfish/Diem layout). Depth is about
// log2(accounts) instead of 256, so an update costs about log2(N) hashes per changed
// account: for 2,000 changed accounts in a tree of 1M, ~40k SHA-256 calls (~10 ms).
//   empty subtree  = 32 zero bytes
//   leaf           = SHA-256(0x00 || key || value_hash)
//   internal node  = SHA-256(0x01 || left || right)
// The layout is canonical: one set of (key, value) pairs has exactly one tree and root.
//
// Nodes are immutable and shared between versions: Update returns a new tree and leaves
// the old one valid, so uncommitted blocks can each hold their own version cheaply and a
// reader keeps a consistent version while a commit builds the next. The tree lives in
// memory and is rebuilt from the account records when the ledger opens (O(N log N) at
// start, ~100 bytes of memory per account); the root in the head block's header checks
// the rebuild.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "crypto/bytes.h"

namespace cairn::ledger {

struct StateProof {
  std::vector<Hash> siblings;  // deepest first; all-zero hash for an empty sibling
  // The leaf the path ends in, if any. Its key equals the asked-for key for a proof of
  // presence, and differs for a proof of absence that ends in another leaf.
  std::optional<std::pair<Hash, Hash>> leaf;  // (key, value_hash)
};

class StateTree {
 public:
  struct Node;
  using NodePtr = std::shared_ptr<const Node>;
  // A change: set key to value_hash, or remove it (nullopt).
  using Change = std::pair<Hash, std::optional<Hash>>;

  StateTree() = default;

  // Builds a tree from (key, value_hash) pairs with distinct keys, in any order.
  static StateTree Build(std::vector<std::pair<Hash, Hash>> entries);

  // A new tree with `changes` applied. Keys must be distinct; any order.
  StateTree Update(std::vector<Change> changes) const;

  Hash root() const;
  size_t size() const { return size_; }
  std::optional<Hash> Get(const Hash& key) const;
  StateProof Prove(const Hash& key) const;

 private:
  StateTree(NodePtr root, size_t size) : root_(std::move(root)), size_(size) {}
  NodePtr root_;
  size_t size_ = 0;
};

// The key of an account in the tree: SHA-256 of its address.
Hash StateKey(ByteView address);

// The value an account's leaf commits to: DomainHash(kAccountLeaf, "", the serialized
// Account exactly as stored and as sent in proofs).
Hash AccountValueHash(ByteView account_bytes);

// True when `proof` shows that `key` maps to `value_hash` (or, with nullopt, to nothing)
// under `root`.
bool VerifyStateProof(const Hash& root, const Hash& key, const std::optional<Hash>& value_hash,
                      const StateProof& proof);

}  // namespace cairn::ledger
