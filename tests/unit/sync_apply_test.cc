#include <gtest/gtest.h>

#include "crypto/domain.h"
#include "ledger/genesis.h"
#include "ledger/tx_check.h"
#include "node/sync_apply.h"
#include "tests/support/test_chain.h"

namespace cairn::node {
namespace {

class SyncApplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    source_ = Open();
    target_ = Open();
    for (uint64_t nonce = 1; nonce <= 5; ++nonce) {
      google::protobuf::RepeatedPtrField<v1::Transaction> txs;
      *txs.Add() = chain_.Transfer(chain_.user(0), nonce, chain_.user(1), 1);
      ASSERT_TRUE(chain_.CommitBlock(*source_, txs).ok());
    }
  }
  // `store`, when given, is left pointing at the ledger's store.
  std::unique_ptr<ledger::Ledger> Open(ledger::MemoryStore** store = nullptr) {
    auto memory = std::make_unique<ledger::MemoryStore>();
    if (store != nullptr) *store = memory.get();
    return ledger::Ledger::Open(std::move(memory), chain_.genesis()).value();
  }
  // Blocks [from, to] of the source as a response.
  v1::SyncResponse Response(uint64_t from, uint64_t to) {
    v1::SyncResponse response;
    response.set_from_height(from);
    for (uint64_t h = from; h <= to; ++h) {
      auto stored = source_->GetBlock(h).value();
      auto* out = response.add_blocks();
      *out->mutable_block() = stored.block;
      *out->mutable_certificate() = *stored.certificate;
    }
    return response;
  }
  SyncOutcome Apply(const v1::SyncResponse& response) {
    return ApplySyncResponse(*target_, verifier_, response);
  }

  test::TestChain chain_;
  crypto::DirectVerifier verifier_;
  std::unique_ptr<ledger::Ledger> source_, target_;
};

TEST_F(SyncApplyTest, CommitsTheBlocksALaterCertificateProvesAndNoMore) {
  SyncOutcome outcome = Apply(Response(1, 5));
  EXPECT_FALSE(outcome.lied) << outcome.why;
  // Blocks 2..5 carry certificates naming their parents: 1..4 are final, 5 is not yet.
  EXPECT_EQ(outcome.committed.size(), 4u);
  EXPECT_EQ(target_->height(), 4u);
  EXPECT_EQ(target_->head_hash(), source_->GetBlock(4)->hash);
  EXPECT_TRUE(target_->FinalityProof(4)->has_value());  // it can prove its head to others
}

TEST_F(SyncApplyTest, AFinalityCertificateProvesTheLastBlock) {
  v1::SyncResponse response = Response(1, 5);
  // A certificate of some later block whose commit_hash names block 5.
  *response.mutable_finality() = chain_.Certify(source_->GetBlock(5)->block, ToBytes(source_->GetBlock(5)->hash));
  SyncOutcome outcome = Apply(response);
  EXPECT_FALSE(outcome.lied) << outcome.why;
  EXPECT_EQ(target_->height(), 5u);
  EXPECT_EQ(target_->state_root(), source_->state_root());
}

TEST_F(SyncApplyTest, RefusesABrokenHashChain) {
  v1::SyncResponse response = Response(1, 5);
  response.mutable_blocks()->SwapElements(1, 2);
  SyncOutcome outcome = Apply(response);
  EXPECT_TRUE(outcome.lied);
  EXPECT_EQ(target_->height(), 0u);
}

TEST_F(SyncApplyTest, RefusesAForgedCertificate) {
  v1::SyncResponse response = Response(1, 3);
  response.mutable_blocks(1)->mutable_certificate()->mutable_signatures(0)->mutable_signature()->at(0) ^= 1;
  SyncOutcome outcome = Apply(response);
  EXPECT_TRUE(outcome.lied);
  EXPECT_NE(outcome.why.find("block 2"), std::string::npos) << outcome.why;
  EXPECT_EQ(target_->height(), 0u);
}

