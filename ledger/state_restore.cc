#include "ledger/state_restore.h"

#include "cairn/v1/storage.pb.h"
#include "crypto/check.h"
#include "ledger/keys.h"
#include "ledger/state_chunk.h"
#include "ledger/state_tree.h"

namespace cairn::ledger {

namespace {

Status Lie(const std::string& what) { return Status::InvalidArgument("state chunk: " + what); }

v1::RestoredSubtree SubtreeRecord(const Hash& hash, bool is_leaf, uint64_t leaves) {
  v1::RestoredSubtree record;
  record.set_hash(ToBytes(hash));
  record.set_is_leaf(is_leaf);
  record.set_leaf_count(leaves);
  return record;
}

// The record of a subtree at `key` stored whole for this target (another target's, with
// another hash, does not count).
Result<std::optional<v1::RestoredSubtree>> StoredSubtree(const KvStore& store, const Bytes& key, const Hash& hash) {
  CAIRN_ASSIGN_OR_RETURN(auto bytes, store.Get(keys::RestoredSubtree(key)));
  v1::RestoredSubtree record;
  if (!bytes || !record.ParseFromString(*bytes) || record.hash() != AsView(hash)) {
    return std::optional<v1::RestoredSubtree>();
  }
  return std::optional<v1::RestoredSubtree>(record);
}

void PutRootRecord(tree::Version version, const Hash& root, bool is_leaf, uint64_t leaves, WriteBatch* batch) {
  v1::StateTreeRoot record;
  if (root != Hash{}) {
    record.set_has_node(true);
    record.set_node_version(version);
    record.set_hash(ToBytes(root));
    record.set_is_leaf(is_leaf);
  }
  record.set_leaf_count(leaves);
  batch->Put(keys::StateRoot(version), record.SerializeAsString());
}

bool Under(const Hash& key, const tree::NibblePath& path) {
  for (int i = 0; i < path.length; ++i) {
    if (tree::NibbleAt(key, i) != tree::NibbleAt(path.nibbles, i)) return false;
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<StateRestore>> StateRestore::Open(KvStore& store, tree::Version version, const Hash& root) {
  std::unique_ptr<StateRestore> restore(new StateRestore(store, version, root));
  CAIRN_ASSIGN_OR_RETURN(auto existing, store.Get(keys::StateRoot(version)));
  if (existing) {
    v1::StateTreeRoot record;
    if (!record.ParseFromString(*existing) || record.hash() != (root == Hash{} ? "" : AsView(root))) {
      return Status::FailedPrecondition("the store already holds another state for version " + std::to_string(version));
    }
    restore->finished_ = true;
    restore->accounts_ = record.leaf_count();
    return restore;
  }
  WriteBatch batch;
  if (root == Hash{}) {
    PutRootRecord(version, root, false, 0, &batch);
    restore->finished_ = true;
  } else {
    CAIRN_ASSIGN_OR_RETURN(auto whole, StoredSubtree(store, Bytes(), root));
    if (whole) {
      restore->Resolve(Bytes(), whole->is_leaf(), whole->leaf_count(), &batch);
    } else {
      restore->wanted_.emplace(Bytes(), root);
    }
  }
  if (batch.size() > 0) CAIRN_RETURN_IF_ERROR(store.Write(batch, Durability::kSync));
  return restore;
}

Result<StateRestore::Applied> StateRestore::Apply(const v1::StateChunkResponse& response) {
  auto wanted = wanted_.find(response.path());
  if (response.version() != version_ || wanted == wanted_.end()) return Applied::kNotWanted;
  if (!response.error().empty()) return Applied::kNotServed;
  const Bytes key = wanted->first;
  const Hash hash = wanted->second;
  CAIRN_ASSIGN_OR_RETURN(tree::NibblePath path, DecodeNibblePath(key));
  WriteBatch batch;
  const bool has_leaves = response.leaves_size() > 0;
  const bool has_node = !response.node().empty();
  if (has_leaves == has_node || (has_leaves && response.leaf_children_size() > 0)) {
    return Lie("an answer holds either leaves or one node");
  }
  if (has_leaves) {
    CAIRN_RETURN_IF_ERROR(ApplyLeaves(key, path, hash, response, &batch));
  } else {
    CAIRN_RETURN_IF_ERROR(ApplyNode(key, path, hash, response, &batch));
  }
  if (batch.size() > 0) {
    CAIRN_RETURN_IF_ERROR(store_.Write(batch, finished_ ? Durability::kSync : Durability::kNoSync));
  }
  return Applied::kStored;
}

Status StateRestore::ApplyLeaves(const Bytes& key, const tree::NibblePath& path, const Hash& hash,
                                 const v1::StateChunkResponse& response, WriteBatch* batch) {
  std::vector<StateTree::Entry> entries;
  entries.reserve(response.leaves_size());
  for (const v1::StateLeaf& leaf : response.leaves()) {
    auto leaf_key = HashFromBytes(leaf.key());
    if (!leaf_key.ok()) return Lie("a leaf key is not 32 bytes");
    if (!Under(*leaf_key, path)) return Lie("a leaf is outside the asked subtree");
    if (!entries.empty() && !(entries.back().first < *leaf_key)) return Lie("leaves are not in strict key order");
    entries.emplace_back(*leaf_key, leaf.value());
  }
  auto [ref, changes] = StateTree::BuildSubtree(version_, path, entries);
  if (ref.hash != hash) {
    return Lie("the leaves do not hash to the subtree's hash (a leaf changed, missing or added, or another version)");
  }
  for (const auto& [node_key, node] : changes.nodes) batch->Put(node_key.view(), tree::EncodeNode(*node));
  batch->Put(keys::RestoredSubtree(key), SubtreeRecord(hash, ref.is_leaf, entries.size()).SerializeAsString());
  wanted_.erase(key);
  leaves_stored_ += entries.size();
  Resolve(key, ref.is_leaf, entries.size(), batch);
  return Status::Ok();
}

Status StateRestore::ApplyNode(const Bytes& key, const tree::NibblePath& path, const Hash& hash,
                               const v1::StateChunkResponse& response, WriteBatch* batch) {
  auto node = tree::DecodeNode(response.node(), hash);
  if (!node.ok()) return Lie("the node: " + node.status().message());
  if ((*node)->is_leaf) return Lie("a leaf comes as leaves, not as a node");
  Pending pending;
  pending.hash = hash;
  pending.children = (*node)->children;
  int leaf_index = 0;
  std::vector<std::pair<Bytes, Hash>> internal;
  for (const tree::Child& child : pending.children) {
    const tree::NibblePath child_path = path.Child(child.nibble);
    if (!child.ref.is_leaf) {
      internal.emplace_back(EncodeNibblePath(child_path), child.ref.hash);
      continue;
    }
    if (leaf_index >= response.leaf_children_size()) return Lie("a leaf child is missing");
    auto leaf = tree::DecodeNode(response.leaf_children(leaf_index++), child.ref.hash);
    if (!leaf.ok()) return Lie("a leaf child: " + leaf.status().message());
    if (!(*leaf)->is_leaf || !Under((*leaf)->key, child_path)) return Lie("a leaf child is not a leaf of its slot");
    pending.leaf_children.emplace(child.nibble, *leaf);
    ++pending.leaves;
  }
  if (leaf_index != response.leaf_children_size()) return Lie("more leaf children than the node has");
  wanted_.erase(key);
  pending.unresolved = static_cast<int>(internal.size());
  pending_.emplace(key, std::move(pending));
  for (auto& [child_key, child_hash] : internal) {
    CAIRN_ASSIGN_OR_RETURN(auto whole, StoredSubtree(store_, child_key, child_hash));
    if (whole) {
      Resolve(child_key, whole->is_leaf(), whole->leaf_count(), batch);
    } else {
      wanted_.emplace(std::move(child_key), child_hash);
    }
  }
  if (internal.empty()) StoreInternal(key, batch);
  return Status::Ok();
}

void StateRestore::Resolve(const Bytes& key, bool is_leaf, uint64_t leaves, WriteBatch* batch) {
  if (key.empty()) {
    // The root: the tree is whole, and its root record replaces the subtree record.
    PutRootRecord(version_, root_, is_leaf, leaves, batch);
    batch->Delete(keys::RestoredSubtree(key));
    finished_ = true;
    accounts_ = leaves;
    return;
  }
  auto parent = pending_.find(key.substr(0, key.size() - 1));
  CAIRN_CHECK(parent != pending_.end());
  const auto nibble = static_cast<uint8_t>(key.back());
  for (tree::Child& child : parent->second.children) {
    if (child.nibble == nibble) child.ref.is_leaf = is_leaf;
  }
  parent->second.leaves += leaves;
  if (--parent->second.unresolved == 0) StoreInternal(parent->first, batch);
}

void StateRestore::StoreInternal(Bytes key, WriteBatch* batch) {
  auto it = pending_.find(key);
  CAIRN_CHECK(it != pending_.end());
  Pending pending = std::move(it->second);
  pending_.erase(it);
  const tree::NibblePath path = DecodeNibblePath(key).value();
  for (tree::Child& child : pending.children) {
    child.ref.version = version_;
    const tree::NibblePath child_path = path.Child(child.nibble);
    auto leaf = pending.leaf_children.find(child.nibble);
    if (leaf != pending.leaf_children.end()) {
      batch->Put(tree::NodeKey(version_, child_path), tree::EncodeNode(*leaf->second));
    } else {
      // Fetched on its own: stored already, with a record this node's replaces.
      batch->Delete(keys::RestoredSubtree(EncodeNibblePath(child_path)));
    }
  }
  tree::NodePtr node = tree::MakeInternal(std::move(pending.children));
  // The flags of children fetched on their own are now what their answers proved; a
  // flag that differed could not change the hash the node was checked against.
  CAIRN_CHECK(node->hash == pending.hash);
  batch->Put(tree::NodeKey(version_, path), tree::EncodeNode(*node));
  batch->Put(keys::RestoredSubtree(key), SubtreeRecord(pending.hash, false, pending.leaves).SerializeAsString());
  Resolve(key, false, pending.leaves, batch);
}

}  // namespace cairn::ledger
