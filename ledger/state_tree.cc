#include "ledger/state_tree.h"

#include <algorithm>
#include <span>

#include "crypto/check.h"
#include "crypto/domain.h"
#include "crypto/sha256.h"

namespace cairn::ledger {

using tree::ChildRef;
using tree::NibblePath;
using tree::NodePtr;

namespace {

constexpr Hash kEmptyHash{};
constexpr int kMaxDepth = 256;  // two distinct 256-bit keys differ above this depth

// What a subtree became after an update, before its parent places it in a slot. A
// subtree of one leaf has no place of its own: it goes in the slot where it is alone,
// which may be above where it was (its siblings left) or below (a key joined it).
struct Subtree {
  enum class Kind { kEmpty, kLeaf, kInternal };
  Kind kind = Kind::kEmpty;
  ChildRef ref;                          // kInternal: the node at the subtree's path;
                                         // kLeaf: the leaf as stored, when stored_at is set
  NodePtr leaf;                          // kLeaf: its content, when loaded or new
  std::optional<NibblePath> stored_at;   // kLeaf: where it is stored; nullopt when new
  bool unchanged = false;                // exactly what was there

  static Subtree Unchanged(const ChildRef* ref, const NibblePath& path) {
    Subtree s;
    s.unchanged = true;
    if (ref == nullptr) return s;
    s.ref = *ref;
    s.kind = ref->is_leaf ? Kind::kLeaf : Kind::kInternal;
    if (ref->is_leaf) s.stored_at = path;
    return s;
  }
};

}  // namespace

// One update (or build): the nodes it writes, the nodes it makes stale, the size change.
class StateTree::Updater {
 public:
  Updater(const StateTree& base, tree::Version version) : base_(base) { changes_.version = version; }

  Result<Subtree> Update(const ChildRef* ref, const NibblePath& path, std::span<const Change> changes);
  // `entries` sorted by key, distinct, all under `path`.
  Result<Subtree> Build(std::span<const Entry> entries, const NibblePath& path);
  // The reference a parent keeps for `subtree` in the slot at `at`.
  Result<ChildRef> Place(Subtree& subtree, const NibblePath& at);

  // What it wrote, in key order: once the update or build is done.
  TreeChanges& Finish() {
    changes_.Sort();
    return changes_;
  }
  int64_t size_delta() const { return size_delta_; }

 private:
  Result<Subtree> UpdateLeaf(const ChildRef& ref, const NibblePath& path, std::span<const Change> changes);
  Result<Subtree> UpdateInternal(const ChildRef& ref, const NibblePath& path, std::span<const Change> changes);
  ChildRef Write(NodePtr node, const NibblePath& path) {
    ChildRef ref{node->hash, changes_.version, node->is_leaf};
    changes_.nodes.emplace_back(tree::NodeKeyBuffer(changes_.version, path), std::move(node));
    return ref;
  }
  void MarkStale(const ChildRef& ref, const NibblePath& path) {
    changes_.stale.push_back(tree::NodeKey(ref.version, path));
  }

