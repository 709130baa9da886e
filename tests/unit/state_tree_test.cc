#include <map>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "cairn/v1/storage.pb.h"
#include "crypto/sha256.h"
#include "ledger/keys.h"
#include "ledger/state_tree.h"
#include "ledger/tree_store.h"
#include "tests/support/seed.h"

namespace cairn::ledger {
namespace {

Hash KeyOf(uint64_t n) { return crypto::Sha256Of("key-" + std::to_string(n)); }
Bytes ValueOf(uint64_t n) { return "value-" + std::to_string(n); }
Hash HashOf(uint64_t n) { return tree::ValueHash(ValueOf(n)); }
using Model = std::map<Hash, Bytes>;

// The root by the definition in state_tree.h, on the binary tree, with nothing shared
// with the implementation but the hash functions: what every header already committed
// to, so the on-disk layout must give it bit for bit.
Hash ReferenceRoot(std::vector<std::pair<Hash, Hash>> entries, int depth = 0) {
  if (entries.empty()) return Hash{};
  if (entries.size() == 1) return tree::LeafHash(entries[0].first, entries[0].second);
  std::vector<std::pair<Hash, Hash>> left, right;
  for (auto& e : entries) (tree::BitAt(e.first, depth) ? right : left).push_back(e);
  return tree::InternalHash(ReferenceRoot(std::move(left), depth + 1), ReferenceRoot(std::move(right), depth + 1));
}

Hash ReferenceRoot(const Model& model) {
  std::vector<std::pair<Hash, Hash>> entries;
  for (const auto& [k, v] : model) entries.emplace_back(k, tree::ValueHash(v));
  return ReferenceRoot(std::move(entries));
}

std::optional<Hash> HashIn(const Model& model, const Hash& key) {
  auto it = model.find(key);
  return it == model.end() ? std::nullopt : std::optional<Hash>(tree::ValueHash(it->second));
}

// The keys of every node reachable from the root record of `version`, read from the
// store with nothing but the node format.
std::set<Bytes> ReachableNodes(const KvStore& store, tree::Version version) {
  std::set<Bytes> out;
  v1::StateTreeRoot root;
  EXPECT_TRUE(root.ParseFromString(store.Get(keys::StateRoot(version)).value().value()));
  if (!root.has_node()) return out;
  std::vector<std::pair<tree::ChildRef, tree::NibblePath>> todo = {
      {{HashFromBytes(root.hash()).value(), root.node_version(), root.is_leaf()}, {}}};
  while (!todo.empty()) {
    auto [ref, path] = todo.back();
    todo.pop_back();
    Bytes key = tree::NodeKey(ref.version, path);
    tree::NodePtr node = tree::DecodeNode(store.Get(key).value().value(), ref.hash).value();
    out.insert(key);
    for (const tree::Child& c : node->children) todo.emplace_back(c.ref, path.Child(c.nibble));
  }
  return out;
}

// A tree on a store, committed version by version as the ledger does.
struct StoredTree {
  MemoryStore store;
  TreeStore nodes{store, 1 << 20};
  StateTree tree = Init();

