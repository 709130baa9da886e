#include <gtest/gtest.h>

#include "crypto/domain.h"
#include "ledger/speculator.h"
#include "tests/support/test_chain.h"

namespace cairn::ledger {
namespace {

class SpeculatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_ = Ledger::Open(std::make_unique<MemoryStore>(), chain_.genesis()).value();
    speculator_ = std::make_unique<Speculator>(*ledger_, 8);
  }
  // A template on `parent` (a block or the genesis block) with `txs`.
  BlockTemplate On(const v1::Block& parent, std::vector<v1::Transaction> txs) {
    v1::BlockHeader header;
    header.ParseFromString(parent.header());
    BlockTemplate t;
    t.round = header.round() + 1;
    t.timestamp_ms = header.timestamp_ms() + 1;
    t.parent_qc = chain_.Certify(parent);
    if (header.height() == 0) t.parent_qc = chain_.HeadCertificate(*ledger_).value();
    for (auto& tx : txs) *t.transactions.Add() = std::move(tx);
    return t;
  }
  Hash HashOf(const v1::Block& b) { return crypto::BlockHash(chain_.chain_id(), b.header()); }

  test::TestChain chain_;
  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<Speculator> speculator_;
};

// Three blocks in a row, each spending what the previous one received, all executed
// before any commits: the pipelined case.
TEST_F(SpeculatorTest, ExecutesOnPendingParentsAndCommitsInOrder) {
  v1::Block genesis = ledger_->GetBlock(0)->block;
  auto b1 = speculator_->Propose(On(genesis, {chain_.Transfer(chain_.user(0), 1, chain_.user(1), 10)}), HashOf(genesis));
  ASSERT_TRUE(b1.ok()) << b1.status().ToString();
  auto b2 = speculator_->Propose(On(*b1, {chain_.Transfer(chain_.user(0), 2, chain_.user(1), 10)}), HashOf(*b1));
  ASSERT_TRUE(b2.ok()) << b2.status().ToString();
  // Another replica validates the same blocks from scratch.
  auto other_ledger = Ledger::Open(std::make_unique<MemoryStore>(), chain_.genesis()).value();
  Speculator other(*other_ledger, 8);
  EXPECT_TRUE(other.Execute(*b1).ok());
  EXPECT_TRUE(other.Execute(*b2).ok());
  EXPECT_EQ(other.pending_count(), 2u);
  // A child of an unknown block is NOT_FOUND (the replica must fetch the parent).
  auto b3 = speculator_->Propose(On(*b2, {}), HashOf(*b2));
  auto third_ledger = Ledger::Open(std::make_unique<MemoryStore>(), chain_.genesis()).value();
  Speculator third(*third_ledger, 8);
  ASSERT_TRUE(third.Execute(*b1).ok());
  EXPECT_EQ(third.Execute(*b3).code(), StatusCode::kNotFound);
  EXPECT_TRUE(other.Execute(*b3).ok());

  ASSERT_TRUE(other.Commit(HashOf(*b1), chain_.Certify(*b1)).ok());
  ASSERT_TRUE(other.Commit(HashOf(*b2), chain_.Certify(*b2)).ok());
  EXPECT_EQ(other_ledger->height(), 2u);
  EXPECT_EQ(other.pending_count(), 1u);  // b3 still waits
  auto view = other_ledger->GetAccount(test::TestChain::AddressOf(chain_.user(0)));
  EXPECT_EQ(view->account->nonce(), 2u);
  EXPECT_EQ(other_ledger->head_hash(), HashOf(*b2));
}

TEST_F(SpeculatorTest, ForksOnPendingBlocksStaySeparate) {
  v1::Block genesis = ledger_->GetBlock(0)->block;
  // Two competing children of genesis spend the same nonce differently.
  auto left = speculator_->Propose(On(genesis, {chain_.Transfer(chain_.user(0), 1, chain_.user(1), 10)}), HashOf(genesis));
  BlockTemplate t = On(genesis, {chain_.Transfer(chain_.user(0), 1, chain_.user(2), 20)});
  t.round += 1;
  auto right = speculator_->Propose(t, HashOf(genesis));
  ASSERT_TRUE(left.ok() && right.ok());
  EXPECT_NE(HashOf(*left), HashOf(*right));
  // Committing one forgets the other.
  ASSERT_TRUE(speculator_->Commit(HashOf(*right), chain_.Certify(*right)).ok());
  EXPECT_EQ(speculator_->pending_count(), 0u);
  EXPECT_EQ(BalanceOf(*ledger_->GetAccount(test::TestChain::AddressOf(chain_.user(2)))->account, "CAIRN"),
            1'000'000u + 20);
  EXPECT_EQ(speculator_->Commit(HashOf(*left), chain_.Certify(*left)).code(), StatusCode::kNotFound);
}

TEST_F(SpeculatorTest, ProposalDropsWhatCannotEnterAndSaysWhy) {
  v1::Block genesis = ledger_->GetBlock(0)->block;
  v1::Transaction bad_sig = chain_.Transfer(chain_.user(3), 1, chain_.user(1), 1);
  bad_sig.mutable_signature()->at(0) ^= 1;
  std::vector<DroppedTx> dropped;
  auto block = speculator_->Propose(On(genesis, {chain_.Transfer(chain_.user(0), 2, chain_.user(1), 1),  // skips a nonce
                                                 bad_sig,
                                                 chain_.Transfer(chain_.user(1), 1, chain_.user(0), 1)}),
                                    HashOf(genesis), &dropped);
  ASSERT_TRUE(block.ok()) << block.status().ToString();
  EXPECT_EQ(block->transactions_size(), 1);
  ASSERT_EQ(dropped.size(), 2u);
  EXPECT_EQ(dropped[0].input_index, 0u);
  EXPECT_NE(dropped[0].reason.message().find("nonce"), std::string::npos);
  EXPECT_EQ(dropped[1].input_index, 1u);
  // The block it built is valid for everyone else.
  auto other_ledger = Ledger::Open(std::make_unique<MemoryStore>(), chain_.genesis()).value();
  EXPECT_TRUE(other_ledger->Execute(*block).ok());
}

TEST_F(SpeculatorTest, BoundedAndRefusesBlocksAtOrBelowTheHead) {
  v1::Block parent = ledger_->GetBlock(0)->block;
  Speculator small(*ledger_, 2);
  auto b1 = small.Propose(On(parent, {}), HashOf(parent));
  auto b2 = small.Propose(On(*b1, {}), HashOf(*b1));
  ASSERT_TRUE(b1.ok() && b2.ok());
  EXPECT_EQ(small.Propose(On(*b2, {}), HashOf(*b2)).status().code(), StatusCode::kResourceExhausted);
  ASSERT_TRUE(small.Commit(HashOf(*b1), chain_.Certify(*b1)).ok());
  // b1 is now the head: executing it again is a no-op, not a second copy.
  EXPECT_TRUE(small.Execute(*b1).ok());
  EXPECT_EQ(small.pending_count(), 1u);
}

}  // namespace
}  // namespace cairn::ledger