  const StateTree& base_;
  TreeChanges changes_;
  int64_t size_delta_ = 0;
};

Result<Subtree> StateTree::Updater::Update(const ChildRef* ref, const NibblePath& path,
                                           std::span<const Change> changes) {
  if (changes.empty()) return Subtree::Unchanged(ref, path);
  if (ref == nullptr) {
    std::vector<Entry> entries;
    for (const auto& [key, value] : changes) {
      if (value) entries.emplace_back(key, *value);
    }
    size_delta_ += static_cast<int64_t>(entries.size());
    return Build(entries, path);
  }
  return ref->is_leaf ? UpdateLeaf(*ref, path, changes) : UpdateInternal(*ref, path, changes);
}

Result<Subtree> StateTree::Updater::UpdateLeaf(const ChildRef& ref, const NibblePath& path,
                                               std::span<const Change> changes) {
  CAIRN_ASSIGN_OR_RETURN(NodePtr leaf, base_.Load(ref, path));
  bool leaf_kept = true;  // the leaf stays, with the value it has
  std::vector<Entry> entries;
  for (const auto& [key, value] : changes) {
    if (key == leaf->key) {
      leaf_kept = value && *value == leaf->value;
      if (!value) --size_delta_;
      if (value && !leaf_kept) entries.emplace_back(key, *value);
    } else if (value) {
      ++size_delta_;
      entries.emplace_back(key, *value);
    }
  }
  if (leaf_kept && entries.empty()) {
    Subtree same = Subtree::Unchanged(&ref, path);
    same.leaf = std::move(leaf);
    return same;
  }
  // The leaf is replaced, removed or pushed down by a key that joins it: its record is
  // stale either way.
  MarkStale(ref, path);
  if (leaf_kept) {
    entries.emplace_back(leaf->key, leaf->value);
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.first < b.first; });
  }
  return Build(entries, path);
}

Result<Subtree> StateTree::Updater::UpdateInternal(const ChildRef& ref, const NibblePath& path,
                                                   std::span<const Change> changes) {
  CAIRN_ASSIGN_OR_RETURN(NodePtr node, base_.Load(ref, path));
  CAIRN_CHECK(path.length < tree::kMaxNibbles);
  std::array<Subtree, tree::kRadix> slots;
  bool all_unchanged = true;
  size_t begin = 0;
  for (int nibble = 0; nibble < tree::kRadix; ++nibble) {
    size_t end = begin;
    while (end < changes.size() && tree::NibbleAt(changes[end].first, path.length) == nibble) ++end;
    CAIRN_ASSIGN_OR_RETURN(slots[nibble], Update(node->ChildAt(nibble), path.Child(nibble),
                                                 changes.subspan(begin, end - begin)));
    all_unchanged = all_unchanged && slots[nibble].unchanged;
    begin = end;
  }
  if (all_unchanged) return Subtree::Unchanged(&ref, path);
  MarkStale(ref, path);
  int present = 0, last = -1;
  for (int nibble = 0; nibble < tree::kRadix; ++nibble) {
    if (slots[nibble].kind != Subtree::Kind::kEmpty) ++present, last = nibble;
  }
  if (present == 0) return Subtree{};
  if (present == 1 && slots[last].kind == Subtree::Kind::kLeaf) {
    // The leaf moves up to take this node's place: a change even if the leaf is not.
    slots[last].unchanged = false;
    return std::move(slots[last]);
  }
  std::vector<tree::Child> children;
  for (int nibble = 0; nibble < tree::kRadix; ++nibble) {
    if (slots[nibble].kind == Subtree::Kind::kEmpty) continue;
    CAIRN_ASSIGN_OR_RETURN(ChildRef child, Place(slots[nibble], path.Child(nibble)));
    children.push_back({static_cast<uint8_t>(nibble), child});
  }
  Subtree out;
  out.kind = Subtree::Kind::kInternal;
  out.ref = Write(tree::MakeInternal(std::move(children)), path);
  return out;
}

Result<Subtree> StateTree::Updater::Build(std::span<const Entry> entries, const NibblePath& path) {
  Subtree out;
  if (entries.empty()) return out;
  if (entries.size() == 1) {
    out.kind = Subtree::Kind::kLeaf;
    out.leaf = tree::MakeLeaf(entries[0].first, entries[0].second);
    return out;
  }
  CAIRN_CHECK(path.length < tree::kMaxNibbles);
  std::vector<tree::Child> children;
  size_t begin = 0;
  while (begin < entries.size()) {
    const int nibble = tree::NibbleAt(entries[begin].first, path.length);
    size_t end = begin;
    while (end < entries.size() && tree::NibbleAt(entries[end].first, path.length) == nibble) ++end;
    CAIRN_ASSIGN_OR_RETURN(Subtree child, Build(entries.subspan(begin, end - begin), path.Child(nibble)));
    CAIRN_ASSIGN_OR_RETURN(ChildRef ref, Place(child, path.Child(nibble)));
    children.push_back({static_cast<uint8_t>(nibble), ref});
    begin = end;
  }
  out.kind = Subtree::Kind::kInternal;
  out.ref = Write(tree::MakeInternal(std::move(children)), path);
  return out;
}