  StateTree Init() {
    EXPECT_TRUE(nodes.WriteWhole(StateTree::Build(0, {}), store).ok());
    return nodes.Load(0).value();
  }
  void Commit(const StateTree& next) {
    WriteBatch batch;
    nodes.AddToBatch(next, &batch);
    ASSERT_TRUE(store.Write(batch, Durability::kSync).ok());
    nodes.MarkCommitted(next);
    tree = next.Committed(&nodes);
  }
};

TEST(StateTree, EmptyTreeHasZeroRootAndProvesAbsence) {
  StateTree tree;
  EXPECT_EQ(tree.root(), Hash{});
  StateProof proof = tree.Prove(KeyOf(1)).value().proof;
  EXPECT_TRUE(VerifyStateProof(tree.root(), KeyOf(1), std::nullopt, proof));
  EXPECT_FALSE(VerifyStateProof(tree.root(), KeyOf(1), HashOf(1), proof));
}

TEST(StateTree, SingleLeafIsTheRoot) {
  StateTree tree = StateTree::Build(0, {{KeyOf(1), ValueOf(1)}});
  EXPECT_EQ(tree.root(), tree::LeafHash(KeyOf(1), HashOf(1)));
  ProvenValue proven = tree.Prove(KeyOf(1)).value();
  EXPECT_TRUE(proven.proof.siblings.empty());
  ASSERT_TRUE(proven.value);
  EXPECT_EQ(*proven.value, ValueOf(1));
  EXPECT_TRUE(VerifyStateProof(tree.root(), KeyOf(1), HashOf(1), proven.proof));
  EXPECT_TRUE(VerifyStateProof(tree.root(), KeyOf(2), std::nullopt, tree.Prove(KeyOf(2)).value().proof));
}

// Keys that share a long prefix: the 16-ary layout holds a chain of one-child internal
// nodes, which the binary tree hashes with empty siblings.
TEST(StateTree, KeysWithLongCommonPrefixesMatchTheBinaryTree) {
  Model model;
  for (int i = 0; i < 6; ++i) {
    Hash key{};
    key[31] = static_cast<uint8_t>(i);  // the first 248 bits equal
    model[key] = ValueOf(i);
  }
  Hash far{};
  far[0] = 0x80;
  model[far] = ValueOf(99);
  StateTree tree = StateTree::Build(0, {model.begin(), model.end()});
  EXPECT_EQ(tree.root(), ReferenceRoot(model));
  for (const auto& [key, value] : model) {
    EXPECT_TRUE(VerifyStateProof(tree.root(), key, tree::ValueHash(value), tree.Prove(key).value().proof));
  }
}

// Incremental updates (inserts, overwrites, deletes in random batches), committed to a
// store and read back through the cache, must give at every version the root of the
// definition over the same contents; and every key proves its value or its absence.
TEST(StateTree, CommittedUpdatesMatchTheBinaryTreeRandomised) {
  const uint64_t seed = test::TestSeed("StateTree.CommittedUpdatesMatchTheBinaryTreeRandomised");
  std::mt19937_64 rng(seed);
  Model model;
  StoredTree stored;
  std::set<Bytes> before;
  for (int round = 1; round <= 80; ++round) {
    std::map<Hash, std::optional<Bytes>> batch;
    const int batch_size = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < batch_size; ++i) {
      Hash key = KeyOf(rng() % 300);
      if (rng() % 3 == 0) batch[key] = std::nullopt; else batch[key] = ValueOf(rng());
    }
    for (const auto& [k, v] : batch) {
      if (v) model[k] = *v; else model.erase(k);
    }
    auto next = stored.tree.Update(round, {batch.begin(), batch.end()});
    ASSERT_TRUE(next.ok()) << next.status().message();
    stored.Commit(*next);
    // What the version made stale is exactly what its root no longer reaches, and what
    // it wrote is exactly what is new: the index pruning will trust.
    std::set<Bytes> now = ReachableNodes(stored.store, round);
    std::set<Bytes> gone, added, stale, written;
    std::set_difference(before.begin(), before.end(), now.begin(), now.end(), std::inserter(gone, gone.end()));
    std::set_difference(now.begin(), now.end(), before.begin(), before.end(), std::inserter(added, added.end()));
    if (const TreeChanges* changes = next->changes()) {
      stale.insert(changes->stale.begin(), changes->stale.end());
      for (const auto& [key, node] : changes->nodes) written.insert(Bytes(key.view()));
    }
    ASSERT_EQ(stale, gone) << "seed " << seed << " round " << round;
    ASSERT_EQ(written, added) << "seed " << seed << " round " << round;
    before = std::move(now);
    ASSERT_EQ(stored.tree.size(), model.size()) << "seed " << seed << " round " << round;
    ASSERT_EQ(stored.tree.root(), ReferenceRoot(model)) << "seed " << seed << " round " << round;
  }
  // Read back from the store alone: a fresh TreeStore with nothing cached.
  TreeStore fresh(stored.store, 1 << 20);
  StateTree reread = fresh.Load(80).value();
  for (uint64_t n = 0; n < 300; ++n) {
    Hash key = KeyOf(n);
    const std::optional<Hash> value = HashIn(model, key);
    ProvenValue proven = reread.Prove(key).value();
    EXPECT_EQ(proven.value.has_value(), value.has_value());
    if (value) {
      EXPECT_EQ(*proven.value, model.at(key));
    }
    EXPECT_TRUE(VerifyStateProof(reread.root(), key, value, proven.proof)) << "seed " << seed << " n " << n;
    // The opposite claim must fail.
    std::optional<Hash> wrong = value ? std::nullopt : std::optional<Hash>(HashOf(n));
    EXPECT_FALSE(VerifyStateProof(reread.root(), key, wrong, proven.proof));
  }
}

TEST(StateTree, OldVersionsStayReadableFromDiskAfterLaterCommits) {
  StoredTree stored;
  stored.Commit(stored.tree.Update(1, {{KeyOf(1), ValueOf(1)}, {KeyOf(2), ValueOf(2)}}).value());
  const Hash root1 = stored.tree.root();
  stored.Commit(stored.tree.Update(2, {{KeyOf(1), ValueOf(10)}, {KeyOf(3), ValueOf(3)}}).value());
  EXPECT_NE(stored.tree.root(), root1);
  // Undoing the change restores the old root.
  stored.Commit(stored.tree.Update(3, {{KeyOf(1), ValueOf(1)}, {KeyOf(3), std::nullopt}}).value());
  EXPECT_EQ(stored.tree.root(), root1);

  TreeStore fresh(stored.store, 1 << 20);
  StateTree v2 = fresh.Load(2).value();
  EXPECT_EQ(*v2.Get(KeyOf(1)).value(), ValueOf(10));
  EXPECT_EQ(*v2.Get(KeyOf(3)).value(), ValueOf(3));
  StateTree v1 = fresh.Load(1).value();
  EXPECT_EQ(v1.root(), root1);
  EXPECT_FALSE(v1.Get(KeyOf(3)).value().has_value());
  EXPECT_TRUE(VerifyStateProof(v1.root(), KeyOf(2), HashOf(2), v1.Prove(KeyOf(2)).value().proof));
}

// Uncommitted versions: a chain of them reads through each other's overlays, and two
// forks at the same height (two proposals for one height) do not see each other.
TEST(StateTree, SpeculativeVersionsAndForksStayApart) {
  StoredTree stored;
  stored.Commit(stored.tree.Update(1, {{KeyOf(1), ValueOf(1)}, {KeyOf(2), ValueOf(2)}}).value());
  StateTree a2 = stored.tree.Update(2, {{KeyOf(3), ValueOf(3)}}).value();
  StateTree b2 = stored.tree.Update(2, {{KeyOf(3), ValueOf(33)}, {KeyOf(4), ValueOf(4)}}).value();
  StateTree a3 = a2.Update(3, {{KeyOf(5), ValueOf(5)}}).value();
  EXPECT_EQ(*a3.Get(KeyOf(3)).value(), ValueOf(3));
  EXPECT_FALSE(a3.Get(KeyOf(4)).value().has_value());
  EXPECT_EQ(*b2.Get(KeyOf(3)).value(), ValueOf(33));
  EXPECT_EQ(a3.root(), ReferenceRoot(Model{{KeyOf(1), ValueOf(1)}, {KeyOf(2), ValueOf(2)}, {KeyOf(3), ValueOf(3)},
                                           {KeyOf(5), ValueOf(5)}}));
  // b2 commits; a3 (on the dead fork) still reads its own nodes, not b2's.
  stored.Commit(b2);
  EXPECT_EQ(*a3.Get(KeyOf(3)).value(), ValueOf(3));
  EXPECT_EQ(*stored.tree.Get(KeyOf(4)).value(), ValueOf(4));
  // Nothing of a fork reached the disk.
  TreeStore fresh(stored.store, 1 << 20);
  EXPECT_EQ(fresh.Load(2).value().root(), b2.root());
  EXPECT_EQ(fresh.Load(3).status().code(), StatusCode::kNotFound);
}

// What a version replaced is indexed as stale from that version on: the nodes pruning
// may delete, and only those.
TEST(StateTree, ReplacedNodesAreIndexedAsStale) {
  StoredTree stored;
  stored.Commit(stored.tree.Update(1, {{KeyOf(1), ValueOf(1)}, {KeyOf(2), ValueOf(2)}}).value());
  const TreeChanges* first = stored.tree.Update(2, {}).value().changes();
  EXPECT_EQ(first, nullptr);  // an empty block writes no nodes
  StateTree v2 = stored.tree.Update(2, {{KeyOf(1), ValueOf(10)}}).value();
  ASSERT_NE(v2.changes(), nullptr);
  // At least the old leaf of key 1 and the old root are stale; key 2's leaf is kept.
  const size_t stale = v2.changes()->stale.size();
  EXPECT_GE(stale, 2u);
  const std::vector<Bytes> replaced = v2.changes()->stale;
  stored.Commit(v2);
  TreeStore fresh(stored.store, 1 << 20);
  EXPECT_EQ(fresh.StaleNodes(2).value(), replaced);
  EXPECT_TRUE(fresh.StaleNodes(1).value().empty());
  // Each names a node an earlier version wrote, still on disk for older readers.
  for (const Bytes& key : replaced) EXPECT_TRUE(stored.store.Get(key).value().has_value()) << ToHex(key);
}

TEST(StateTree, ADamagedStaleIndexIsAnError) {
  StoredTree stored;
  stored.Commit(stored.tree.Update(1, {{KeyOf(1), ValueOf(1)}, {KeyOf(2), ValueOf(2)}}).value());
  stored.Commit(stored.tree.Update(2, {{KeyOf(1), ValueOf(10)}}).value());
  Bytes record = stored.store.Get(keys::StaleNodes(2)).value().value();
  record.pop_back();  // the last key cut short
  WriteBatch batch;
  batch.Put(keys::StaleNodes(2), record);
  ASSERT_TRUE(stored.store.Write(batch, Durability::kSync).ok());
  TreeStore fresh(stored.store, 1 << 20);
  EXPECT_EQ(fresh.StaleNodes(2).status().code(), StatusCode::kCorruption);
}

TEST(StateTree, LeavesPageThroughEveryKeyInOrder) {
  std::vector<StateTree::Entry> entries;
  for (uint64_t n = 0; n < 1000; ++n) entries.emplace_back(KeyOf(n), ValueOf(n));
  StateTree tree = StateTree::Build(0, entries);
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Hash> seen;
  Hash from{};
  for (;;) {
    auto page = tree.Leaves(from, 37).value();
    for (const auto& [key, value] : page) seen.push_back(key);
    if (page.size() < 37) break;
    from = KeyAfter(page.back().first).value();
  }
  ASSERT_EQ(seen.size(), entries.size());
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], entries[i].first);
  // A page that starts between two keys starts at the next one.
  auto page = tree.Leaves(KeyAfter(entries[10].first).value(), 1).value();
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].first, entries[11].first);
}

