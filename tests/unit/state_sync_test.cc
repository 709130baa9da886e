#include <gtest/gtest.h>

#include <set>

#include "net/state_sync.h"
#include "tests/support/test_chain.h"

namespace cairn::net {
namespace {

crypto::PublicKey Peer(const std::string& label) { return test::KeyFromLabel(label).public_key(); }

std::map<Bytes, Hash> Wanted(int n) {
  std::map<Bytes, Hash> out;
  for (int i = 0; i < n; ++i) out[Bytes(1, static_cast<char>(i))] = Hash{};
  return out;
}

TEST(StateSync, SpreadsChunksOverPeersWithinTheirLimits) {
  StateSync sync({.max_requests_in_flight = 6, .max_in_flight_per_peer = 2, .request_timeout_ms = 1000});
  EXPECT_TRUE(sync.Poll(Wanted(10), 0).empty());  // no peer yet
  for (const char* p : {"a", "b", "c"}) sync.OnPeer(Peer(p));
  auto requests = sync.Poll(Wanted(10), 0);
  ASSERT_EQ(requests.size(), 6u);
  std::map<crypto::PublicKey, int> per_peer;
  std::set<Bytes> chunks;
  for (const auto& r : requests) ++per_peer[r.peer], chunks.insert(r.chunk);
  EXPECT_EQ(chunks.size(), 6u);  // each chunk asked once
  for (const auto& [peer, n] : per_peer) EXPECT_EQ(n, 2);
  EXPECT_TRUE(sync.Poll(Wanted(10), 10).empty());  // all full, nothing timed out
  // One answer frees one slot, which the next chunk takes.
  sync.OnAnswer(requests[0].peer, requests[0].chunk, StateSync::Answer::kStored);
  auto wanted = Wanted(10);
  wanted.erase(requests[0].chunk);
  auto next = sync.Poll(wanted, 20);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].peer, requests[0].peer);  // the best scored now
  EXPECT_EQ(chunks.count(next[0].chunk), 0u);
}

TEST(StateSync, AnAnswerLostEverywhereIsAskedForAgain) {
  StateSync sync({.max_requests_in_flight = 1, .max_in_flight_per_peer = 1, .request_timeout_ms = 100});
  sync.OnPeer(Peer("only"));
  ASSERT_EQ(sync.Poll(Wanted(1), 0).size(), 1u);
  EXPECT_TRUE(sync.Poll(Wanted(1), 150).empty());  // timed out, but no other peer to hedge with
  auto again = sync.Poll(Wanted(1), 300);          // three timeouts: given up, asked again
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].peer, Peer("only"));
  EXPECT_EQ(sync.in_flight(), 1u);
}

TEST(StateSync, ASlowPeerIsHedgedAndTheFirstAnswerWins) {
  StateSync sync({.max_requests_in_flight = 4, .max_in_flight_per_peer = 4, .request_timeout_ms = 1000});
  sync.OnPeer(Peer("a"));
  auto first = sync.Poll(Wanted(1), 0);
  ASSERT_EQ(first.size(), 1u);
  sync.OnPeer(Peer("b"));
  EXPECT_TRUE(sync.Poll(Wanted(1), 999).empty());
  auto hedge = sync.Poll(Wanted(1), 1000);
  ASSERT_EQ(hedge.size(), 1u);
  EXPECT_EQ(hedge[0].peer, Peer("b"));
  EXPECT_EQ(hedge[0].chunk, first[0].chunk);
  EXPECT_LT(sync.score(Peer("a")), sync.score(Peer("b")));
  EXPECT_TRUE(sync.Poll(Wanted(1), 2500).empty());  // hedged once, not again (until given up)
  sync.OnAnswer(Peer("b"), hedge[0].chunk, StateSync::Answer::kStored);
  EXPECT_EQ(sync.in_flight(), 0u);
  // The slow copy arrives late: ignored, and a's slot was freed already.
  sync.OnAnswer(Peer("a"), first[0].chunk, StateSync::Answer::kIgnored);
  EXPECT_EQ(sync.Poll(Wanted(2), 6000).size(), 2u);
}

TEST(StateSync, ALyingPeerIsShunnedAndItsChunkGoesElsewhere) {
  StateSync sync({.max_requests_in_flight = 4, .max_in_flight_per_peer = 1, .request_timeout_ms = 1000});
  sync.OnPeer(Peer("liar"));
  auto first = sync.Poll(Wanted(1), 0);
  ASSERT_EQ(first.size(), 1u);
  sync.OnPeer(Peer("honest"));
  sync.OnAnswer(Peer("liar"), first[0].chunk, StateSync::Answer::kLied);
  EXPECT_TRUE(sync.shunned(Peer("liar")));
  EXPECT_EQ(sync.lies(), 1u);
  EXPECT_EQ(sync.peers(), 1u);
  sync.OnPeer(Peer("liar"));  // it reconnects: still out
  EXPECT_EQ(sync.peers(), 1u);
  auto again = sync.Poll(Wanted(1), 10);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].peer, Peer("honest"));
}

TEST(StateSync, APeerWithoutAChunkIsNotAskedForItAgainUnlessNoneHasIt) {
  StateSync sync({.max_requests_in_flight = 4, .max_in_flight_per_peer = 4, .request_timeout_ms = 1000});
  sync.OnPeer(Peer("a"));
  sync.OnPeer(Peer("b"));
  auto first = sync.Poll(Wanted(1), 0);
  ASSERT_EQ(first.size(), 1u);
  const crypto::PublicKey refuser = first[0].peer;
  sync.OnAnswer(refuser, first[0].chunk, StateSync::Answer::kNotServed);
  auto second = sync.Poll(Wanted(1), 10);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_NE(second[0].peer, refuser);
  sync.OnAnswer(second[0].peer, second[0].chunk, StateSync::Answer::kNotServed);
  // Both refused: both may be asked again (one may have been behind).
  EXPECT_EQ(sync.Poll(Wanted(1), 20).size(), 1u);
}

TEST(StateSync, APeerThatLeavesGivesItsChunksToOthers) {
  StateSync sync({.max_requests_in_flight = 4, .max_in_flight_per_peer = 4, .request_timeout_ms = 1000});
  sync.OnPeer(Peer("a"));
  ASSERT_EQ(sync.Poll(Wanted(3), 0).size(), 3u);
  sync.OnPeerGone(Peer("a"));
  EXPECT_EQ(sync.in_flight(), 0u);
  sync.OnPeer(Peer("b"));
  auto again = sync.Poll(Wanted(3), 10);
  ASSERT_EQ(again.size(), 3u);
  for (const auto& r : again) EXPECT_EQ(r.peer, Peer("b"));
}

}  // namespace
}  // namespace cairn::net
