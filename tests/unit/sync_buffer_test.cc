#include "node/sync_buffer.h"

#include <gtest/gtest.h>

namespace cairn::node {
namespace {

v1::SyncResponse Window(uint64_t from_height) {
  v1::SyncResponse response;
  response.set_from_height(from_height);
  response.add_blocks();
  return response;
}

const crypto::PublicKey kPeer = crypto::PrivateKey::Generate().public_key();

TEST(SyncBuffer, WindowsThatArriveOutOfOrderAreTakenInOrderOnceTheyJoinTheHead) {
  SyncBuffer buffer(16);
  // Head at 0; windows 65, 193 and 129 arrive before 1 (applied at once, not buffered).
  for (uint64_t from : {65u, 193u, 129u}) EXPECT_TRUE(buffer.Add(kPeer, Window(from)));
  EXPECT_EQ(buffer.size(), 3u);
  EXPECT_FALSE(buffer.TakeJoining(0).has_value());  // 65 does not join a head at 0
  uint64_t head = 64;                               // window 1 applied
  for (uint64_t expected : {65u, 129u, 193u}) {
    auto next = buffer.TakeJoining(head);
    ASSERT_TRUE(next.has_value()) << "head " << head;
    EXPECT_EQ(next->response.from_height(), expected);
    EXPECT_EQ(next->peer, kPeer);
    head = expected + 63;
  }
  EXPECT_EQ(buffer.size(), 0u);
  EXPECT_FALSE(buffer.TakeJoining(head).has_value());
}

TEST(SyncBuffer, ABoundedNumberWaitAndARepeatedWindowReplacesTheOneKept) {
  SyncBuffer buffer(2);
  EXPECT_TRUE(buffer.Add(kPeer, Window(65)));
  EXPECT_TRUE(buffer.Add(kPeer, Window(129)));
  EXPECT_FALSE(buffer.Add(kPeer, Window(193)));  // full: dropped, asked for again later
  const crypto::PublicKey other = crypto::PrivateKey::Generate().public_key();
  EXPECT_TRUE(buffer.Add(other, Window(129)));  // the same window again, from another peer
  EXPECT_EQ(buffer.size(), 2u);
  buffer.TakeJoining(64);
  EXPECT_EQ(buffer.TakeJoining(128)->peer, other);
}

}  // namespace
}  // namespace cairn::node
