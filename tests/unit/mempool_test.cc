#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "crypto/domain.h"
#include "node/mempool.h"
#include "tests/support/test_chain.h"

namespace cairn::node {
namespace {

// Counts the signature checks that reach it.
class CountingVerifier : public crypto::SignatureVerifier {
 public:
  bool Verify(const crypto::PublicKey& key, ByteView message, ByteView signature) override {
    ++calls;
    return key.Verify(message, signature);
  }
  std::atomic<int> calls{0};
};

class MempoolTest : public ::testing::Test {
 protected:
  Mempool Make(MempoolLimits limits = {}) {
    return Mempool(chain_.chain_id(), verifier_, [this](const ledger::CheckedTx& tx) -> Result<uint64_t> {
      auto it = committed_.find(tx.sender);
      return it == committed_.end() ? 0 : it->second;
    }, limits);
  }
  v1::Transaction Tx(int user, uint64_t nonce, uint64_t amount = 1) {
    return chain_.Transfer(chain_.user(user), nonce, chain_.user((user + 1) % chain_.user_count()), amount);
  }
  Hash HashOf(const v1::Transaction& tx) { return crypto::TxHash(chain_.chain_id(), tx.public_key(), tx.signature(), tx.body()); }
  uint64_t NonceOf(const v1::Transaction& tx) {
    v1::TxBody body;
    body.ParseFromString(tx.body());
    return body.nonce();
  }