Result<ChildRef> StateTree::Updater::Place(Subtree& subtree, const NibblePath& at) {
  CAIRN_CHECK(subtree.kind != Subtree::Kind::kEmpty);
  if (subtree.kind == Subtree::Kind::kInternal) return subtree.ref;
  if (subtree.stored_at && *subtree.stored_at == at) return subtree.ref;  // where it was
  if (subtree.stored_at) {
    // An unchanged leaf that moves: the same content under a new key.
    if (!subtree.leaf) {
      CAIRN_ASSIGN_OR_RETURN(subtree.leaf, base_.Load(subtree.ref, *subtree.stored_at));
    }
    MarkStale(subtree.ref, *subtree.stored_at);
  }
  return Write(subtree.leaf, at);
}

Result<NodePtr> StateTree::Load(const ChildRef& ref, const NibblePath& path) const {
  const tree::NodeKeyBuffer buffer(ref.version, path);
  const ByteView key = buffer.view();
  for (auto it = overlays_.rbegin(); it != overlays_.rend(); ++it) {
    if ((*it)->version != ref.version) continue;
    if (NodePtr found = (*it)->Find(key)) return found;
  }
  if (reader_ == nullptr) return Status::Corruption("a state tree node of version " + std::to_string(ref.version) + " is missing");
  return reader_->Read(key, ref.hash);
}

NodePtr TreeChanges::Find(ByteView key) const {
  auto it = std::lower_bound(nodes.begin(), nodes.end(), key, [](const auto& entry, ByteView k) { return entry.first.view() < k; });
  return it != nodes.end() && it->first.view() == key ? it->second : nullptr;
}

void TreeChanges::Sort() {
  std::sort(nodes.begin(), nodes.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 1; i < nodes.size(); ++i) CAIRN_CHECK(!(nodes[i - 1].first == nodes[i].first));
}

StateTree StateTree::Build(tree::Version version, std::vector<Entry> entries) {
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.first < b.first; });
  for (size_t i = 1; i < entries.size(); ++i) CAIRN_CHECK(entries[i - 1].first != entries[i].first);
  StateTree empty;
  Updater updater(empty, version);
  StateTree out;
  out.version_ = version;
  out.size_ = entries.size();
  // Building loads nothing, so it cannot fail.
  Subtree built = updater.Build(entries, NibblePath{}).value();
  if (built.kind != Subtree::Kind::kEmpty) out.root_ = updater.Place(built, NibblePath{}).value();
  TreeChanges& written = updater.Finish();
  if (!written.nodes.empty()) out.overlays_.push_back(std::make_shared<const TreeChanges>(std::move(written)));
  return out;
}

Result<StateTree> StateTree::Update(tree::Version version, std::vector<Change> changes) const {
  CAIRN_CHECK(version > version_ || (!root_ && overlays_.empty()));
  std::sort(changes.begin(), changes.end(), [](const Change& a, const Change& b) { return a.first < b.first; });
  for (size_t i = 1; i < changes.size(); ++i) CAIRN_CHECK(changes[i - 1].first != changes[i].first);
  Updater updater(*this, version);
  const ChildRef* root = root_ ? &*root_ : nullptr;
  CAIRN_ASSIGN_OR_RETURN(Subtree result, updater.Update(root, NibblePath{}, changes));
  StateTree out;
  out.reader_ = reader_;
  out.pin_ = pin_;
  out.version_ = version;
  out.size_ = static_cast<uint64_t>(static_cast<int64_t>(size_) + updater.size_delta());
  if (result.kind != Subtree::Kind::kEmpty) {
    CAIRN_ASSIGN_OR_RETURN(out.root_, updater.Place(result, NibblePath{}));
  }
  // Overlays of versions now on disk are read from there instead.
  const tree::Version on_disk = reader_ ? reader_->committed_version() : 0;
  for (const auto& overlay : overlays_) {
    if (reader_ == nullptr || overlay->version > on_disk) out.overlays_.push_back(overlay);
  }
  TreeChanges& own = updater.Finish();
  if (!own.nodes.empty() || !own.stale.empty()) {
    out.overlays_.push_back(std::make_shared<const TreeChanges>(std::move(own)));
  }
  return out;
}

