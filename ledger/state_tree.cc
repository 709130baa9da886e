#include "ledger/state_tree.h"

#include <algorithm>

#include "crypto/check.h"
#include "crypto/domain.h"
#include "crypto/sha256.h"

namespace cairn::ledger {

struct StateTree::Node {
  Hash hash;
  bool is_leaf = false;
  Hash key;         // leaf only
  Hash value_hash;  // leaf only
  NodePtr left;     // internal only; null is an empty subtree
  NodePtr right;
};

namespace {

using Node = StateTree::Node;
using NodePtr = StateTree::NodePtr;
constexpr Hash kEmptyHash{};
// Two distinct 256-bit keys differ at some bit below this depth.
constexpr int kMaxDepth = 256;

bool BitAt(const Hash& key, int depth) { return (key[depth / 8] >> (7 - depth % 8)) & 1; }

Hash LeafHash(const Hash& key, const Hash& value_hash) {
  thread_local crypto::Sha256 hasher;
  static constexpr char kLeafPrefix = '\0';
  return hasher.Update(ByteView(&kLeafPrefix, 1)).Update(key).Update(value_hash).Finish();
}

Hash InternalHash(const Hash& left, const Hash& right) {
  thread_local crypto::Sha256 hasher;
  static constexpr char kInternalPrefix = '\1';
  return hasher.Update(ByteView(&kInternalPrefix, 1)).Update(left).Update(right).Finish();
}

Hash HashOf(const NodePtr& node) { return node ? node->hash : kEmptyHash; }

NodePtr MakeLeaf(const Hash& key, const Hash& value_hash) {
  auto node = std::make_shared<Node>();
  node->is_leaf = true;
  node->key = key;
  node->value_hash = value_hash;
  node->hash = LeafHash(key, value_hash);
  return node;
}

// Keeps the layout canonical: an empty pair is empty, and a lone leaf moves up to take
// the place of an internal node that would hold only it.
NodePtr MakeInternal(NodePtr left, NodePtr right) {
  if (!left && !right) return nullptr;
  if (!left && right->is_leaf) return right;
  if (!right && left->is_leaf) return left;
  auto node = std::make_shared<Node>();
  node->hash = InternalHash(HashOf(left), HashOf(right));
  node->left = std::move(left);
  node->right = std::move(right);
  return node;
}

using Entry = std::pair<Hash, Hash>;

// `entries` sorted by key, distinct.
NodePtr BuildSubtree(std::span<const Entry> entries, int depth) {
  if (entries.empty()) return nullptr;
  if (entries.size() == 1) return MakeLeaf(entries[0].first, entries[0].second);
  CAIRN_CHECK(depth < kMaxDepth);
  auto split = std::partition_point(entries.begin(), entries.end(),
                                    [depth](const Entry& e) { return !BitAt(e.first, depth); });
  size_t left_count = split - entries.begin();
  return MakeInternal(BuildSubtree(entries.subspan(0, left_count), depth + 1),
                      BuildSubtree(entries.subspan(left_count), depth + 1));
}

using Change = StateTree::Change;

// `changes` sorted by key, distinct. `size_delta` counts keys added minus removed.
NodePtr UpdateSubtree(const NodePtr& node, std::span<const Change> changes, int depth,
                      int64_t* size_delta) {
  if (changes.empty()) return node;
  if (!node || node->is_leaf) {
    // Rebuild this small subtree: the changes plus the leaf that sat here, unless a
    // change replaces or removes it.
    std::vector<Entry> entries;
    bool leaf_touched = false;
    for (const auto& [key, value] : changes) {
      bool is_leaf_key = node && key == node->key;
      leaf_touched |= is_leaf_key;
      if (value) entries.emplace_back(key, *value);
      if (value && !is_leaf_key) ++*size_delta;
      if (!value && is_leaf_key) --*size_delta;
    }
    if (node && !leaf_touched) {
      entries.emplace_back(node->key, node->value_hash);
      std::sort(entries.begin(), entries.end());
    }
    return BuildSubtree(entries, depth);
  }
  CAIRN_CHECK(depth < kMaxDepth);
  auto split = std::partition_point(changes.begin(), changes.end(),
                                    [depth](const Change& c) { return !BitAt(c.first, depth); });
  size_t left_count = split - changes.begin();
  NodePtr left = UpdateSubtree(node->left, changes.subspan(0, left_count), depth + 1, size_delta);
  NodePtr right = UpdateSubtree(node->right, changes.subspan(left_count), depth + 1, size_delta);
  if (left == node->left && right == node->right) return node;
  return MakeInternal(std::move(left), std::move(right));
}

}  // namespace

StateTree StateTree::Build(std::vector<std::pair<Hash, Hash>> entries) {
  std::sort(entries.begin(), entries.end());
  for (size_t i = 1; i < entries.size(); ++i) CAIRN_CHECK(entries[i - 1].first != entries[i].first);
  return StateTree(BuildSubtree(entries, 0), entries.size());
}

StateTree StateTree::Update(std::vector<Change> changes) const {
  std::sort(changes.begin(), changes.end(),
            [](const Change& a, const Change& b) { return a.first < b.first; });
  for (size_t i = 1; i < changes.size(); ++i) CAIRN_CHECK(changes[i - 1].first != changes[i].first);
  int64_t size_delta = 0;
  NodePtr root = UpdateSubtree(root_, changes, 0, &size_delta);
  return StateTree(std::move(root), static_cast<size_t>(static_cast<int64_t>(size_) + size_delta));
}

Hash StateTree::root() const { return HashOf(root_); }

std::optional<Hash> StateTree::Get(const Hash& key) const {
  const Node* node = root_.get();
  for (int depth = 0; node && !node->is_leaf; ++depth) {
    node = BitAt(key, depth) ? node->right.get() : node->left.get();
  }
  if (node && node->key == key) return node->value_hash;
  return std::nullopt;
}

StateProof StateTree::Prove(const Hash& key) const {
  StateProof proof;
  const Node* node = root_.get();
  for (int depth = 0; node && !node->is_leaf; ++depth) {
    bool right = BitAt(key, depth);
    proof.siblings.push_back(HashOf(right ? node->left : node->right));
    node = right ? node->right.get() : node->left.get();
  }
  if (node) proof.leaf = std::make_pair(node->key, node->value_hash);
  std::reverse(proof.siblings.begin(), proof.siblings.end());
  return proof;
}

Hash StateKey(ByteView address) { return crypto::Sha256Of(address); }

Hash AccountValueHash(ByteView account_bytes) {
  return crypto::DomainHash(crypto::Purpose::kAccountLeaf, "", account_bytes);
}

bool VerifyStateProof(const Hash& root, const Hash& key, const std::optional<Hash>& value_hash,
                      const StateProof& proof) {
  const int path_length = static_cast<int>(proof.siblings.size());
  if (path_length > kMaxDepth) return false;
  Hash current = kEmptyHash;
  if (value_hash) {
    // Presence: the path must end in this key's own leaf.
    if (!proof.leaf || proof.leaf->first != key || proof.leaf->second != *value_hash) return false;
    current = LeafHash(key, *value_hash);
  } else if (proof.leaf) {
    // Absence shown by another key's leaf sitting where this key's path ends: it must
    // share the path's prefix, or it proves nothing about this key.
    const Hash& other = proof.leaf->first;
    if (other == key) return false;
    for (int depth = 0; depth < path_length; ++depth) {
      if (BitAt(other, depth) != BitAt(key, depth)) return false;
    }
    current = LeafHash(other, proof.leaf->second);
  }
  for (int i = 0; i < path_length; ++i) {
    int depth = path_length - 1 - i;
    const Hash& sibling = proof.siblings[i];
    current = BitAt(key, depth) ? InternalHash(sibling, current) : InternalHash(current, sibling);
  }
  return current == root;
}

}  // namespace cairn::ledger