  test::TestChain chain_;
  CountingVerifier verifier_;
  std::map<Bytes, uint64_t> committed_;
};

TEST_F(MempoolTest, AdmitsOnceAndRejectsADuplicate) {
  Mempool pool = Make();
  auto tx = Tx(0, 1);
  auto added = pool.Add(tx);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_EQ(*added, HashOf(tx));
  EXPECT_TRUE(pool.Contains(*added));
  EXPECT_EQ(verifier_.calls, 1);
  EXPECT_EQ(pool.Add(tx).status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(pool.size(), 1u);
  EXPECT_GT(pool.bytes(), 0u);
}

TEST_F(MempoolTest, RejectsWithAReason) {
  Mempool pool = Make({.max_nonce_gap = 10});
  auto bad_signature = Tx(0, 1);
  bad_signature.mutable_signature()->at(3) ^= 1;
  EXPECT_EQ(pool.Add(bad_signature).status().code(), StatusCode::kInvalidArgument);

  test::TestChain other({.chain_id = "other-chain"});
  auto wrong_chain = other.Transfer(other.user(0), 1, other.user(1), 1);
  auto refused = pool.Add(wrong_chain);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);

  committed_[test::TestChain::AddressOf(chain_.user(0))] = 5;
  auto used = pool.Add(Tx(0, 5));
  EXPECT_EQ(used.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(used.status().message().find("last committed nonce is 5"), std::string::npos) << used.status().ToString();
  EXPECT_EQ(pool.Add(Tx(0, 16)).status().code(), StatusCode::kFailedPrecondition);  // gap over 10
  ASSERT_TRUE(pool.Add(Tx(0, 6, 1)).ok());
  auto same_nonce = pool.Add(Tx(0, 6, 2));
  EXPECT_EQ(same_nonce.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(pool.size(), 1u);
}

TEST_F(MempoolTest, IsBoundedInCountBytesAndPerSender) {
  Mempool by_count = Make({.max_txs = 3});
  for (int u = 0; u < 3; ++u) ASSERT_TRUE(by_count.Add(Tx(u, 1)).ok());
  auto full = by_count.Add(Tx(3, 1));
  EXPECT_EQ(full.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(full.status().message().find("full"), std::string::npos);

  const size_t one = Tx(0, 1).ByteSizeLong();
  Mempool by_bytes = Make({.max_bytes = one * 2 + one / 2});
  ASSERT_TRUE(by_bytes.Add(Tx(0, 1)).ok());
  ASSERT_TRUE(by_bytes.Add(Tx(1, 1)).ok());
  EXPECT_EQ(by_bytes.Add(Tx(2, 1)).status().code(), StatusCode::kResourceExhausted);

  Mempool per_sender = Make({.max_per_sender = 2});
  ASSERT_TRUE(per_sender.Add(Tx(0, 1)).ok());
  ASSERT_TRUE(per_sender.Add(Tx(0, 2)).ok());
  EXPECT_EQ(per_sender.Add(Tx(0, 3)).status().code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(per_sender.Add(Tx(1, 1)).ok());
}

TEST_F(MempoolTest, CandidatesFollowNonceOrderAndHoldBackGaps) {
  Mempool pool = Make();
  // User 0 arrives out of order; user 1 has a gap at nonce 2.
  ASSERT_TRUE(pool.Add(Tx(0, 3)).ok());
  ASSERT_TRUE(pool.Add(Tx(0, 1)).ok());
  ASSERT_TRUE(pool.Add(Tx(0, 2)).ok());
  ASSERT_TRUE(pool.Add(Tx(1, 1)).ok());
  ASSERT_TRUE(pool.Add(Tx(1, 3)).ok());
  auto candidates = pool.Candidates(100, {});
  std::vector<std::pair<Bytes, uint64_t>> got;
  for (const auto& tx : candidates) got.push_back({crypto::AddressOf(tx.public_key()), NonceOf(tx)});
  const Bytes u0 = test::TestChain::AddressOf(chain_.user(0)), u1 = test::TestChain::AddressOf(chain_.user(1));
  // Senders take turns (user 0 waited longest); user 1 stops at its gap.
  std::vector<std::pair<Bytes, uint64_t>> want = {{u0, 1}, {u1, 1}, {u0, 2}, {u0, 3}};
  EXPECT_EQ(got, want);
  EXPECT_EQ(pool.Candidates(2, {}).size(), 2u);
}

TEST_F(MempoolTest, CandidatesSkipWhatPendingBlocksHold) {
  Mempool pool = Make();
  auto first = Tx(0, 1), second = Tx(0, 2), third = Tx(0, 3);
  for (const auto* tx : {&first, &second, &third}) ASSERT_TRUE(pool.Add(*tx).ok());
  auto candidates = pool.Candidates(100, {HashOf(first), HashOf(second)});
  ASSERT_EQ(candidates.size(), 1u);
  EXPECT_EQ(NonceOf(candidates[0]), 3u);
}

TEST_F(MempoolTest, CommittedBlocksRemoveTheirsAndStaleNonces) {
  Mempool pool = Make();
  auto a1 = Tx(0, 1), a2 = Tx(0, 2), a3 = Tx(0, 3), b1 = Tx(1, 1);
  for (const auto* tx : {&a1, &a2, &a3, &b1}) ASSERT_TRUE(pool.Add(*tx).ok());
  // A block committed a1 and, from another node's pool, a different nonce-2 tx.
  v1::Block block;
  *block.add_transactions() = a1;
  *block.add_transactions() = Tx(0, 2, 99);
  // The ledger is not asked (its lookup here still says 0): the block's own nonces tell.
  pool.RemoveCommitted(block);
  EXPECT_FALSE(pool.Contains(HashOf(a1)));
  EXPECT_FALSE(pool.Contains(HashOf(a2)));  // its nonce is used now
  EXPECT_TRUE(pool.Contains(HashOf(a3)));
  EXPECT_TRUE(pool.Contains(HashOf(b1)));
  EXPECT_EQ(pool.size(), 2u);
}

TEST_F(MempoolTest, ProposalsDoNotReadTheLedger) {
  int lookups = 0;
  Mempool pool(chain_.chain_id(), verifier_, [&](const ledger::CheckedTx&) -> Result<uint64_t> {
    ++lookups;
    return uint64_t{0};
  });
  auto a1 = Tx(0, 1), a2 = Tx(0, 2);
  for (const auto& tx : {a1, a2, Tx(1, 1), Tx(2, 1)}) ASSERT_TRUE(pool.Add(tx).ok());
  const int after_admission = lookups;
  EXPECT_EQ(pool.Candidates(100, {}).size(), 4u);
  EXPECT_TRUE(pool.HasCandidates({}));
  // A committed block moves its senders on by itself (the lookup here never does):
  // user 0's nonce 2 is next.
  v1::Block block;
  *block.add_transactions() = a1;
  pool.RemoveCommitted(block);
  const auto candidates = pool.Candidates(100, {});
  ASSERT_EQ(candidates.size(), 3u);
  EXPECT_EQ(HashOf(candidates[0]), HashOf(a2));
  EXPECT_EQ(lookups, after_admission);
}

TEST_F(MempoolTest, ACommitDuringAdmissionIsNotMissed) {
  // The ledger is read before the pool's lock is taken; a block that commits the
  // sender's nonce in between must still count, or the used nonce would sit here.
  Mempool* pool_ptr = nullptr;
  bool committed_meanwhile = false;
  Mempool pool(chain_.chain_id(), verifier_, [&](const ledger::CheckedTx&) -> Result<uint64_t> {
    if (committed_meanwhile) return uint64_t{1};
    committed_meanwhile = true;
    v1::Block block;  // another node's nonce-1 transaction of this sender commits now
    *block.add_transactions() = Tx(0, 1, 99);
    pool_ptr->RemoveCommitted(block);
    return uint64_t{0};  // what the ledger said a moment before
  });
  pool_ptr = &pool;
  auto added = pool.Add(Tx(0, 1));
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.status().code(), StatusCode::kFailedPrecondition) << added.status().ToString();
  EXPECT_EQ(pool.size(), 0u);
}

TEST_F(MempoolTest, LeftOutForgetsOnlyWhatCanNeverBeValid) {
  Mempool pool = Make();
  auto tx = Tx(0, 1);
  ASSERT_TRUE(pool.Add(tx).ok());
  pool.LeftOut(tx, Status::FailedPrecondition("nonce passed on this branch"));
  EXPECT_TRUE(pool.Contains(HashOf(tx)));
  pool.LeftOut(tx, Status::InvalidArgument("never valid"));
  EXPECT_FALSE(pool.Contains(HashOf(tx)));
  EXPECT_EQ(pool.bytes(), 0u);
}

TEST_F(MempoolTest, AdmitsFromManyThreads) {
  Mempool pool = Make();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t nonce = 1; nonce <= 50; ++nonce) EXPECT_TRUE(pool.Add(Tx(t, nonce)).ok());
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(pool.size(), 200u);
  EXPECT_EQ(pool.Candidates(1000, {}).size(), 200u);
}

}  // namespace
}  // namespace cairn::node
