#include "node/tree_versions_check.h"

#include <map>
#include <string>
#include <vector>

#include "cairn/v1/storage.pb.h"
#include "ledger/audit.h"
#include "ledger/keys.h"
#include "ledger/state_tree.h"
#include "ledger/tree_store.h"

namespace cairn::node {

namespace {

namespace keys = ledger::keys;
namespace tree = ledger::tree;
using ledger::AuditFailure;

constexpr size_t kCacheBytes = 64 << 20;

class TreeVersionsCheck {
 public:
  TreeVersionsCheck(const ledger::KvStore& stored, const std::function<Result<Hash>(uint64_t)>& state_root_of)
      : stored_(stored), state_root_of_(state_root_of), trees_(stored, kCacheBytes) {}

  Status Run(uint64_t oldest, uint64_t head) {
    CAIRN_RETURN_IF_ERROR(CheckOldest(oldest));
    for (uint64_t version = oldest + 1; version <= head; ++version) CAIRN_RETURN_IF_ERROR(Rederive(version));
    return CheckEveryNodeReached(oldest);
  }

 private:
  // A version's tree from its root record, which must name the header's root and be
  // stored as it is written.
  Result<ledger::StateTree> LoadVersion(uint64_t version) {
    auto loaded = trees_.Load(version);
    if (!loaded.ok()) return AuditFailure(version, "state tree root", loaded.status().message());
    CAIRN_ASSIGN_OR_RETURN(const Hash root, state_root_of_(version));
    if (loaded->root() != root) return AuditFailure(version, "state tree root", "it is not the header's state root");
    return loaded;
  }

  // The oldest version: every node of its tree, by hash from the root, and the leaf count.
  Status CheckOldest(uint64_t oldest) {
    CAIRN_ASSIGN_OR_RETURN(ledger::StateTree tree, LoadVersion(oldest));
    uint64_t leaves = 0;
    if (tree.root_ref()) CAIRN_RETURN_IF_ERROR(Walk(oldest, *tree.root_ref(), tree::NibblePath{}, nullptr, &leaves));
    if (leaves != tree.size()) {
      return AuditFailure(oldest, "state tree root", "it counts " + std::to_string(tree.size()) + " accounts, the tree holds " +
                                                         std::to_string(leaves));
    }
    // Every field checked above; the record must also be stored as it is written.
    v1::StateTreeRoot record;
    record.set_has_node(tree.root_ref().has_value());
    if (tree.root_ref()) {
      record.set_node_version(tree.root_ref()->version);
      record.set_hash(ToBytes(tree.root_ref()->hash));
      record.set_is_leaf(tree.root_ref()->is_leaf);
    }
    record.set_leaf_count(tree.size());
    CAIRN_ASSIGN_OR_RETURN(auto stored, stored_.Get(keys::StateRoot(oldest)));
    if (!stored || *stored != record.SerializeAsString()) {
      return AuditFailure(oldest, "state tree root", "the record is not stored as it is written");
    }
    return Status::Ok();
  }

  // Reads the node `ref` names at `path` (checked against its hash) and below it: every
  // node, or with `written_at` only those that version wrote, whose leaves it collects.
  Status Walk(uint64_t version, const tree::ChildRef& ref, const tree::NibblePath& path, std::vector<ledger::StateTree::Change>* written,
              uint64_t* leaves) {
    auto node = trees_.Read(tree::NodeKey(ref.version, path), ref.hash);
    if (!node.ok()) return AuditFailure(version, "state tree node", node.status().message());
    if ((*node)->is_leaf != ref.is_leaf) return AuditFailure(version, "state tree node", "a leaf where its parent names an inner node, or the reverse");
    if (!written && ref.version == version) ++reached_in_oldest_;
    if ((*node)->is_leaf) {
      if (leaves) ++*leaves;
      if (written) written->emplace_back((*node)->key, (*node)->value);
      return Status::Ok();
    }
    for (const tree::Child& child : (*node)->children) {
      if (written && child.ref.version != version) continue;
      CAIRN_RETURN_IF_ERROR(Walk(version, child.ref, path.Child(child.nibble), written, leaves));
    }
    return Status::Ok();
  }

  // Version `version` again, from the one before and the leaves it wrote: its records
  // must be exactly what that writes.
  Status Rederive(uint64_t version) {
    CAIRN_ASSIGN_OR_RETURN(ledger::StateTree tree, LoadVersion(version));
    std::vector<ledger::StateTree::Change> written;
    if (tree.root_ref() && tree.root_ref()->version == version) {
      CAIRN_RETURN_IF_ERROR(Walk(version, *tree.root_ref(), tree::NibblePath{}, &written, nullptr));
    }
    auto before = trees_.Load(version - 1);
    if (!before.ok()) return AuditFailure(version - 1, "state tree root", before.status().message());
    auto derived = before->Update(version, std::move(written));
    if (!derived.ok()) return AuditFailure(version, "state tree", derived.status().message());
    ledger::WriteBatch batch;
    trees_.AddToBatch(*derived, &batch);
    ledger::MemoryStore expected;
    CAIRN_RETURN_IF_ERROR(expected.Write(batch, ledger::Durability::kNoSync));
    const Bytes prefix = keys::WithU64(tree::kNodeTag, version);
    std::map<Bytes, Bytes> mine, theirs;
    auto collect = [](std::map<Bytes, Bytes>& into) {
      return [&into](ByteView key, ByteView value) {
        into.emplace(Bytes(key), Bytes(value));
        return true;
      };
    };
    CAIRN_RETURN_IF_ERROR(stored_.Scan(prefix, prefix, collect(mine)));
    CAIRN_RETURN_IF_ERROR(expected.Scan(prefix, prefix, collect(theirs)));
    if (mine != theirs) {
      return AuditFailure(version, "state tree records", "they are not what the version before and the leaves this one wrote give");
    }
    return Status::Ok();
  }

  // The oldest version's nodes must be its tree's; later versions' records were
  // compared whole. Older versions' records the oldest tree does not read are what a
  // crash between the pruning mark and its deletes left (ledger/pruning.cc): allowed,
  // as the replay audit allows them, since reads below the mark are refused. Records
  // above the head are a commit cut between the two databases (split_store.h) and are
  // not looked at.
  Status CheckEveryNodeReached(uint64_t oldest) {
    uint64_t stored_nodes = 0;
    const Bytes prefix = keys::WithU64(tree::kNodeTag, oldest);
    CAIRN_RETURN_IF_ERROR(stored_.Scan(prefix, prefix, [&](ByteView key, ByteView) {
      if (keys::IsNodeKey(key)) ++stored_nodes;
      return true;
    }));
    if (reached_in_oldest_ != stored_nodes) {
      return AuditFailure(oldest, "state tree nodes", "the version holds " + std::to_string(stored_nodes) +
                                                         " nodes and its tree reads " + std::to_string(reached_in_oldest_));
    }
    return Status::Ok();
  }

  const ledger::KvStore& stored_;
  const std::function<Result<Hash>(uint64_t)>& state_root_of_;
  ledger::TreeStore trees_;
  uint64_t reached_in_oldest_ = 0;  // nodes the oldest version wrote that its walk read
};

}  // namespace

Status CheckStoredTreeVersions(const ledger::KvStore& stored, uint64_t oldest, uint64_t head,
                               const std::function<Result<Hash>(uint64_t version)>& state_root_of) {
  return TreeVersionsCheck(stored, state_root_of).Run(oldest, head);
}

}  // namespace cairn::node
