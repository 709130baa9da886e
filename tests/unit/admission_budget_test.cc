// The admission budget: pending transactions are held under (best commit rate of the
// window) x budget, with a floor for a chain that has not committed lately; a pause
// does not shrink it; a refusal says when to retry; a proposal carries a round's worth.
#include <gtest/gtest.h>

#include "node/admission_budget.h"

namespace cairn::node {
namespace {

using namespace std::chrono_literals;
using Clock = AdmissionBudget::Clock;

TEST(AdmissionBudget, AnIdleChainAdmitsUpToTheFloor) {
  AdmissionBudget budget({.budget = 1000ms, .floor = 100, .window = 5000ms, .bucket = 1000ms});
  const Clock::time_point now = Clock::now();
  EXPECT_EQ(budget.Capacity(now), 100u);
  EXPECT_TRUE(budget.Admit(99, now).ok());
  Status refused = budget.Admit(100, now);
  EXPECT_EQ(refused.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(refused.message().find("100 transactions pending"), std::string::npos) << refused.ToString();
  EXPECT_NE(refused.message().find("retry in 1000 ms"), std::string::npos) << refused.ToString();
}

TEST(AdmissionBudget, CapacityFollowsTheBestCommitRateOfTheWindow) {
  AdmissionBudget budget({.budget = 500ms, .floor = 100, .window = 30'000ms, .bucket = 1000ms});
  const Clock::time_point start = Clock::now();
  // 2,000 tx/s for five seconds, then 1,000 tx/s for five: the best second counts.
  for (int i = 0; i < 50; ++i) budget.OnCommitted(200, start + i * 100ms);
  for (int i = 50; i < 100; ++i) budget.OnCommitted(100, start + i * 100ms);
  Clock::time_point now = start + 10'000ms;
  EXPECT_NEAR(budget.CommitRate(now), 2000, 200);  // a bucket may hold one commit more or less
  const size_t capacity = budget.Capacity(now);
  EXPECT_NEAR(static_cast<double>(capacity), 1000, 100);
  EXPECT_TRUE(budget.Admit(capacity - 1, now).ok());
  // 200 over the line take about 100 ms at 2,000 tx/s.
  Status refused = budget.Admit(capacity + 200, now);
  EXPECT_EQ(refused.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(refused.message().find("retry in 10"), std::string::npos) << refused.ToString();
  // A pause of ten seconds (a validator killed) leaves the capacity as it was...
  now += 10'000ms;
  EXPECT_EQ(budget.Capacity(now), capacity);
  // ...until the window has no commit left: then the floor is what is left.
  EXPECT_EQ(budget.Capacity(start + 41'000ms), 100u);
}

TEST(AdmissionBudget, BigBlocksDoNotInflateTheRate) {
  // Blocks of 1,500 every 430 ms (3,488 tx/s): a second holds two blocks or three, so
  // its best second says 4,500; the best 5 s says what the chain sustains.
  AdmissionBudget budget({.budget = 1000ms, .floor = 100, .window = 30'000ms, .bucket = 1000ms, .span = 5000ms});
  const Clock::time_point start = Clock::now();
  for (int i = 0; i < 50; ++i) budget.OnCommitted(1500, start + i * 430ms);
  EXPECT_NEAR(budget.CommitRate(start + 21'500ms), 3488, 350);
}

TEST(AdmissionBudget, ABlockCarriesWhatTheChainCommitsInARound) {
  AdmissionBudget budget({.window = 30'000ms, .bucket = 1000ms, .round_target = 250ms, .block_floor = 500});
  const Clock::time_point start = Clock::now();
  EXPECT_EQ(budget.MaxBlockTxs(start), 500u);  // nothing committed yet: the floor
  // 4,000 tx/s: a quarter of a second's worth.
  for (int i = 0; i < 60; ++i) budget.OnCommitted(400, start + i * 100ms);
  EXPECT_NEAR(static_cast<double>(budget.MaxBlockTxs(start + 6'000ms)), 1000, 100);
  // A slow chain still gets the floor.
  AdmissionBudget slow({.round_target = 250ms, .block_floor = 500});
  for (int i = 0; i < 10; ++i) slow.OnCommitted(10, start + i * 100ms);
  EXPECT_EQ(slow.MaxBlockTxs(start + 1'000ms), 500u);
}

}  // namespace
}  // namespace cairn::node
