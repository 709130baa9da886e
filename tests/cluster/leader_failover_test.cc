// A validator that goes down costs at most the round it was to lead: the current leader
// is killed under load, then the next current leader, and each time blocks keep
// committing with no pause longer than two base round timeouts (genesis default, 2 s),
// and the ones that failed are shown as left out of leader election.
#include <signal.h>

#include <gtest/gtest.h>

#include <thread>

#include "tests/cluster/cluster.h"
#include "tests/cluster/steady_load.h"
#include "tests/support/seed.h"

namespace cairn::cluster {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kBaseRoundTimeout = 2s;

// The longest time without a new committed height on node `watch` during `span`.
Clock::duration LongestPause(Cluster& cluster, int watch, Clock::duration span) {
  const auto end = Clock::now() + span;
  uint64_t height = cluster.Height(watch);
  auto last_change = Clock::now();
  Clock::duration longest{};
  while (Clock::now() < end) {
    std::this_thread::sleep_for(20ms);
    const uint64_t now_height = cluster.Height(watch);
    const auto now = Clock::now();
    if (now_height != height) {
      height = now_height;
      last_change = now;
    }
    longest = std::max(longest, now - last_change);
  }
  return longest;
}

// The leader of the current round as node `ask` sees it.
std::optional<int> CurrentLeader(Cluster& cluster, int ask) {
  auto state = cluster.ConsensusState(ask);
  if (!state) return std::nullopt;
  return static_cast<int>(state->leader());
}

TEST(LeaderFailover, KillingTheLeaderAndThenTheNextPausesCommitsForLessThanTwoRoundTimeouts) {
  const uint64_t seed = test::TestSeed("leader failover");
  Cluster cluster(7, 0, /*load_accounts=*/20);
  cluster.StartAll();
  ASSERT_TRUE(Cluster::WaitFor([&] { return cluster.Height(0) >= 3; }, 60s));
  SteadyLoad load(cluster, 20, 4, seed);
  load.Start();
  std::this_thread::sleep_for(5s);

  std::vector<int> killed;
  for (int kill = 0; kill < 2; ++kill) {
    // Watch a node that stays up; kill whoever leads its current round (never the
    // watched one: then the next).
    const int watch = killed.empty() || killed.front() != 0 ? 0 : 1;
    std::optional<int> leader;
    ASSERT_TRUE(Cluster::WaitFor([&] {
      leader = CurrentLeader(cluster, watch);
      return leader && *leader != watch && std::find(killed.begin(), killed.end(), *leader) == killed.end();
    }, 30s));
    cluster.Signal(*leader, SIGKILL);
    killed.push_back(*leader);
    const uint64_t at_kill = cluster.Height(watch);
    const Clock::duration pause = LongestPause(cluster, watch, 15s);
    EXPECT_GT(cluster.Height(watch), at_kill + 10) << "kill " << kill;
    EXPECT_LT(pause, 2 * kBaseRoundTimeout)
        << "after killing validator " << *leader << " the chain paused for "
        << std::chrono::duration_cast<std::chrono::milliseconds>(pause).count() << " ms";
    auto state = cluster.ConsensusState(watch);
    ASSERT_TRUE(state.has_value());
    ASSERT_EQ(state->standings_size(), 7);
    EXPECT_FALSE(state->standings(*leader).candidate()) << "validator " << *leader << " should be left out";
  }
  const size_t acknowledged = load.acknowledged();
  load.Stop();
  EXPECT_GT(acknowledged, 0u);
  const int watch = killed.front() == 0 ? 1 : 0;
  for (int k : killed) {
    const std::string metric = "cairn_leader_failures_total{validator=\"node" + std::to_string(k) + "\"}";
    EXPECT_GE(cluster.Metric(watch, metric), 1) << metric;
  }
}

}  // namespace
}  // namespace cairn::cluster
