// State sync's chunks: a tree served from one store (ServeStateChunk) and rebuilt in
// another (StateRestore), answers in any order; every kind of lie a peer can tell about
// a chunk is caught and changes nothing; a restart goes on from what was stored.
#include <algorithm>
#include <random>

#include <gtest/gtest.h>

#include "crypto/sha256.h"
#include "ledger/keys.h"
#include "ledger/state_chunk.h"
#include "ledger/state_restore.h"
#include "ledger/state_tree.h"
#include "ledger/tree_store.h"
#include "tests/support/seed.h"

namespace cairn::ledger {
namespace {

Hash KeyOf(uint64_t n) { return crypto::Sha256Of("key-" + std::to_string(n)); }
Bytes ValueOf(uint64_t n, int round = 0) { return "value-" + std::to_string(n) + "-" + std::to_string(round); }

constexpr size_t kBudget = 1 << 20;
constexpr uint32_t kChunkLeaves = 64;

// A served tree: `accounts` keys written at version 1, then version 2 changes a fifth
// of them and adds some, so that its nodes come from two versions.
struct Source {
  MemoryStore store;
  TreeStore nodes{store, 1 << 20};
  StateTree v1, v2;

  explicit Source(uint64_t accounts) {
    std::vector<StateTree::Entry> entries;
    for (uint64_t i = 0; i < accounts; ++i) entries.emplace_back(KeyOf(i), ValueOf(i));
    EXPECT_TRUE(nodes.WriteWhole(StateTree::Build(1, entries), store).ok());
    v1 = nodes.Load(1).value();
    std::vector<StateTree::Change> changes;
    for (uint64_t i = 0; i < accounts; i += 5) changes.emplace_back(KeyOf(i), ValueOf(i, 2));
    for (uint64_t i = accounts; i < accounts + accounts / 10; ++i) changes.emplace_back(KeyOf(i), ValueOf(i, 2));
    StateTree next = v1.Update(2, changes).value();
    WriteBatch batch;
    nodes.AddToBatch(next, &batch);
    EXPECT_TRUE(store.Write(batch, Durability::kSync).ok());
    nodes.MarkCommitted(next);
    v2 = next.Committed(&nodes);
  }

