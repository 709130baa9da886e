#include <gtest/gtest.h>

#include <set>

#include "net/block_sync.h"
#include "tests/support/test_chain.h"

namespace cairn::net {
namespace {

crypto::PublicKey Peer(const std::string& label) { return test::KeyFromLabel(label).public_key(); }

TEST(BlockSync, AsksNothingWhenNoPeerIsAhead) {
  BlockSync sync;
  sync.OnCommitted(10);
  sync.OnPeerHeight(Peer("a"), 10);
  sync.OnPeerHeight(Peer("b"), 10);
  EXPECT_FALSE(sync.Behind());
  EXPECT_TRUE(sync.Poll(0).empty());
}

TEST(BlockSync, ASmallLagIsNotBehindButCanStillBeFetched) {
  BlockSync sync;
  sync.OnCommitted(10);
  sync.OnPeerHeight(Peer("b"), 12);
  EXPECT_FALSE(sync.Behind());  // 2 behind: consensus fetches those itself
  auto requests = sync.Poll(0);  // (the node polls only while syncing)
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].from_height, 11u);
  EXPECT_EQ(requests[0].max_blocks, 2u);
  sync.OnPeerHeight(Peer("b"), 9);  // heights only grow: an older announcement is ignored
  EXPECT_EQ(sync.best_peer_height(), 12u);
}

TEST(BlockSync, CatchUpNowMakesEvenOneBlockBehindCountUntilCaughtUp) {
  BlockSync sync;
  sync.OnCommitted(10);
  sync.OnPeerHeight(Peer("b"), 11);
  EXPECT_FALSE(sync.Behind());
  sync.CatchUpNow();  // a peer is in a later epoch: the block it has tells the next set
  EXPECT_TRUE(sync.Behind());
  sync.OnCommitted(11);
  EXPECT_FALSE(sync.Behind());
  sync.OnPeerHeight(Peer("b"), 12);
  EXPECT_FALSE(sync.Behind()) << "caught up once: a later small lag is consensus's again";
}

TEST(BlockSync, SpreadsConsecutiveWindowsOverSeveralPeers) {
  BlockSync sync({.blocks_per_request = 64, .max_requests_in_flight = 8, .max_in_flight_per_peer = 2});
  for (const char* p : {"a", "b", "c"}) sync.OnPeerHeight(Peer(p), 1000);
  EXPECT_TRUE(sync.Behind());
  auto requests = sync.Poll(0);
  ASSERT_EQ(requests.size(), 6u);  // 3 peers x 2 each
  std::set<crypto::PublicKey> peers;
  for (size_t i = 0; i < requests.size(); ++i) {
    EXPECT_EQ(requests[i].from_height, 1 + 64 * i);
    EXPECT_EQ(requests[i].max_blocks, 64u);
    peers.insert(requests[i].peer);
  }
  EXPECT_EQ(peers.size(), 3u);
  EXPECT_TRUE(sync.Poll(1).empty());  // everyone is busy
}

TEST(BlockSync, AsksOnlyPeersThatClaimTheHeights) {
  BlockSync sync({.blocks_per_request = 50});
  sync.OnPeerHeight(Peer("short"), 60);
  sync.OnPeerHeight(Peer("long"), 500);
  for (const SyncRequest& r : sync.Poll(0)) {
    if (r.from_height + r.max_blocks - 1 > 60) {
      EXPECT_EQ(r.peer, Peer("long")) << r.from_height;
    }
  }
}

TEST(BlockSync, AsksNoPeerForBlocksBelowTheOnesItServes) {
  // "base" joined by state sync at 100 (or prunes below it); "archive" has every block.
  BlockSync sync({.blocks_per_request = 50, .max_requests_in_flight = 8, .max_in_flight_per_peer = 8});
  sync.OnPeerHeight(Peer("base"), 400, 100);
  sync.OnPeerHeight(Peer("archive"), 400);
  auto requests = sync.Poll(0);
  ASSERT_EQ(requests.size(), 8u);
  size_t to_base = 0;
  for (const SyncRequest& r : requests) {
    if (r.peer == Peer("base")) {
      ++to_base;
      EXPECT_GE(r.from_height, 100u) << "asked the base node for blocks it does not hold";
    }
  }
  EXPECT_GT(to_base, 0u) << "the windows it does hold are shared with it";

  // Alone, it is asked nothing until the node is past what it lacks.
  BlockSync alone({.blocks_per_request = 50});
  alone.OnPeerHeight(Peer("base"), 400, 100);
  EXPECT_TRUE(alone.Poll(0).empty());
  alone.OnCommitted(99);
  auto from_base = alone.Poll(1);
  ASSERT_FALSE(from_base.empty());
  EXPECT_EQ(from_base[0].from_height, 100u);
  // A peer that prunes further announces it: what it no longer holds goes elsewhere.
  alone.OnPeerHeight(Peer("base"), 400, 300);
  alone.OnPeerHeight(Peer("archive"), 400);
  for (const SyncRequest& r : alone.Poll(100'000)) {
    if (r.from_height < 300) {
      EXPECT_EQ(r.peer, Peer("archive")) << r.from_height;
    }
  }
}

TEST(BlockSync, ResendsATimedOutRequestToAnotherPeerAndScoresTheSlowOne) {
  BlockSync sync({.blocks_per_request = 100, .max_requests_in_flight = 1, .request_timeout_ms = 1000});
  sync.OnPeerHeight(Peer("a"), 100);
  sync.OnPeerHeight(Peer("b"), 100);
  auto first = sync.Poll(0);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_TRUE(sync.Poll(999).empty());
  auto again = sync.Poll(1000);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].from_height, first[0].from_height);
  EXPECT_NE(again[0].peer, first[0].peer);
  EXPECT_LT(sync.score(first[0].peer), 0);
}

