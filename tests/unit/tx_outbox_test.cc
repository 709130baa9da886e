#include <gtest/gtest.h>

#include "node/tx_outbox.h"
#include "tests/support/test_chain.h"

namespace cairn::node {
namespace {

using namespace std::chrono_literals;

// The delay is far longer than the test waits: whatever went out went without it.
class TxOutboxTest : public ::testing::Test {
 protected:
  v1::Transaction Tx(uint64_t nonce) { return chain_.Transfer(chain_.user(0), nonce, chain_.user(1), 1); }
  // Runs the outbox's thread for a moment (it returns early when nothing is due).
  void RunAWhile() {
    io_.restart();
    io_.run_for(100ms);
  }
  size_t SentTxs() const {
    size_t n = 0;
    for (const v1::TxBatch& b : sent_) n += static_cast<size_t>(b.transactions_size());
    return n;
  }

  test::TestChain chain_;
  boost::asio::io_context io_;
  std::vector<v1::TxBatch> sent_;
  TxOutbox outbox_{io_, [this](v1::TxBatch batch) { sent_.push_back(std::move(batch)); }, 3, 10s};
};

TEST_F(TxOutboxTest, ATransactionAfterAQuietSpellGoesAtOnce) {
  outbox_.Add(Tx(1));
  RunAWhile();
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].transactions_size(), 1);
}

TEST_F(TxOutboxTest, TransactionsRightAfterABatchWaitForTheDelayOrAFlush) {
  outbox_.Add(Tx(1));
  RunAWhile();
  outbox_.Add(Tx(2));
  outbox_.Add(Tx(3));
  RunAWhile();
  EXPECT_EQ(sent_.size(), 1u);  // held: the last batch went less than the delay ago
  outbox_.Flush();
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_EQ(sent_[1].transactions_size(), 2);
  outbox_.Cancel();
}

TEST_F(TxOutboxTest, AFullBatchGoesAtOnce) {
  outbox_.Add(Tx(1));
  RunAWhile();
  for (uint64_t nonce = 2; nonce <= 4; ++nonce) outbox_.Add(Tx(nonce));
  ASSERT_EQ(sent_.size(), 2u);  // sent on the caller's thread, without the outbox's
  EXPECT_EQ(sent_[1].transactions_size(), 3);
  EXPECT_EQ(SentTxs(), 4u);
  outbox_.Cancel();
}

}  // namespace
}  // namespace cairn::node
