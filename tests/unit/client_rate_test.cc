// rpc/client_rate.h: the per-client rate limit on submitted transactions.
#include <gtest/gtest.h>

#include "rpc/client_rate.h"

namespace cairn::rpc {
namespace {

using namespace std::chrono_literals;

TEST(ClientRateLimiter, AllowsTheBurstThenTheRateAndCountsAClientOnAllItsConnections) {
  ClientRateLimiter limiter(10, 20);
  const auto start = ClientRateLimiter::Clock::time_point{} + 1h;
  int taken = 0;
  for (int i = 0; i < 100; ++i) taken += limiter.Take("ipv4:10.0.0.1:" + std::to_string(5000 + i), start) ? 1 : 0;
  EXPECT_EQ(taken, 20) << "one client, whatever its ports: the burst and no more";
  EXPECT_TRUE(limiter.Take("ipv4:10.0.0.2:5000", start)) << "another client has its own bucket";
  // Half a second later, five more tokens.
  taken = 0;
  for (int i = 0; i < 100; ++i) taken += limiter.Take("ipv4:10.0.0.1:5000", start + 500ms) ? 1 : 0;
  EXPECT_EQ(taken, 5);
}

TEST(ClientRateLimiter, KeepsItsTableBoundedForgettingIdleClientsFirst) {
  ClientRateLimiter limiter(10, 2, /*max_clients=*/2);
  const auto start = ClientRateLimiter::Clock::time_point{} + 1h;
  EXPECT_TRUE(limiter.Take("ipv4:10.0.0.1:1", start));
  EXPECT_TRUE(limiter.Take("ipv4:10.0.0.2:1", start));
  EXPECT_FALSE(limiter.Take("ipv4:10.0.0.3:1", start)) << "full of active clients";
  // A second later both buckets are full again, so they can be forgotten.
  EXPECT_TRUE(limiter.Take("ipv4:10.0.0.3:1", start + 1s));
}

}  // namespace
}  // namespace cairn::rpc
