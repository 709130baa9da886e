// Retention in the ledger (ledger/pruning.cc): what a pruning step deletes, what it
// keeps at every height, and that the marks survive a reopen.
#include <gtest/gtest.h>

#include "crypto/domain.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "tests/support/test_chain.h"
#include "tests/unit/temp_dir.h"

namespace cairn::ledger {
namespace {

using Txs = google::protobuf::RepeatedPtrField<v1::Transaction>;

// Commits `blocks` blocks of two transfers each (user 0 to user 1, user 2 to user 0)
// and returns each block's first transaction, by height.
std::vector<v1::Transaction> CommitTransfers(const test::TestChain& chain, Ledger& ledger, int blocks) {
  std::vector<v1::Transaction> first{v1::Transaction()};  // none at genesis
  for (int k = 0; k < blocks; ++k) {
    const uint64_t nonce = ledger.height() + 1;
    Txs txs;
    *txs.Add() = chain.Transfer(chain.user(0), nonce, chain.user(1), 5);
    *txs.Add() = chain.Transfer(chain.user(2), nonce, chain.user(0), 3);
    EXPECT_TRUE(chain.CommitBlock(ledger, txs).ok());
    first.push_back(txs[0]);
  }
  return first;
}

Hash HashOf(const test::TestChain& chain, const v1::Transaction& tx) {
  return crypto::TxHash(chain.chain_id(), tx.public_key(), tx.signature(), tx.body());
}

// Heights of the records of kind `tag` (r, x) the store still holds, read from their keys.
std::vector<uint64_t> RecordHeights(const KvStore& store, char tag, size_t height_offset) {
  std::vector<uint64_t> heights;
  const Bytes prefix(1, tag);
  EXPECT_TRUE(store.Scan(prefix, prefix, [&](ByteView key, ByteView) {
                     heights.push_back(ReadU64(key.substr(height_offset)));
                     return true;
                   }).ok());
  return heights;
}

TEST(LedgerPruning, BodiesReceiptsAndIndexesGoBelowTheMarkHeadersAndCertificatesStay) {
  test::TestChain chain;
  auto owned = std::make_unique<MemoryStore>();
  MemoryStore* store = owned.get();
  auto ledger = Ledger::Open(std::move(owned), chain.genesis()).value();
  const auto first_tx = CommitTransfers(chain, *ledger, 10);
  const Hash head_root = ledger->state_root();

  auto pruned = ledger->PruneBlocks(6, 100);
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  EXPECT_EQ(*pruned, 6u);  // heights 0-5
  EXPECT_EQ(ledger->retained_from(), 6u);

  for (uint64_t h = 1; h < 6; ++h) {
    auto block = ledger->GetBlock(h);
    EXPECT_EQ(block.status().code(), StatusCode::kFailedPrecondition) << h;
    EXPECT_NE(block.status().message().find("from height 6"), std::string::npos) << block.status().ToString();
    auto header = ledger->GetBlockHeader(h);
    ASSERT_TRUE(header.ok()) << header.status().ToString();
    EXPECT_EQ(header->block.transactions_size(), 0);
    EXPECT_EQ(header->hash, ledger->CommittedBlockHash(h).value()) << "the header chain stays whole";
    EXPECT_TRUE(header->certificate.has_value());
    EXPECT_TRUE(ledger->FinalityProof(h).ok());
    // The parent certificate keeps its statement, not its signatures (the parent's own
    // certificate holds a quorum's), and the hash index entry goes with the body.
    EXPECT_EQ(header->block.parent_qc().signatures_size(), 0) << h;
    EXPECT_EQ(header->block.parent_qc().block_hash(), header->header.parent_hash()) << h;
    auto by_hash = ledger->GetBlockByHash(header->hash);
    EXPECT_EQ(by_hash.status().code(), StatusCode::kNotFound) << h;
    EXPECT_NE(by_hash.status().message().find("from height 6 on"), std::string::npos) << by_hash.status().ToString();
    EXPECT_EQ(ledger->GetTransaction(HashOf(chain, first_tx[h])).status().code(), StatusCode::kNotFound) << h;
  }
  EXPECT_TRUE(ledger->GetBlock(0).ok()) << "genesis is epoch 0's root and keeps its body";
  for (uint64_t h = 6; h <= 10; ++h) {
    auto block = ledger->GetBlock(h);
    ASSERT_TRUE(block.ok()) << h << ": " << block.status().ToString();
    EXPECT_EQ(block->block.transactions_size(), 2);
    EXPECT_GT(block->block.parent_qc().signatures_size(), 0) << h;
    EXPECT_TRUE(ledger->GetBlockByHash(block->hash).ok()) << h;
    EXPECT_TRUE(ledger->GetTransaction(HashOf(chain, first_tx[h])).ok()) << h;
  }
  // Nothing of a pruned height is left behind: receipts (r <height> <index>) and the
  // history of every account a transaction named, sender and recipient
  // (x <address> <height> <index>).
  for (uint64_t h : RecordHeights(*store, 'r', 1)) EXPECT_GE(h, 6u) << "receipt left at " << h;
  const size_t address_size = test::TestChain::AddressOf(chain.user(0)).size();
  const auto history = RecordHeights(*store, 'x', 1 + address_size);
  EXPECT_EQ(history.size(), 5u * 4u) << "two transfers a block, sender and recipient each";
  for (uint64_t h : history) EXPECT_GE(h, 6u) << "history entry left at " << h;
  auto page = ledger->GetAccountHistory(test::TestChain::AddressOf(chain.user(1)), std::nullopt, 100);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->entries.size(), 5u);
  EXPECT_EQ(page->entries.front().height(), 6u);
  // The state and the head are untouched, and the chain goes on.
  EXPECT_EQ(ledger->state_root(), head_root);
  CommitTransfers(chain, *ledger, 1);
  EXPECT_EQ(ledger->height(), 11u);
  EXPECT_EQ(ledger->PruneBlocks(6, 100).value(), 0u) << "nothing new below the same mark";
}

TEST(LedgerPruning, StepsAreBoundedNeverReachTheHeadAndTheMarksSurviveAReopen) {
  test::TempDir dir;
  test::TestChain chain;
  {
    auto ledger = Ledger::Open(OpenLevelDbStore(dir.path()).value(), chain.genesis()).value();
    CommitTransfers(chain, *ledger, 8);
    EXPECT_EQ(ledger->PruneBlocks(100, 3).value(), 3u);
    EXPECT_EQ(ledger->retained_from(), 3u);
    EXPECT_EQ(ledger->PruneStateVersions(100, 2).value(), 2u);
    EXPECT_EQ(ledger->oldest_state_version(), 2u);
  }
  auto ledger = Ledger::Open(OpenLevelDbStore(dir.path()).value(), chain.genesis()).value();
  EXPECT_EQ(ledger->retained_from(), 3u);
  EXPECT_EQ(ledger->oldest_state_version(), 2u);
  EXPECT_EQ(ledger->GetBlock(2).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(ledger->PruneBlocks(100, 100).value(), 5u) << "up to the head, not past it";
  EXPECT_EQ(ledger->retained_from(), 8u);
  EXPECT_TRUE(ledger->GetBlock(8).ok()) << "the head keeps its body";
}

TEST(LedgerPruning, OldStateVersionsGoAndEveryKeptVersionStaysWholeFromDisk) {
  test::TempDir dir;
  test::TestChain chain;
  size_t nodes_before = 0, nodes_after = 0;
  auto count_nodes = [](const KvStore& store) {
    size_t n = 0;
    EXPECT_TRUE(store.Scan(keys::kNodePrefix, keys::kNodePrefix, [&](ByteView key, ByteView) {
                       n += keys::IsNodeKey(key) ? 1 : 0;
                       return true;
                     }).ok());
    return n;
  };
  {
    auto ledger = Ledger::Open(OpenLevelDbStore(dir.path()).value(), chain.genesis()).value();
    CommitTransfers(chain, *ledger, 10);
  }
  {
    auto store = OpenLevelDbStore(dir.path()).value();
    nodes_before = count_nodes(*store);
  }
  {
    auto ledger = Ledger::Open(OpenLevelDbStore(dir.path()).value(), chain.genesis()).value();
    ASSERT_EQ(ledger->PruneStateVersions(7, 100).value(), 7u);
    EXPECT_EQ(ledger->StateAt(6).status().code(), StatusCode::kNotFound);
  }
  {
    auto store = OpenLevelDbStore(dir.path()).value();
    nodes_after = count_nodes(*store);
  }
  EXPECT_LT(nodes_after, nodes_before);
  // Reopened, with a cold node cache: every leaf of every kept version is read from
  // disk, so a node deleted while a kept version still named it would fail here.
  auto ledger = Ledger::Open(OpenLevelDbStore(dir.path()).value(), chain.genesis()).value();
  for (uint64_t v = 7; v <= 10; ++v) {
    auto tree = ledger->StateAt(v);
    ASSERT_TRUE(tree.ok()) << v << ": " << tree.status().ToString();
    auto leaves = tree->Leaves(Hash{}, 1000);
    ASSERT_TRUE(leaves.ok()) << v << ": " << leaves.status().ToString();
    EXPECT_EQ(leaves->size(), ledger->account_count()) << v;
  }
  CommitTransfers(chain, *ledger, 1);
  EXPECT_EQ(ledger->height(), 11u);
}

TEST(LedgerPruning, AVersionAReaderHoldsIsNotPrunedUntilItLetsGo) {
  test::TestChain chain;
  auto ledger = Ledger::Open(std::make_unique<MemoryStore>(), chain.genesis()).value();
  CommitTransfers(chain, *ledger, 10);
  std::optional<StateTree> held = ledger->StateAt(4).value();  // a state server mid-chunk
  const StateTree head = ledger->StateAt(10).value();           // and a reader of the head
  EXPECT_EQ(ledger->PruneStateVersions(8, 100).value(), 4u) << "versions 0-3 only";
  EXPECT_EQ(ledger->oldest_state_version(), 4u);
  CommitTransfers(chain, *ledger, 3);
  auto leaves = held->Leaves(Hash{}, 1000);
  ASSERT_TRUE(leaves.ok()) << leaves.status().ToString();
  EXPECT_EQ(leaves->size(), ledger->account_count());
  held.reset();
  EXPECT_EQ(ledger->PruneStateVersions(13, 100).value(), 6u) << "up to the version the head reader holds";
  EXPECT_EQ(ledger->oldest_state_version(), 10u);
  EXPECT_TRUE(head.Leaves(Hash{}, 1000).ok());
  auto pruned = ledger->StateAt(9);
  EXPECT_EQ(pruned.status().code(), StatusCode::kNotFound);
  EXPECT_NE(pruned.status().message().find("from 10 on"), std::string::npos) << pruned.status().ToString();
}

// A view of a MemoryStore whose writes are lost from the `cut`-th on once armed: a crash
// that cuts a pruning step between its writes (SIGKILL keeps every write the step made,
// so the crash test cannot land between two of them; power loss could).
class CutStore : public KvStore {
 public:
  explicit CutStore(MemoryStore& store) : store_(store) {}
  void Arm(int writes_before_cut) { writes_left_ = writes_before_cut; }
  Result<std::optional<Bytes>> Get(ByteView key) const override { return store_.Get(key); }
  Status Write(const WriteBatch& batch, Durability durability) override {
    if (writes_left_ && (*writes_left_)-- <= 0) return Status::IoError("cut by the test");
    return store_.Write(batch, durability);
  }
  Status Scan(ByteView prefix, ByteView start, const Visitor& visit) const override {
    return store_.Scan(prefix, start, visit);
  }
  Status Reopen() override { return Status::Ok(); }
  Status Compact(ByteView, ByteView) override { return Status::Ok(); }

 private:
  MemoryStore& store_;
  std::optional<int> writes_left_;
};

TEST(LedgerPruning, AStepCutBetweenAnyTwoOfItsWritesLeavesEveryRetainedVersionWhole) {
  test::TestChain chain;
  for (int cut = 0; cut <= 2; ++cut) {
    MemoryStore disk;
    {
      auto store = std::make_unique<CutStore>(disk);
      CutStore* cutter = store.get();
      auto ledger = Ledger::Open(std::move(store), chain.genesis()).value();
      CommitTransfers(chain, *ledger, 10);
      cutter->Arm(cut);
      (void)ledger->PruneStateVersions(7, 100);  // fails where it is cut
    }
    // Reopened with a cold cache: the versions the store names are read from its nodes.
    auto ledger = Ledger::Open(std::make_unique<CutStore>(disk), chain.genesis()).value();
    for (uint64_t v = ledger->oldest_state_version(); v <= ledger->height(); ++v) {
      auto tree = ledger->StateAt(v);
      ASSERT_TRUE(tree.ok()) << "cut " << cut << ", version " << v << ": " << tree.status().ToString();
      auto leaves = tree->Leaves(Hash{}, 1000);
      ASSERT_TRUE(leaves.ok()) << "cut " << cut << ", version " << v << ": " << leaves.status().ToString();
      EXPECT_EQ(leaves->size(), tree->size()) << "cut " << cut << ", version " << v;
    }
    EXPECT_EQ(ledger->oldest_state_version(), cut == 0 ? 0u : 7u) << "cut " << cut;
  }
}

TEST(LedgerPruning, APrunedBlocksFinalityIsProvenByItsChildsCertificateAlone) {
  test::TestChain chain;
  auto owned = std::make_unique<MemoryStore>();
  MemoryStore* store = owned.get();
  auto ledger = Ledger::Open(std::move(owned), chain.genesis()).value();
  for (uint64_t nonce = 1; nonce <= 6; ++nonce) {
    Txs txs;
    *txs.Add() = chain.Transfer(chain.user(0), nonce, chain.user(1), 5);
    ASSERT_TRUE(chain.CommitBlock(*ledger, txs, /*with_finality=*/true).ok());
  }
  for (uint64_t h = 1; h <= 6; ++h) ASSERT_TRUE(store->Get(keys::Finality(h)).value().has_value()) << h;
  ASSERT_EQ(ledger->PruneBlocks(5, 100).value(), 5u);
  for (uint64_t h = 1; h <= 4; ++h) {
    EXPECT_FALSE(store->Get(keys::Finality(h)).value().has_value()) << "block " << h << " keeps a repeated certificate";
    auto proof = ledger->FinalityProof(h);
    ASSERT_TRUE(proof.ok() && proof->has_value()) << h;
    EXPECT_EQ((*proof)->commit_hash(), AsView(ledger->CommittedBlockHash(h).value())) << h;
  }
  EXPECT_TRUE(store->Get(keys::Finality(5)).value().has_value()) << "a retained block keeps its own";
}

}  // namespace
}  // namespace cairn::ledger