TEST(BlockSync, ATimedOutRequestNobodyCanTakeIsChargedOnceAndAskedAgainLater) {
  BlockSync sync({.blocks_per_request = 10, .max_requests_in_flight = 1, .request_timeout_ms = 1000});
  sync.OnPeerHeight(Peer("a"), 50);
  ASSERT_EQ(sync.Poll(0).size(), 1u);
  sync.OnResponse(Peer("a"), 31, 0, /*lied=*/true, 10);  // another answer of a's was a lie: shunned
  const int shunned = sync.score(Peer("a"));
  for (uint64_t t = 1000; t <= 3000; t += 200) EXPECT_TRUE(sync.Poll(t).empty()) << t;
  EXPECT_EQ(sync.score(Peer("a")), shunned - 2) << "slow once, charged once";
  sync.OnPeerHeight(Peer("b"), 50);
  auto next = sync.Poll(3200);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].peer, Peer("b"));
  EXPECT_EQ(next[0].from_height, 1u);
}

TEST(BlockSync, AnAnswerThatArrivedIsNotAskedForAgainWhileItWaitsForItsChecks) {
  BlockSync sync({.blocks_per_request = 100, .max_requests_in_flight = 1, .request_timeout_ms = 1000,
                  .apply_timeout_ms = 30'000});
  sync.OnPeerHeight(Peer("a"), 100);
  sync.OnPeerHeight(Peer("b"), 100);
  auto first = sync.Poll(0);
  ASSERT_EQ(first.size(), 1u);
  sync.OnArrived(first[0].peer, first[0].from_height, 500);
  for (uint64_t t = 1000; t < 30'500; t += 1000) EXPECT_TRUE(sync.Poll(t).empty()) << t;
  EXPECT_EQ(sync.score(first[0].peer), 0) << "an answer waiting for its checks is not slow";
  // Never applied (its checks were lost): asked for again, the peer not charged.
  auto again = sync.Poll(30'500);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].from_height, first[0].from_height);
  EXPECT_EQ(sync.score(first[0].peer), 0);
}

TEST(BlockSync, APeerWhoseAnswerArrivedCanBeAskedForMore) {
  BlockSync sync({.blocks_per_request = 10, .max_requests_in_flight = 4, .max_in_flight_per_peer = 1});
  sync.OnPeerHeight(Peer("a"), 100);
  auto first = sync.Poll(0);
  ASSERT_EQ(first.size(), 1u) << "one request at a time to a";
  EXPECT_TRUE(sync.Poll(1).empty());
  sync.OnArrived(Peer("a"), first[0].from_height, 2);
  auto next = sync.Poll(3);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].from_height, first[0].from_height + 10);
  // Applying the first answer later leaves a's count right: one request open.
  sync.OnResponse(Peer("a"), first[0].from_height, 10, false, 4);
  sync.OnCommitted(10);
  EXPECT_TRUE(sync.Poll(5).empty()) << "a still has the second window open";
}

TEST(BlockSync, ShunsAPeerThatLied) {
  BlockSync sync({.blocks_per_request = 10, .max_requests_in_flight = 1, .shun_ms = 5000});
  sync.OnPeerHeight(Peer("liar"), 100);
  sync.OnPeerHeight(Peer("honest"), 100);
  auto first = sync.Poll(0);
  ASSERT_EQ(first.size(), 1u);
  const crypto::PublicKey liar = first[0].peer;
  sync.OnResponse(liar, first[0].from_height, 0, /*lied=*/true, 10);
  for (uint64_t t = 20; t < 4000; t += 500) {
    for (const SyncRequest& r : sync.Poll(t)) {
      EXPECT_NE(r.peer, liar);
      sync.OnResponse(r.peer, r.from_height, 0, false, t);
    }
  }
}

TEST(BlockSync, APartlyAppliedWindowLeavesNoGap) {
  BlockSync sync({.blocks_per_request = 64, .max_requests_in_flight = 2, .max_in_flight_per_peer = 2});
  sync.OnPeerHeight(Peer("a"), 1000);
  auto requests = sync.Poll(0);
  ASSERT_EQ(requests.size(), 2u);  // [1, 64] and [65, 128]
  // The first answer proved only 40 blocks final.
  sync.OnCommitted(40);
  sync.OnResponse(Peer("a"), 1, 40, false, 5);
  auto next = sync.Poll(6);
  ASSERT_FALSE(next.empty());
  EXPECT_EQ(next[0].from_height, 41u);
  EXPECT_EQ(next[0].max_blocks, 24u);  // up to the window in flight
}

TEST(BlockSync, ForgetsRequestsOfAPeerThatLeft) {
  BlockSync sync({.blocks_per_request = 10, .max_requests_in_flight = 1});
  sync.OnPeerHeight(Peer("a"), 50);
  sync.OnPeerHeight(Peer("b"), 50);
  auto first = sync.Poll(0);
  ASSERT_EQ(first.size(), 1u);
  sync.OnPeerGone(first[0].peer);
  auto next = sync.Poll(1);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].from_height, 1u);
  EXPECT_NE(next[0].peer, first[0].peer);
}

}  // namespace
}  // namespace cairn::net