TEST_F(SyncApplyTest, ACertifiedButUnprovenForkIsNotCommitted) {
  // Another block at height 1, certified by a quorum (a round that later timed out),
  // with nothing naming it final: it must not be taken.
  ledger::BlockTemplate t;
  t.round = 7;
  t.timestamp_ms = target_->head_header().timestamp_ms() + 1;
  t.parent_qc = ledger::GenesisCertificate(target_->head_hash());
  auto proposed = target_->ProposeBlock(t);
  ASSERT_TRUE(proposed.ok()) << proposed.status().ToString();
  const ledger::ExecutedBlock& fork = *proposed;
  v1::SyncResponse response;
  response.set_from_height(1);
  auto* out = response.add_blocks();
  *out->mutable_block() = fork.block;
  *out->mutable_certificate() = chain_.Certify(fork.block);
  SyncOutcome outcome = Apply(response);
  EXPECT_FALSE(outcome.lied);
  EXPECT_TRUE(outcome.committed.empty());
  EXPECT_EQ(target_->height(), 0u);
}

TEST_F(SyncApplyTest, OverlapMustMatchWhatIsCommitted) {
  ASSERT_EQ(Apply(Response(1, 3)).committed.size(), 2u);
  SyncOutcome again = Apply(Response(1, 5));  // 1..2 overlap, 3..4 new
  EXPECT_FALSE(again.lied) << again.why;
  EXPECT_EQ(target_->height(), 4u);

  auto other = Open();
  test::TestChain same_chain;
  google::protobuf::RepeatedPtrField<v1::Transaction> txs;
  *txs.Add() = chain_.Transfer(chain_.user(2), 1, chain_.user(3), 9);
  ASSERT_TRUE(same_chain.CommitBlock(*other, txs).ok());
  v1::SyncResponse lie;
  lie.set_from_height(1);
  auto* out = lie.add_blocks();
  *out->mutable_block() = other->GetBlock(1)->block;
  *out->mutable_certificate() = *other->GetBlock(1)->certificate;
  SyncOutcome outcome = Apply(lie);
  EXPECT_TRUE(outcome.lied);
  EXPECT_NE(outcome.why.find("differs from our committed block"), std::string::npos) << outcome.why;
}

TEST_F(SyncApplyTest, AWindowIsCommittedWithOneSyncedWrite) {
  ledger::MemoryStore* store = nullptr;
  target_ = Open(&store);
  const size_t before = store->TEST_synced_writes();
  v1::SyncResponse response = Response(1, 5);
  *response.mutable_finality() = chain_.Certify(source_->GetBlock(5)->block, ToBytes(source_->GetBlock(5)->hash));
  SyncOutcome outcome = Apply(response);
  EXPECT_FALSE(outcome.lied) << outcome.why;
  EXPECT_EQ(outcome.committed.size(), 5u);
  EXPECT_EQ(store->TEST_synced_writes() - before, 1u);
  // Every block of the window is there, with what a block's own commit writes.
  for (uint64_t h = 1; h <= 5; ++h) EXPECT_EQ(target_->GetBlock(h)->hash, source_->GetBlock(h)->hash) << h;
  EXPECT_EQ(target_->state_root(), source_->state_root());
  EXPECT_TRUE(target_->FinalityProof(5)->has_value());
  const Hash tx_hash = ledger::CheckTransaction(source_->GetBlock(3)->block.transactions(0), chain_.genesis().chain_id())->hash;
  auto tx = target_->GetTransaction(tx_hash);
  ASSERT_TRUE(tx.ok()) << tx.status().ToString();
  EXPECT_EQ(tx->header.height(), 3u);
}

