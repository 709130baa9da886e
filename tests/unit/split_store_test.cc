// The ledger's store split in two (split_store.h): the state tree's records go to their
// own database, a batch lands tree part first, and a scan sees one key order.
#include "ledger/split_store.h"

#include <gtest/gtest.h>

#include "ledger/keys.h"

namespace cairn::ledger {
namespace {

struct Split {
  MemoryStore* rest;
  MemoryStore* tree;
  SplitStore store;

  Split() : Split(std::make_unique<MemoryStore>(), std::make_unique<MemoryStore>()) {}
  Split(std::unique_ptr<MemoryStore> r, std::unique_ptr<MemoryStore> t)
      : rest(r.get()), tree(t.get()), store(std::move(r), std::move(t)) {}
};

WriteBatch ABlock(uint64_t height) {
  WriteBatch batch;
  batch.Put(keys::Block(height), "block");
  batch.Put(tree::NodeKey(height, tree::NibblePath{}), "node");
  batch.Put(keys::StateRoot(height), "root");
  batch.Put(keys::kHead, "head " + std::to_string(height));
  return batch;
}

TEST(SplitStore, TheTreesRecordsGoToTheirOwnStore) {
  Split split;
  ASSERT_TRUE(split.store.Write(ABlock(7), Durability::kSync).ok());
  EXPECT_TRUE(split.tree->Get(tree::NodeKey(7, tree::NibblePath{})).value().has_value());
  EXPECT_TRUE(split.tree->Get(keys::StateRoot(7)).value().has_value());
  EXPECT_FALSE(split.tree->Get(keys::Block(7)).value().has_value());
  EXPECT_TRUE(split.rest->Get(keys::Block(7)).value().has_value());
  EXPECT_FALSE(split.rest->Get(keys::StateRoot(7)).value().has_value());
  EXPECT_EQ(split.store.Get(keys::StateRoot(7)).value(), std::optional<Bytes>("root"));
  EXPECT_EQ(split.store.Get(keys::kHead).value(), std::optional<Bytes>("head 7"));
}

TEST(SplitStore, AScanSeesBothInOneKeyOrder) {
  Split split;
  for (uint64_t h = 1; h <= 3; ++h) ASSERT_TRUE(split.store.Write(ABlock(h), Durability::kSync).ok());
  WriteBatch after;
  after.Put("x-after-the-tree", "");
  after.Put("a-before-it", "");
  ASSERT_TRUE(split.store.Write(after, Durability::kSync).ok());
  std::vector<Bytes> seen;
  ASSERT_TRUE(split.store.Scan("", "", [&](ByteView key, ByteView) { return seen.emplace_back(key), true; }).ok());
  ASSERT_EQ(seen.size(), 3u * 4 - 2 + 2);  // one head record, rewritten
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(seen.back(), "x-after-the-tree");
  // A scan that stops stops in either part, and a prefix picks its part.
  size_t visited = 0;
  ASSERT_TRUE(split.store.Scan("", keys::kNodePrefix, [&](ByteView, ByteView) { return ++visited < 2; }).ok());
  EXPECT_EQ(visited, 2u);
  size_t roots = 0;
  ASSERT_TRUE(split.store.Scan(keys::kNodePrefix, "", [&](ByteView key, ByteView) {
    roots += !keys::IsNodeKey(key);
    return true;
  }).ok());
  EXPECT_EQ(roots, 3u);
}

// The tree's part first: a crash or failure between leaves tree records that nothing
// names (the head still says the block before), never a head without its tree.
TEST(SplitStore, ABatchLandsTreePartFirstAndAFailureStopsEveryLaterWrite) {
  Split split;
  ASSERT_TRUE(split.store.Write(ABlock(1), Durability::kSync).ok());
  split.rest->TEST_FailWrites(Status::IoError("disk full"));
  EXPECT_EQ(split.store.Write(ABlock(2), Durability::kSync).code(), StatusCode::kIoError);
  EXPECT_TRUE(split.store.Get(keys::StateRoot(2)).value().has_value());
  EXPECT_EQ(split.store.Get(keys::kHead).value(), std::optional<Bytes>("head 1"));
  split.rest->TEST_FailWrites(Status::Ok());
  EXPECT_EQ(split.store.Write(ABlock(2), Durability::kSync).code(), StatusCode::kIoError) << "until reopened";
  ASSERT_TRUE(split.store.Reopen().ok());
  ASSERT_TRUE(split.store.Write(ABlock(2), Durability::kSync).ok());
  EXPECT_EQ(split.store.Get(keys::kHead).value(), std::optional<Bytes>("head 2"));

  // A tree that fails takes nothing of the rest.
  split.tree->TEST_FailWrites(Status::IoError("tree disk full"));
  EXPECT_EQ(split.store.Write(ABlock(3), Durability::kSync).code(), StatusCode::kIoError);
  EXPECT_FALSE(split.store.Get(keys::Block(3)).value().has_value());
  EXPECT_EQ(split.store.Get(keys::kHead).value(), std::optional<Bytes>("head 2"));
}

}  // namespace
}  // namespace cairn::ledger
