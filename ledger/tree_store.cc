#include "ledger/tree_store.h"

#include "cairn/v1/storage.pb.h"
#include "ledger/keys.h"

namespace cairn::ledger {

namespace {

constexpr size_t kWholeTreeBatchNodes = 16384;

v1::StateTreeRoot RootRecord(const StateTree& tree) {
  v1::StateTreeRoot record;
  if (const auto& root = tree.root_ref()) {
    record.set_has_node(true);
    record.set_node_version(root->version);
    record.set_hash(ToBytes(root->hash));
    record.set_is_leaf(root->is_leaf);
  }
  record.set_leaf_count(tree.size());
  return record;
}

// keys.h `s`: each node key after its length byte.
Bytes EncodeStaleNodes(const std::vector<Bytes>& node_keys) {
  Bytes out;
  for (const Bytes& key : node_keys) {
    out.push_back(static_cast<char>(key.size()));
    out.append(key);
  }
  return out;
}

}  // namespace

Result<std::vector<Bytes>> TreeStore::StaleNodes(tree::Version version) const {
  CAIRN_ASSIGN_OR_RETURN(auto bytes, store_.Get(keys::StaleNodes(version)));
  std::vector<Bytes> out;
  if (!bytes) return out;
  ByteView rest(*bytes);
  while (!rest.empty()) {
    const size_t size = static_cast<uint8_t>(rest[0]);
    if (size == 0 || size > tree::NodeKeyBuffer::kMaxBytes || rest.size() < 1 + size || rest[1] != tree::kNodeTag) {
      return Status::Corruption("the stale node index of version " + std::to_string(version) + " is damaged");
    }
    out.emplace_back(rest.substr(1, size));
    rest.remove_prefix(1 + size);
  }
  return out;
}

Result<tree::NodePtr> TreeStore::Read(ByteView node_key, const Hash& expected_hash) const {
  if (tree::NodePtr cached = cache_.Get(node_key)) return cached;
  CAIRN_ASSIGN_OR_RETURN(auto bytes, store_.Get(node_key));
  if (!bytes) {
    return Status::Corruption("state tree node " + ToHex(node_key) + " is missing: the database is damaged");
  }
  CAIRN_ASSIGN_OR_RETURN(tree::NodePtr node, tree::DecodeNode(*bytes, expected_hash));
  cache_.Put(node_key, node);
  return node;
}

Result<StateTree> TreeStore::Load(tree::Version version) const {
  CAIRN_ASSIGN_OR_RETURN(auto bytes, store_.Get(keys::StateRoot(version)));
  if (!bytes) return Status::NotFound("no state tree root for version " + std::to_string(version));
  v1::StateTreeRoot record;
  if (!record.ParseFromString(*bytes) || (record.has_node() && record.hash().size() != 32)) {
    return Status::Corruption("the state tree root record of version " + std::to_string(version) + " is damaged");
  }
  std::optional<tree::ChildRef> root;
  if (record.has_node()) root = tree::ChildRef{HashFromBytes(record.hash()).value(), record.node_version(), record.is_leaf()};
  return StateTree(this, version, root, record.leaf_count());
}

void TreeStore::AddToBatch(const StateTree& tree, WriteBatch* batch) const {
  if (const TreeChanges* changes = tree.changes()) {
    for (const auto& [key, node] : changes->nodes) batch->Put(key.view(), tree::EncodeNode(*node));
    if (!changes->stale.empty()) batch->Put(keys::StaleNodes(tree.version()), EncodeStaleNodes(changes->stale));
  }
  batch->Put(keys::StateRoot(tree.version()), RootRecord(tree).SerializeAsString());
}

void TreeStore::MarkCommitted(const StateTree& tree) {
  if (const TreeChanges* changes = tree.changes()) {
    for (const auto& [key, node] : changes->nodes) cache_.Put(key.view(), node);
  }
  SetCommittedVersion(tree.version());
}

Status TreeStore::WriteWhole(const StateTree& tree, KvStore& store) {
  if (const TreeChanges* changes = tree.changes()) {
    WriteBatch batch;
    for (const auto& [key, node] : changes->nodes) {
      batch.Put(key.view(), tree::EncodeNode(*node));
      if (batch.size() == kWholeTreeBatchNodes) {
        CAIRN_RETURN_IF_ERROR(store.Write(batch, Durability::kNoSync));
        batch = WriteBatch();
      }
    }
    if (batch.size() > 0) CAIRN_RETURN_IF_ERROR(store.Write(batch, Durability::kNoSync));
  }
  WriteBatch root;
  root.Put(keys::StateRoot(tree.version()), RootRecord(tree).SerializeAsString());
  CAIRN_RETURN_IF_ERROR(store.Write(root, Durability::kSync));
  SetCommittedVersion(tree.version());
  return Status::Ok();
}

}  // namespace cairn::ledger