TEST_F(SyncApplyTest, ACertifiedBlockThatDoesNotExecuteIsRefusedAndTheBlocksBeforeItCommit) {
  // Block 3 with a state root its transactions do not produce, signed by a quorum (the
  // peer forged the certificate, or our execution differs) and proven final.
  v1::SyncResponse response = Response(1, 3);
  v1::Block* forged = response.mutable_blocks(2)->mutable_block();
  v1::BlockHeader header;
  ASSERT_TRUE(header.ParseFromString(forged->header()));
  header.set_state_root(std::string(32, '\x01'));
  forged->set_header(header.SerializeAsString());
  const Hash forged_hash = crypto::BlockHash(chain_.genesis().chain_id(), forged->header());
  *response.mutable_blocks(2)->mutable_certificate() = chain_.Certify(*forged, AsView(source_->GetBlock(2)->hash));
  *response.mutable_finality() = chain_.Certify(*forged, AsView(forged_hash));
  SyncOutcome outcome = Apply(response);
  EXPECT_TRUE(outcome.lied);
  EXPECT_NE(outcome.why.find("does not execute"), std::string::npos) << outcome.why;
  EXPECT_EQ(outcome.committed.size(), 2u);
  EXPECT_EQ(target_->height(), 2u);
  EXPECT_EQ(target_->head_hash(), source_->GetBlock(2)->hash);
}

TEST_F(SyncApplyTest, WarmedSignaturesAreNotCheckedAgainWhenTheResponseIsApplied) {
  // The ledger checks transactions through the same verifier, as the node's does.
  crypto::CachingVerifier caching(1 << 10);
  target_ = ledger::Ledger::Open(std::make_unique<ledger::MemoryStore>(), chain_.genesis(), &caching).value();
  v1::SyncResponse response = Response(1, 5);
  WarmSyncSignatures(*target_, caching, response);
  const size_t checked = caching.misses();
  EXPECT_GE(checked, 5u * 3 + 5);  // five certificates of a quorum of 4, five transactions
  SyncOutcome outcome = ApplySyncResponse(*target_, caching, response);
  EXPECT_FALSE(outcome.lied) << outcome.why;
  EXPECT_EQ(target_->height(), 4u);
  EXPECT_EQ(caching.misses(), checked);  // every answer came from the cache
  EXPECT_GT(caching.hits(), 0u);
}

// Commits the next block on `ledger` in `round`, its certificate naming `commit_hash`.
Status CommitInRound(const test::TestChain& chain, ledger::Ledger& ledger, uint64_t round, ByteView commit_hash) {
  ledger::BlockTemplate t;
  t.round = round;
  t.proposer = static_cast<uint32_t>(round % 4);
  t.timestamp_ms = ledger.head_header().timestamp_ms() + 1000;
  CAIRN_ASSIGN_OR_RETURN(t.parent_qc, chain.HeadCertificate(ledger));
  CAIRN_ASSIGN_OR_RETURN(ledger::ExecutedBlock executed, ledger.ProposeBlock(t));
  return ledger.Commit(executed, chain.Certify(executed.block, commit_hash));
}

TEST_F(SyncApplyTest, AResponseDoesNotEndOnABlockOnlyALaterBlockProves) {
  // Rounds 2, 4, 5: block 2's certificate (round 4, after a gap) commits nothing, block
  // 3's names block 2, which commits block 1 as its ancestor. Block 1 has no proof of its
  // own, so a response ending on it would let the receiver commit nothing.
  auto source = Open();
  ASSERT_TRUE(CommitInRound(chain_, *source, 2, {}).ok());
  ASSERT_TRUE(CommitInRound(chain_, *source, 4, {}).ok());
  ASSERT_TRUE(CommitInRound(chain_, *source, 5, AsView(source->head_hash())).ok());
  ASSERT_FALSE(source->FinalityProof(1)->has_value());

  v1::SyncResponse response = BuildSyncResponse(*source, 1, /*max_blocks=*/1, 1u << 20);
  ASSERT_EQ(response.blocks_size(), 2);  // block 2 proves itself, and block 1 with it
  SyncOutcome outcome = Apply(response);
  EXPECT_FALSE(outcome.lied) << outcome.why;
  EXPECT_EQ(target_->height(), 2u);
  EXPECT_EQ(target_->head_hash(), source->GetBlock(2)->hash);

  // Where the window's end has its own proof, max_blocks holds.
  EXPECT_EQ(BuildSyncResponse(*source, 2, 1, 1u << 20).blocks_size(), 1);
}

}  // namespace
}  // namespace cairn::node
