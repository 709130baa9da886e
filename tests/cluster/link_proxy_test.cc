// The fault harness's link proxies (tests/cluster/link_proxy.h), against plain TCP on
// 127.0.0.1: what each condition does to bytes and connections.
#include <gtest/gtest.h>

#include <chrono>

#include "tests/cluster/link_proxy.h"

namespace cairn::cluster {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

// Node 1 of two is a listening socket; node 0 dials it through the proxy 0 -> 1.
class LinkProxyTest : public ::testing::Test {
 protected:
  LinkProxyTest()
      : target_(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0)),
        proxies_({0, target_.local_endpoint().port()}) {}

  // Dials through the proxy and accepts on the target: {dialer's socket, target's}.
  std::pair<tcp::socket, tcp::socket> Connect() {
    tcp::socket dialer(io_);
    dialer.connect(tcp::endpoint(asio::ip::address_v4::loopback(), static_cast<uint16_t>(proxies_.Port(0, 1))));
    tcp::socket accepted(io_);
    target_.accept(accepted);
    return {std::move(dialer), std::move(accepted)};
  }

  // Reads what arrives on `socket` within `limit`; "<closed>" appended when the peer
  // closed it.
  static std::string ReadFor(tcp::socket& socket, std::chrono::milliseconds limit) {
    std::string out;
    socket.non_blocking(true);
    const auto deadline = std::chrono::steady_clock::now() + limit;
    char buffer[256];
    while (std::chrono::steady_clock::now() < deadline) {
      boost::system::error_code ec;
      const size_t n = socket.read_some(asio::buffer(buffer), ec);
      if (ec == asio::error::would_block) {
        std::this_thread::sleep_for(5ms);
        continue;
      }
      if (ec) return out + "<closed>";
      out.append(buffer, n);
    }
    return out;
  }

  asio::io_context io_;
  tcp::acceptor target_;
  LinkProxies proxies_;
};

TEST_F(LinkProxyTest, AnOpenLinkForwardsBothWaysAndPassesOnAClose) {
  auto [dialer, target] = Connect();
  asio::write(dialer, asio::buffer(std::string("ping")));
  EXPECT_EQ(ReadFor(target, 300ms), "ping");
  asio::write(target, asio::buffer(std::string("pong")));
  EXPECT_EQ(ReadFor(dialer, 300ms), "pong");
  // The target goes away (a killed node): the dialer must see its link close.
  target.close();
  EXPECT_EQ(ReadFor(dialer, 1000ms), "<closed>");
}

TEST_F(LinkProxyTest, ACutClosesTheLinkAndRefusesNewOnesUntilHealed) {
  auto [dialer, target] = Connect();
  proxies_.Set(0, 1, LinkCondition::kCut);
  EXPECT_EQ(ReadFor(dialer, 1000ms), "<closed>");
  EXPECT_EQ(ReadFor(target, 1000ms), "<closed>");
  tcp::socket again(io_);
  again.connect(tcp::endpoint(asio::ip::address_v4::loopback(), static_cast<uint16_t>(proxies_.Port(0, 1))));
  EXPECT_EQ(ReadFor(again, 1000ms), "<closed>");
  proxies_.HealAll();
  auto [healed, healed_target] = Connect();
  asio::write(healed, asio::buffer(std::string("back")));
  EXPECT_EQ(ReadFor(healed_target, 300ms), "back");
}

TEST_F(LinkProxyTest, ADroppedLinkStaysUpButForwardsNothing) {
  auto [dialer, target] = Connect();
  proxies_.Set(0, 1, LinkCondition::kDropped);
  asio::write(dialer, asio::buffer(std::string("lost")));
  EXPECT_EQ(ReadFor(target, 300ms), "");
  EXPECT_EQ(proxies_.bytes_dropped(), 4u);
  proxies_.HealAll();
  asio::write(dialer, asio::buffer(std::string("kept")));
  EXPECT_EQ(ReadFor(target, 300ms), "kept");
}

TEST_F(LinkProxyTest, ADroppedLinkSwallowsACloseLeavingTheOtherSideHalfOpen) {
  auto [dialer, target] = Connect();
  proxies_.Set(0, 1, LinkCondition::kDropped);
  target.close();  // the node behind the black hole dies
  EXPECT_EQ(ReadFor(dialer, 500ms), "") << "the close must not pass";
  proxies_.HealAll();
  asio::write(dialer, asio::buffer(std::string("anyone?")));
  EXPECT_EQ(ReadFor(dialer, 1000ms), "<closed>") << "after the heal, the dead side shows";
}

TEST_F(LinkProxyTest, ADelayedLinkHoldsBytesForTheDelay) {
  auto [dialer, target] = Connect();
  proxies_.Set(0, 1, LinkCondition::kDelayed, 400);
  asio::write(dialer, asio::buffer(std::string("slow")));
  EXPECT_EQ(ReadFor(target, 150ms), "");
  EXPECT_EQ(ReadFor(target, 600ms), "slow");
}

TEST_F(LinkProxyTest, APartitionCutsLinksBothWaysThatCrossIt) {
  // Node 0 dials node 1 and node 1 dials node 0 (both through their proxies).
  auto [dialer, target] = Connect();
  tcp::acceptor zero(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  LinkProxies both({zero.local_endpoint().port(), target_.local_endpoint().port()});
  tcp::socket one_to_zero(io_);
  one_to_zero.connect(tcp::endpoint(asio::ip::address_v4::loopback(), static_cast<uint16_t>(both.Port(1, 0))));
  tcp::socket zero_side(io_);
  zero.accept(zero_side);
  tcp::socket zero_to_one(io_);
  zero_to_one.connect(tcp::endpoint(asio::ip::address_v4::loopback(), static_cast<uint16_t>(both.Port(0, 1))));
  tcp::socket one_side(io_);
  target_.accept(one_side);
  asio::write(one_to_zero, asio::buffer(std::string("a")));
  EXPECT_EQ(ReadFor(zero_side, 300ms), "a");
  both.Partition({1}, LinkCondition::kCut);
  EXPECT_EQ(ReadFor(one_to_zero, 1000ms), "<closed>");
  EXPECT_EQ(ReadFor(zero_side, 1000ms), "<closed>");
  EXPECT_EQ(ReadFor(zero_to_one, 1000ms), "<closed>");
  EXPECT_EQ(ReadFor(one_side, 1000ms), "<closed>");
}

}  // namespace
}  // namespace cairn::cluster
