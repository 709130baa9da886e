// The admission budget: pending transactions are held under (commit rate) x budget,
// with a floor for a chain that has not committed lately, and a refusal says when to
// retry.
#include <gtest/gtest.h>

#include "node/admission_budget.h"

namespace cairn::node {
namespace {

using namespace std::chrono_literals;
using Clock = AdmissionBudget::Clock;

TEST(AdmissionBudget, AnIdleChainAdmitsUpToTheFloor) {
  AdmissionBudget budget({.budget = 1000ms, .floor = 100, .window = 5000ms});
  const Clock::time_point now = Clock::now();
  EXPECT_EQ(budget.Capacity(now), 100u);
  EXPECT_TRUE(budget.Admit(99, now).ok());
  Status refused = budget.Admit(100, now);
  EXPECT_EQ(refused.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(refused.message().find("100 transactions pending"), std::string::npos) << refused.ToString();
  EXPECT_NE(refused.message().find("retry in 1000 ms"), std::string::npos) << refused.ToString();
}

TEST(AdmissionBudget, CapacityFollowsTheCommitRateOverTheWindow) {
  AdmissionBudget budget({.budget = 500ms, .floor = 100, .window = 5000ms});
  const Clock::time_point start = Clock::now();
  // 2,000 tx/s for five seconds: 10,000 in the window, 1,000 within 500 ms.
  for (int i = 1; i <= 50; ++i) budget.OnCommitted(200, start + i * 100ms);
  const Clock::time_point now = start + 5000ms;
  EXPECT_NEAR(budget.CommitRate(now), 2000, 1);
  EXPECT_EQ(budget.Capacity(now), 1000u);
  EXPECT_TRUE(budget.Admit(999, now).ok());
  // 1,200 pending: 201 over the line take about 100 ms at 2,000 tx/s.
  Status refused = budget.Admit(1200, now);
  EXPECT_EQ(refused.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(refused.message().find("at the 2000 tx/s"), std::string::npos) << refused.ToString();
  EXPECT_NE(refused.message().find("retry in 101 ms"), std::string::npos) << refused.ToString();
  // Commits stop: the window empties and the floor is what is left.
  EXPECT_EQ(budget.Capacity(now + 6000ms), 100u);
}

}  // namespace
}  // namespace cairn::node
