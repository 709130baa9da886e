#include <gtest/gtest.h>

#include <optional>
#include <memory>

#include "ledger/ledger.h"
#include "node/pruner.h"
#include "tests/support/test_chain.h"

namespace cairn::node {
namespace {

constexpr std::nullopt_t kNone = std::nullopt;

class PrunerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_ = ledger::Ledger::Open(std::make_unique<ledger::MemoryStore>(), chain_.genesis()).value();
    for (int k = 0; k < 10; ++k) {
      google::protobuf::RepeatedPtrField<v1::Transaction> txs;
      *txs.Add() = chain_.Transfer(chain_.user(0), k + 1, chain_.user(1), 1);
      ASSERT_TRUE(chain_.CommitBlock(*ledger_, txs).ok());
    }
  }
  test::TestChain chain_;
  std::unique_ptr<ledger::Ledger> ledger_;
};

TEST_F(PrunerTest, KeepsTheWindowAndNeverPassesTheStateSyncFloor) {
  std::optional<uint64_t> offered = 5;  // a joining node may be restoring block 5's state
  Pruner pruner(*ledger_, {.keep_blocks = 4}, [&offered] { return offered; }, 2, [] { return uint64_t{0}; });
  ASSERT_TRUE(pruner.PruneNow().ok());
  PrunePoint p = pruner.point();
  EXPECT_EQ(p.window, 6u);
  EXPECT_EQ(p.state_sync_floor, 3u) << "the target less the reputation window";
  EXPECT_EQ(p.effective, 3u);
  EXPECT_EQ(ledger_->retained_from(), 3u);
  offered = kNone;  // nobody is restoring any more
  ASSERT_TRUE(pruner.PruneNow().ok());
  EXPECT_EQ(pruner.point().effective, 6u);
  EXPECT_EQ(ledger_->retained_from(), 6u);
  EXPECT_TRUE(ledger_->GetBlock(6).ok());
  EXPECT_EQ(ledger_->GetBlock(5).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(PrunerTest, KeepsTheLastStateVersionsAndEveryOfferedOne) {
  std::optional<uint64_t> offered = 4;
  Pruner pruner(*ledger_, {.keep_state_versions = 3}, [&offered] { return offered; }, 2, [] { return uint64_t{0}; });
  ASSERT_TRUE(pruner.PruneNow().ok());
  EXPECT_EQ(ledger_->oldest_state_version(), 4u);
  EXPECT_EQ(ledger_->retained_from(), 0u) << "no block window: bodies are all kept";
  offered = kNone;
  ASSERT_TRUE(pruner.PruneNow().ok());
  EXPECT_EQ(ledger_->oldest_state_version(), 7u);
  EXPECT_TRUE(ledger_->StateAt(7).ok());
  EXPECT_EQ(ledger_->StateAt(6).status().code(), StatusCode::kNotFound);
}

TEST_F(PrunerTest, KeepsTheBlocksOfTheLastDaysByBlockTime) {
  // The chain's block times: whatever CommitBlock gave them; keep those at or after
  // block 7's by putting "now" one day after it.
  const uint64_t t7 = ledger_->GetBlockHeader(7)->header.timestamp_ms();
  ASSERT_GT(t7, ledger_->GetBlockHeader(6)->header.timestamp_ms()) << "the test chain's times must grow";
  std::optional<uint64_t> offered = kNone;
  Pruner pruner(*ledger_, {.keep_days = 1}, [&offered] { return offered; }, 2,
                [t7] { return t7 + 86'400'000; });
  ASSERT_TRUE(pruner.PruneNow().ok());
  EXPECT_EQ(pruner.point().window, 7u);
  EXPECT_EQ(ledger_->retained_from(), 7u);
}

TEST_F(PrunerTest, APolicyThatKeepsEverythingPrunesNothing) {
  std::optional<uint64_t> offered = kNone;
  Pruner pruner(*ledger_, {}, [&offered] { return offered; }, 2, [] { return uint64_t{0}; });
  ASSERT_TRUE(pruner.PruneNow().ok());
  EXPECT_EQ(ledger_->retained_from(), 0u);
  EXPECT_EQ(ledger_->oldest_state_version(), 0u);
}

}  // namespace
}  // namespace cairn::node