// A damaged node record is an error on read, never a wrong answer.
TEST(StateTree, ADamagedNodeIsCaughtWhenRead) {
  StoredTree stored;
  std::vector<StateTree::Change> changes;
  for (uint64_t n = 0; n < 50; ++n) changes.emplace_back(KeyOf(n), ValueOf(n));
  stored.Commit(stored.tree.Update(1, changes).value());
  Bytes victim;
  Bytes value;
  ASSERT_TRUE(stored.store.Scan(keys::kNodePrefix, "", [&](ByteView key, ByteView v) {
    if (!keys::IsNodeKey(key) || v[0] != 0) return true;  // a leaf
    victim = Bytes(key);
    value = Bytes(v);
    return false;
  }).ok());
  value.back() ^= 1;  // one bit of the account bytes
  stored.store.TEST_Put(victim, value);
  TreeStore fresh(stored.store, 1 << 20);
  StateTree tree = fresh.Load(1).value();
  size_t failures = 0;
  for (uint64_t n = 0; n < 50; ++n) {
    auto proven = tree.Prove(KeyOf(n));
    if (!proven.ok()) {
      EXPECT_EQ(proven.status().code(), StatusCode::kCorruption);
      ++failures;
    }
  }
  EXPECT_EQ(failures, 1u);
}