  v1::StateChunkResponse Serve(const StateTree& tree, const Bytes& path, const Hash& hash,
                               uint32_t max_leaves = kChunkLeaves) const {
    v1::StateChunkRequest request;
    request.set_version(tree.version());
    request.set_path(path);
    request.set_expected_hash(ToBytes(hash));
    request.set_max_leaves(max_leaves);
    return ServeStateChunk(tree, request, kBudget);
  }
};

// Answers what `restore` wants from `source` in an order `rng` picks, until it is done
// or `max_answers` were applied. Returns how many leaves came.
uint64_t Drive(const Source& source, StateRestore& restore, std::mt19937_64& rng, size_t max_answers = SIZE_MAX) {
  uint64_t leaves = 0;
  for (size_t n = 0; n < max_answers && !restore.finished(); ++n) {
    EXPECT_FALSE(restore.wanted().empty());
    auto it = restore.wanted().begin();
    std::advance(it, rng() % restore.wanted().size());
    v1::StateChunkResponse answer = source.Serve(source.v2, it->first, it->second);
    EXPECT_TRUE(answer.error().empty()) << answer.error();
    leaves += answer.leaves_size() + answer.leaf_children_size();
    auto applied = restore.Apply(answer);
    EXPECT_TRUE(applied.ok()) << applied.status().message();
    EXPECT_EQ(*applied, StateRestore::Applied::kStored);
  }
  return leaves;
}

// The restored version read back through a TreeStore of its own: the same root, size and
// every value, and no restore records left behind.
void ExpectSameTree(const Source& source, const MemoryStore& restored) {
  TreeStore nodes(restored, 1 << 20);
  auto tree = nodes.Load(2);
  ASSERT_TRUE(tree.ok()) << tree.status().message();
  EXPECT_EQ(tree->root(), source.v2.root());
  EXPECT_EQ(tree->size(), source.v2.size());
  auto mine = tree->Leaves(Hash{}, SIZE_MAX).value();
  auto theirs = source.v2.Leaves(Hash{}, SIZE_MAX).value();
  EXPECT_EQ(mine, theirs);
  for (const auto& [key, value] : theirs) {
    ProvenValue proven = tree->Prove(key).value();
    EXPECT_TRUE(VerifyStateProof(source.v2.root(), key, tree::ValueHash(value), proven.proof));
  }
  size_t records = 0;
  EXPECT_TRUE(restored.Scan("Y", "", [&](ByteView, ByteView) { return ++records, true; }).ok());
  EXPECT_EQ(records, 0u);
}

TEST(StateRestore, RebuildsTheTreeFromChunksInAnyOrder) {
  const uint64_t seed = test::TestSeed("StateRestore.RebuildsTheTreeFromChunksInAnyOrder");
  std::mt19937_64 rng(seed);
  Source source(3000);
  MemoryStore restored;
  auto restore = StateRestore::Open(restored, 2, source.v2.root()).value();
  const uint64_t leaves = Drive(source, *restore, rng);
  ASSERT_TRUE(restore->finished());
  EXPECT_EQ(leaves, source.v2.size());  // each leaf came once
  EXPECT_EQ(restore->accounts(), source.v2.size());
  ExpectSameTree(source, restored);
}

TEST(StateRestore, SmallTreesComeInOneAnswer) {
  for (uint64_t accounts : {1, 2, 17}) {
    Source source(accounts);
    MemoryStore restored;
    auto restore = StateRestore::Open(restored, 2, source.v2.root()).value();
    ASSERT_EQ(restore->wanted().size(), 1u);
    const auto& [path, hash] = *restore->wanted().begin();
    ASSERT_EQ(restore->Apply(source.Serve(source.v2, path, hash)).value(), StateRestore::Applied::kStored);
    EXPECT_TRUE(restore->finished()) << accounts;
    ExpectSameTree(source, restored);
  }
  MemoryStore empty;
  EXPECT_TRUE(StateRestore::Open(empty, 2, Hash{}).value()->finished());
  EXPECT_EQ(TreeStore(empty, 1 << 20).Load(2).value().size(), 0u);
}

TEST(StateRestore, GoesOnFromWhatItStoredAfterARestart) {
  const uint64_t seed = test::TestSeed("StateRestore.GoesOnFromWhatItStoredAfterARestart");
  std::mt19937_64 rng(seed);
  Source source(3000);
  MemoryStore restored;
  uint64_t first = 0;
  {
    auto restore = StateRestore::Open(restored, 2, source.v2.root()).value();
    first = Drive(source, *restore, rng, 30);
    ASSERT_FALSE(restore->finished());
  }
  auto again = StateRestore::Open(restored, 2, source.v2.root()).value();
  const uint64_t second = Drive(source, *again, rng);
  ASSERT_TRUE(again->finished());
  EXPECT_GT(first, 0u);
  // Only what was not stored came again (the nodes above the chunks are fetched again,
  // with the leaves they hold directly).
  EXPECT_LT(second, source.v2.size() - first / 2);
  ExpectSameTree(source, restored);
  // A finished restore opens finished.
  EXPECT_TRUE(StateRestore::Open(restored, 2, source.v2.root()).value()->finished());
  EXPECT_FALSE(StateRestore::Open(restored, 2, source.v1.root()).ok());
}

// The first wanted path whose honest answer is made of leaves (at least `min` of them).
std::pair<Bytes, Hash> LeavesChunk(const Source& source, StateRestore& restore, std::mt19937_64& rng, int min) {
  for (;;) {
    for (const auto& [path, hash] : restore.wanted()) {
      v1::StateChunkResponse answer = source.Serve(source.v2, path, hash);
      if (answer.leaves_size() >= min) return {path, hash};
    }
    Drive(source, restore, rng, 1);
  }
}

struct Lie {
  std::string what;
  v1::StateChunkResponse answer;
};
using Lies = std::vector<Lie>;

// Each lie fails its check as a lie (INVALID_ARGUMENT) and leaves `path` wanted.
void ExpectEachRefused(StateRestore& restore, const Lies& lies, const Bytes& path) {
  for (const auto& [what, answer] : lies) {
    auto applied = restore.Apply(answer);
    ASSERT_FALSE(applied.ok()) << what << " was taken";
    EXPECT_EQ(applied.status().code(), StatusCode::kInvalidArgument) << what;
    ASSERT_EQ(restore.wanted().count(path), 1u) << what;
  }
}

// What a lying peer may send for a leaves chunk; each must fail its check, change
// nothing, and leave the chunk wanted so that an honest peer's answer completes it.
TEST(StateRestore, EveryLieAboutLeavesIsCaughtAndChangesNothing) {
  const uint64_t seed = test::TestSeed("StateRestore.EveryLieAboutLeavesIsCaughtAndChangesNothing");
  std::mt19937_64 rng(seed);
  Source source(3000);
  MemoryStore restored;
  auto restore = StateRestore::Open(restored, 2, source.v2.root()).value();
  auto [path, hash] = LeavesChunk(source, *restore, rng, 3);
  const v1::StateChunkResponse honest = source.Serve(source.v2, path, hash);
  const tree::NibblePath nibbles = DecodeNibblePath(path).value();

  Lies lies;
  v1::StateChunkResponse lie = honest;
  lie.mutable_leaves(1)->mutable_value()->push_back('x');
  lies.push_back(Lie{"a changed value", lie});
  lie = honest;
  lie.mutable_leaves()->RemoveLast();
  lies.push_back(Lie{"a truncated chunk", lie});
  lie = honest;
  lie.mutable_leaves()->DeleteSubrange(1, 1);
  lies.push_back(Lie{"a leaf left out in the middle", lie});
  lie = honest;
  *lie.add_leaves() = honest.leaves(0);
  lies.push_back(Lie{"a repeated leaf", lie});
  lie = honest;
  std::swap(*lie.mutable_leaves(0), *lie.mutable_leaves(1));
  lies.push_back(Lie{"leaves out of order", lie});
  {
    // A leaf of a neighbouring range: the chunks would overlap.
    lie = honest;
    for (uint64_t i = 0; i < 4000; ++i) {
      bool under = true;
      for (int d = 0; d < nibbles.length; ++d) under = under && tree::NibbleAt(KeyOf(i), d) == tree::NibbleAt(nibbles.nibbles, d);
      if (under) continue;
      v1::StateLeaf* extra = lie.add_leaves();
      extra->set_key(ToBytes(KeyOf(i)));
      extra->set_value(ValueOf(i));
      break;
    }
    lies.push_back(Lie{"a leaf from another range", lie});
  }
  {
    // A made-up account inside the range.
    lie = honest;
    Hash key = HashFromBytes(honest.leaves(0).key()).value();
    key[31] ^= 1;
    lie.mutable_leaves(0)->set_key(ToBytes(key));
    lies.push_back(Lie{"a made-up key", lie});
  }
  {
    // The same range of the version before: stale.
    auto stale_ref = source.v1.RefAt(nibbles).value();
    ASSERT_TRUE(stale_ref.has_value());
    lie = honest;
    lie.clear_leaves();
    const auto stale_leaves = source.v1.LeavesUnder(*stale_ref, nibbles, 10'000).value();
    for (const auto& [key, value] : stale_leaves) {
      v1::StateLeaf* leaf = lie.add_leaves();
      leaf->set_key(ToBytes(key));
      leaf->set_value(value);
    }
    lies.push_back(Lie{"the range of an older version", lie});
  }
  lie = honest;
  lie.set_node(source.Serve(source.v2, "", source.v2.root(), 1).node());
  lies.push_back(Lie{"leaves and a node at once", lie});

  ExpectEachRefused(*restore, lies, path);
  EXPECT_EQ(restore->Apply(honest).value(), StateRestore::Applied::kStored);
  // A late copy of an answer already taken (a hedged request) is ignored.
  EXPECT_EQ(restore->Apply(honest).value(), StateRestore::Applied::kNotWanted);
  Drive(source, *restore, rng);
  ASSERT_TRUE(restore->finished());
  ExpectSameTree(source, restored);
}

TEST(StateRestore, EveryLieAboutANodeIsCaughtAndChangesNothing) {
  Source source(3000);
  MemoryStore restored;
  auto restore = StateRestore::Open(restored, 2, source.v2.root()).value();
  const v1::StateChunkResponse honest = source.Serve(source.v2, "", source.v2.root());
  ASSERT_FALSE(honest.node().empty());
  Lies lies;
  v1::StateChunkResponse lie = honest;
  lie.mutable_node()->back() ^= 1;
  lies.push_back(Lie{"a changed child hash", lie});
  lie = honest;
  lie.set_node(source.Serve(source.v1, "", source.v1.root()).node());
  lies.push_back(Lie{"the root node of an older version", lie});
  lie = honest;
  lie.add_leaf_children(tree::EncodeNode(*tree::MakeLeaf(KeyOf(1), ValueOf(1))));
  lies.push_back(Lie{"a leaf child the node does not have", lie});
  ExpectEachRefused(*restore, lies, "");
  std::mt19937_64 rng(1);
  Drive(source, *restore, rng);
  ASSERT_TRUE(restore->finished());
  ExpectSameTree(source, restored);
}

// A peer that does not hold the node (pruned, another version) says so: not a lie, the
// chunk stays wanted.
TEST(StateRestore, AChunkAPeerDoesNotHoldStaysWanted) {
  Source source(500);
  MemoryStore restored;
  auto restore = StateRestore::Open(restored, 2, source.v2.root()).value();
  v1::StateChunkResponse refused = source.Serve(source.v1, "", source.v2.root());
  refused.set_version(2);  // as an answer for version 2 from a node that lacks it
  EXPECT_FALSE(refused.error().empty());
  EXPECT_EQ(restore->Apply(refused).value(), StateRestore::Applied::kNotServed);
  v1::StateChunkResponse bad_path = source.Serve(source.v2, Bytes(1, '\x10'), source.v2.root());
  EXPECT_FALSE(bad_path.error().empty());
  EXPECT_EQ(restore->wanted().size(), 1u);
}

// A node answer whose leaf child is flagged internal (the flag is not in the hash when
// the child's neighbouring slot is taken): the restorer asks for that child, learns it
// is a leaf from its own answer, and stores the node with the true flag.
TEST(StateRestore, AFlippedLeafFlagIsHarmless) {
  Source source(3000);
  MemoryStore restored;
  auto restore = StateRestore::Open(restored, 2, source.v2.root()).value();
  // Find a node answer with a leaf child whose buddy slot is occupied.
  std::mt19937_64 rng(7);
  for (int guard = 0; guard < 10'000 && !restore->finished(); ++guard) {
    auto [path, hash] = *restore->wanted().begin();
    v1::StateChunkResponse answer = source.Serve(source.v2, path, hash, 16);
    if (!answer.node().empty()) {
      tree::Node node = *tree::DecodeNode(answer.node(), hash).value();
      int flipped = -1, flipped_index = -1, leaf_index = 0;
      for (tree::Child& child : node.children) {
        if (!child.ref.is_leaf) continue;
        if (node.ChildAt(child.nibble ^ 1) != nullptr) {
          child.ref.is_leaf = false;
          flipped = child.nibble;
          flipped_index = leaf_index;
          break;
        }
        ++leaf_index;
      }
      if (flipped >= 0) {
        v1::StateChunkResponse lie = answer;
        lie.set_node(tree::EncodeNode(*tree::MakeInternal(node.children)));
        lie.mutable_leaf_children()->DeleteSubrange(flipped_index, 1);
        ASSERT_EQ(restore->Apply(lie).value(), StateRestore::Applied::kStored);
        ASSERT_EQ(restore->wanted().count(path + static_cast<char>(flipped)), 1u);
        break;
      }
    }
    ASSERT_EQ(restore->Apply(answer).value(), StateRestore::Applied::kStored);
  }
  Drive(source, *restore, rng);
  ASSERT_TRUE(restore->finished());
  ExpectSameTree(source, restored);
}

}  // namespace
}  // namespace cairn::ledger
