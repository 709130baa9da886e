#include <map>
#include <random>

#include <gtest/gtest.h>

#include "crypto/sha256.h"
#include "ledger/state_tree.h"
#include "tests/support/seed.h"

namespace cairn::ledger {
namespace {

Hash KeyOf(uint64_t n) { return crypto::Sha256Of("key-" + std::to_string(n)); }
Hash ValueOf(uint64_t n) { return crypto::Sha256Of("value-" + std::to_string(n)); }

StateTree BuildFrom(const std::map<Hash, Hash>& entries) {
  return StateTree::Build(std::vector<std::pair<Hash, Hash>>(entries.begin(), entries.end()));
}

TEST(StateTree, EmptyTreeHasZeroRootAndProvesAbsence) {
  StateTree tree;
  EXPECT_EQ(tree.root(), Hash{});
  StateProof proof = tree.Prove(KeyOf(1));
  EXPECT_TRUE(VerifyStateProof(tree.root(), KeyOf(1), std::nullopt, proof));
  EXPECT_FALSE(VerifyStateProof(tree.root(), KeyOf(1), ValueOf(1), proof));
}

TEST(StateTree, SingleLeafIsTheRoot) {
  StateTree tree = StateTree::Build({{KeyOf(1), ValueOf(1)}});
  StateProof proof = tree.Prove(KeyOf(1));
  EXPECT_TRUE(proof.siblings.empty());
  EXPECT_TRUE(VerifyStateProof(tree.root(), KeyOf(1), ValueOf(1), proof));
  EXPECT_TRUE(VerifyStateProof(tree.root(), KeyOf(2), std::nullopt, tree.Prove(KeyOf(2))));
}

// Incremental updates (inserts, overwrites, deletes in random batches) must give exactly
// the tree built from scratch over the same final contents: the layout is canonical.
TEST(StateTree, IncrementalUpdatesMatchRebuildRandomised) {
  const uint64_t seed = test::TestSeed("StateTree.IncrementalUpdatesMatchRebuildRandomised");
  std::mt19937_64 rng(seed);
  std::map<Hash, Hash> model;
  StateTree tree;
  for (int round = 0; round < 60; ++round) {
    std::map<Hash, std::optional<Hash>> batch;
    int batch_size = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < batch_size; ++i) {
      Hash key = KeyOf(rng() % 400);
      if (rng() % 4 == 0) {
        batch[key] = std::nullopt;
      } else {
        batch[key] = ValueOf(rng());
      }
    }
    for (const auto& [k, v] : batch) {
      if (v) model[k] = *v; else model.erase(k);
    }
    tree = tree.Update(std::vector<StateTree::Change>(batch.begin(), batch.end()));
    ASSERT_EQ(tree.size(), model.size()) << "seed " << seed << " round " << round;
    ASSERT_EQ(tree.root(), BuildFrom(model).root()) << "seed " << seed << " round " << round;
  }
  // Every key proves its value, and keys not present prove absence.
  for (uint64_t n = 0; n < 400; ++n) {
    Hash key = KeyOf(n);
    auto it = model.find(key);
    std::optional<Hash> value = it == model.end() ? std::nullopt : std::optional<Hash>(it->second);
    EXPECT_EQ(tree.Get(key), value);
    StateProof proof = tree.Prove(key);
    EXPECT_TRUE(VerifyStateProof(tree.root(), key, value, proof)) << "seed " << seed << " n " << n;
    // The opposite claim must fail.
    std::optional<Hash> wrong = value ? std::nullopt : std::optional<Hash>(ValueOf(n));
    EXPECT_FALSE(VerifyStateProof(tree.root(), key, wrong, proof));
  }
}

TEST(StateTree, OldVersionsStayValidAfterUpdate) {
  StateTree v1 = StateTree::Build({{KeyOf(1), ValueOf(1)}, {KeyOf(2), ValueOf(2)}});
  Hash root1 = v1.root();
  StateTree v2 = v1.Update({{KeyOf(1), ValueOf(10)}, {KeyOf(3), ValueOf(3)}});
  EXPECT_EQ(v1.root(), root1);
  EXPECT_EQ(v1.Get(KeyOf(1)), ValueOf(1));
  EXPECT_EQ(v2.Get(KeyOf(1)), ValueOf(10));
  EXPECT_NE(v2.root(), root1);
  // Undoing the change restores the old root.
  StateTree v3 = v2.Update({{KeyOf(1), ValueOf(1)}, {KeyOf(3), std::nullopt}});
  EXPECT_EQ(v3.root(), root1);
}

TEST(StateTree, TamperedProofsFail) {
  std::vector<std::pair<Hash, Hash>> entries;
  for (uint64_t n = 0; n < 100; ++n) entries.emplace_back(KeyOf(n), ValueOf(n));
  StateTree tree = StateTree::Build(entries);
  StateProof proof = tree.Prove(KeyOf(7));
  ASSERT_FALSE(proof.siblings.empty());
  EXPECT_TRUE(VerifyStateProof(tree.root(), KeyOf(7), ValueOf(7), proof));
  EXPECT_FALSE(VerifyStateProof(tree.root(), KeyOf(7), ValueOf(8), proof));
  EXPECT_FALSE(VerifyStateProof(tree.root(), KeyOf(8), ValueOf(7), proof));
  StateProof bad = proof;
  bad.siblings[0][5] ^= 1;
  EXPECT_FALSE(VerifyStateProof(tree.root(), KeyOf(7), ValueOf(7), bad));
  bad = proof;
  bad.siblings.pop_back();
  EXPECT_FALSE(VerifyStateProof(tree.root(), KeyOf(7), ValueOf(7), bad));
  // An absence proof cannot borrow a leaf from elsewhere in the tree.
  StateProof absent = tree.Prove(KeyOf(1000));
  if (absent.leaf) {
    absent.leaf = std::make_pair(KeyOf(7), ValueOf(7));
    EXPECT_FALSE(VerifyStateProof(tree.root(), KeyOf(1000), std::nullopt, absent));
  }
}

}  // namespace
}  // namespace cairn::ledger
