// The node's own entry points for keys and transactions apply the signature rule: a
// config naming a peer or an observer by a key anyone can sign for is refused, and the
// mempool (behind Submit and gossip) refuses forgeries with their reason and admits
// nothing.
#include <gtest/gtest.h>

#include "node/config.h"
#include "node/mempool.h"
#include "tests/support/forgery.h"
#include "tests/support/test_chain.h"

namespace cairn::node {
namespace {

std::string ConfigWith(const std::string& peer_key, const std::string& observer_key) {
  return R"({"key_file": "node.key", "data_dir": "data", "genesis_file": "genesis.json",
             "p2p_listen": "127.0.0.1:1", "peers": [{"address": "127.0.0.1:2", "public_key": ")" +
         peer_key + R"("}], "observers": [")" + observer_key + R"("]})";
}

TEST(NodeStrictKeys, ConfigRefusesPeerAndObserverKeysAnyoneCanSignFor) {
  const std::string good = test::KeyFromLabel("peer").public_key().hex();
  auto accepted = ParseNodeConfig(ConfigWith(good, good), "/etc/cairn");
  ASSERT_TRUE(accepted.ok()) << accepted.status().ToString();
  for (const Bytes& bad : test::SmallOrderKeys()) {
    auto peer = ParseNodeConfig(ConfigWith(ToHex(bad), good), "/etc/cairn");
    ASSERT_FALSE(peer.ok());
    EXPECT_NE(peer.status().message().find("peers[0].public_key"), std::string::npos) << peer.status().ToString();
    EXPECT_NE(peer.status().message().find("small order"), std::string::npos) << peer.status().ToString();
    auto observer = ParseNodeConfig(ConfigWith(good, ToHex(bad)), "/etc/cairn");
    ASSERT_FALSE(observer.ok());
    EXPECT_NE(observer.status().message().find("observers[0]"), std::string::npos) << observer.status().ToString();
  }
  auto mixed = ParseNodeConfig(ConfigWith(ToHex(test::MixedOrderKey(test::KeyFromLabel("peer").public_key())), good),
                               "/etc/cairn");
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(mixed.status().message().find("prime-order subgroup"), std::string::npos) << mixed.status().ToString();
}

TEST(NodeStrictKeys, TheMempoolRefusesForgeriesAndAdmitsNothing) {
  test::TestChain chain;
  crypto::DirectVerifier verifier;
  Mempool mempool(chain.chain_id(), verifier, [](const ledger::CheckedTx&) -> Result<uint64_t> { return uint64_t{0}; }, {});
  auto forged = mempool.Add(test::ForgedTransfer(chain.chain_id(), test::TestChain::AddressOf(chain.user(1)), 5));
  EXPECT_EQ(forged.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(forged.status().message().find("small order"), std::string::npos) << forged.status().ToString();
  const v1::Transaction honest = chain.Transfer(chain.user(0), 1, chain.user(1), 5);
  auto small_r = mempool.Add(test::WithSmallOrderR(honest, test::SeedFromLabel("user-0"), chain.chain_id()));
  EXPECT_EQ(small_r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(small_r.status().message().find("signature does not verify"), std::string::npos)
      << small_r.status().ToString();
  EXPECT_EQ(mempool.size(), 0u);
  EXPECT_TRUE(mempool.Add(honest).ok());
}

}  // namespace
}  // namespace cairn::node