const TreeChanges* StateTree::changes() const {
  if (overlays_.empty() || overlays_.back()->version != version_) return nullptr;
  return overlays_.back().get();
}

Result<std::optional<Bytes>> StateTree::Get(const Hash& key) const {
  CAIRN_ASSIGN_OR_RETURN(NodePtr leaf, Walk(key, nullptr));
  if (leaf && leaf->key == key) return std::optional<Bytes>(leaf->value);
  return std::optional<Bytes>();
}

Result<ProvenValue> StateTree::Prove(const Hash& key) const {
  ProvenValue out;
  CAIRN_ASSIGN_OR_RETURN(NodePtr leaf, Walk(key, &out.proof.siblings));
  if (leaf) {
    out.proof.leaf = std::make_pair(leaf->key, leaf->value_hash);
    if (leaf->key == key) out.value = leaf->value;
  }
  std::reverse(out.proof.siblings.begin(), out.proof.siblings.end());  // deepest first
  return out;
}

Result<NodePtr> StateTree::Walk(const Hash& key, std::vector<Hash>* siblings) const {
  if (!root_) return NodePtr();
  ChildRef ref = *root_;
  NibblePath path;
  NodePtr leaf;
  for (;;) {
    CAIRN_ASSIGN_OR_RETURN(NodePtr node, Load(ref, path));
    if (node->is_leaf) {
      leaf = std::move(node);
      break;
    }
    // Down the binary levels inside the node, until the path leaves it.
    int lo = 0, hi = tree::kRadix;
    std::optional<int> next;  // the slot of the internal child the path goes on into
    for (int level = 0;; ++level) {
      auto first = std::lower_bound(node->children.begin(), node->children.end(), lo,
                                    [](const tree::Child& c, int n) { return c.nibble < n; });
      auto last = std::lower_bound(first, node->children.end(), hi,
                                   [](const tree::Child& c, int n) { return c.nibble < n; });
      if (first == last) break;  // an empty subtree: absent, no leaf
      if (last - first == 1 && first->ref.is_leaf) {
        CAIRN_ASSIGN_OR_RETURN(leaf, Load(first->ref, path.Child(first->nibble)));
        break;
      }
      if (hi - lo == 1) {
        next = first->nibble;
        break;
      }
      const int mid = (lo + hi) / 2;
      const bool right = tree::BitAt(key, path.length * 4 + level);
      if (siblings) siblings->push_back(right ? tree::RangeHash(node->children, lo, mid) : tree::RangeHash(node->children, mid, hi));
      (right ? lo : hi) = mid;
    }
    if (!next) break;
    ref = *node->ChildAt(*next);
    path = path.Child(*next);
  }
  return leaf;
}

Result<std::vector<StateTree::Entry>> StateTree::Leaves(const Hash& from, size_t limit) const {
  std::vector<Entry> out;
  if (root_ && limit > 0) CAIRN_RETURN_IF_ERROR(CollectLeaves(*root_, NibblePath{}, from, true, limit, &out));
  return out;
}