TEST(StateTree, TheCacheStaysWithinItsBudget) {
  MemoryStore store;
  TreeStore nodes(store, 64 << 10);
  std::vector<StateTree::Entry> entries;
  for (uint64_t n = 0; n < 5000; ++n) entries.emplace_back(KeyOf(n), ValueOf(n));
  ASSERT_TRUE(nodes.WriteWhole(StateTree::Build(0, entries), store).ok());
  StateTree tree = nodes.Load(0).value();
  for (uint64_t n = 0; n < 5000; ++n) ASSERT_TRUE(tree.Get(KeyOf(n)).value().has_value());
  NodeCache::Stats stats = nodes.cache_stats();
  EXPECT_LE(stats.bytes, size_t{64} << 10);
  EXPECT_GT(stats.nodes, 0u);
  EXPECT_GT(stats.misses, 0u);
}

TEST(StateTree, TamperedProofsFail) {
  std::vector<StateTree::Entry> entries;
  for (uint64_t n = 0; n < 100; ++n) entries.emplace_back(KeyOf(n), ValueOf(n));
  StateTree tree = StateTree::Build(0, entries);
  const Hash v7 = HashOf(7);
  StateProof proof = tree.Prove(KeyOf(7)).value().proof;
  ASSERT_FALSE(proof.siblings.empty());
  EXPECT_TRUE(VerifyStateProof(tree.root(), KeyOf(7), v7, proof));
  EXPECT_FALSE(VerifyStateProof(tree.root(), KeyOf(7), HashOf(8), proof));
  EXPECT_FALSE(VerifyStateProof(tree.root(), KeyOf(8), v7, proof));
  StateProof bad = proof;
  bad.siblings[0][5] ^= 1;
  EXPECT_FALSE(VerifyStateProof(tree.root(), KeyOf(7), v7, bad));
  bad = proof;
  bad.siblings.pop_back();
  EXPECT_FALSE(VerifyStateProof(tree.root(), KeyOf(7), v7, bad));
  // An absence proof cannot borrow a leaf from elsewhere in the tree.
  StateProof absent = tree.Prove(KeyOf(1000)).value().proof;
  if (absent.leaf) {
    absent.leaf = std::make_pair(KeyOf(7), v7);
    EXPECT_FALSE(VerifyStateProof(tree.root(), KeyOf(1000), std::nullopt, absent));
  }
}

}  // namespace
}  // namespace cairn::ledger