Status StateTree::CollectLeaves(const ChildRef& ref, const NibblePath& path, const Hash& from, bool bounded,
                                size_t limit, std::vector<Entry>* out) const {
  CAIRN_ASSIGN_OR_RETURN(NodePtr node, Load(ref, path));
  if (node->is_leaf) {
    if (!bounded || node->key >= from) out->emplace_back(node->key, node->value);
    return Status::Ok();
  }
  const int from_nibble = bounded ? tree::NibbleAt(from, path.length) : 0;
  for (const tree::Child& child : node->children) {
    if (out->size() == limit) break;
    if (child.nibble < from_nibble) continue;
    CAIRN_RETURN_IF_ERROR(CollectLeaves(child.ref, path.Child(child.nibble), from,
                                        bounded && child.nibble == from_nibble, limit, out));
  }
  return Status::Ok();
}

Result<std::optional<ChildRef>> StateTree::RefAt(const NibblePath& path) const {
  if (!root_) return std::optional<ChildRef>();
  ChildRef ref = *root_;
  NibblePath at;
  while (at.length < path.length) {
    if (ref.is_leaf) return std::optional<ChildRef>();
    CAIRN_ASSIGN_OR_RETURN(NodePtr node, Load(ref, at));
    const int nibble = tree::NibbleAt(path.nibbles, at.length);
    const ChildRef* child = node->ChildAt(nibble);
    if (child == nullptr) return std::optional<ChildRef>();
    ref = *child;
    at = at.Child(nibble);
  }
  return std::optional<ChildRef>(ref);
}

Result<std::vector<StateTree::Entry>> StateTree::LeavesUnder(const ChildRef& ref, const NibblePath& path,
                                                             size_t limit) const {
  std::vector<Entry> out;
  if (limit > 0) CAIRN_RETURN_IF_ERROR(CollectLeaves(ref, path, Hash{}, false, limit, &out));
  return out;
}

std::pair<ChildRef, TreeChanges> StateTree::BuildSubtree(tree::Version version, const NibblePath& path,
                                                         std::span<const Entry> entries) {
  CAIRN_CHECK(!entries.empty());
  StateTree empty;
  Updater updater(empty, version);
  // Building loads nothing, so it cannot fail.
  Subtree built = updater.Build(entries, path).value();
  ChildRef ref = updater.Place(built, path).value();
  return {ref, std::move(updater.Finish())};
}

std::optional<Hash> KeyAfter(const Hash& key) {
  Hash next = key;
  for (int i = static_cast<int>(next.size()) - 1; i >= 0; --i) {
    if (++next[i] != 0) return next;
  }
  return std::nullopt;  // every byte wrapped: `key` was the largest
}

Hash StateKey(ByteView address) { return crypto::Sha256Of(address); }

bool VerifyStateProof(const Hash& root, const Hash& key, const std::optional<Hash>& value_hash,
                      const StateProof& proof) {
  const int path_length = static_cast<int>(proof.siblings.size());
  if (path_length > kMaxDepth) return false;
  Hash current = kEmptyHash;
  if (value_hash) {
    // Presence: the path must end in this key's own leaf.
    if (!proof.leaf || proof.leaf->first != key || proof.leaf->second != *value_hash) return false;
    current = tree::LeafHash(key, *value_hash);
  } else if (proof.leaf) {
    // Absence shown by another key's leaf sitting where this key's path ends: it must
    // share the path's prefix, or it proves nothing about this key.
    const Hash& other = proof.leaf->first;
    if (other == key) return false;
    for (int depth = 0; depth < path_length; ++depth) {
      if (tree::BitAt(other, depth) != tree::BitAt(key, depth)) return false;
    }
    current = tree::LeafHash(other, proof.leaf->second);
  }
  for (int i = 0; i < path_length; ++i) {
    int depth = path_length - 1 - i;
    const Hash& sibling = proof.siblings[i];
    current = tree::BitAt(key, depth) ? tree::InternalHash(sibling, current) : tree::InternalHash(current, sibling);
  }
  return current == root;
}

}  // namespace cairn::ledger
