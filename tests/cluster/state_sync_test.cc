// State sync in a running network of real processes (issue 18): a validator added by
// governance joins with an empty disk by fetching the state of a recent block from the
// others, under load, is killed halfway and restarted, finishes, and votes; it never
// replays the chain from genesis, and what it holds passes the audit from its base.
#include <signal.h>

#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "ledger/json_file.h"
#include "ledger/tx_check.h"
#include "tests/cluster/chain_checks.h"
#include "tests/cluster/cluster.h"
#include "tests/cluster/steady_load.h"
#include "tests/support/seed.h"

namespace cairn::cluster {
namespace {

using namespace std::chrono_literals;

constexpr uint64_t kEpochLength = 20;
constexpr int kGenesisAccounts = 30'000;  // a state of several chunks (4,096 leaves at most each)

std::string ReadLog(Cluster& cluster, int i) {
  std::ifstream in(cluster.NodeDir(i) + "/cairnd.log");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool IsValidator(Cluster& cluster, int i) {
  auto status = cluster.Status(i);
  return status && status->validator();
}

struct KeepOnFailure {
  Cluster& cluster;
  ~KeepOnFailure() {
    if (::testing::Test::HasFailure()) cluster.KeepDir();
  }
};

TEST(StateSync, AValidatorAddedByGovernanceJoinsByStateSyncSurvivesAKillAndVotes) {
  Cluster cluster(4, 1, kGenesisAccounts, {"--epoch-length", std::to_string(kEpochLength)});
  KeepOnFailure keep{cluster};
  v1::NodeConfig config;
  ASSERT_TRUE(ledger::ReadJsonFile(cluster.NodeDir(4) + "/config.json", &config).ok());
  config.set_sync_mode("state");
  config.set_validator(true);
  std::ofstream(cluster.NodeDir(4) + "/config.json", std::ios::trunc) << ledger::ToJson(config);
  for (int i = 0; i < 4; ++i) cluster.Start(i);
  ASSERT_TRUE(Cluster::WaitFor([&] { return cluster.Height(0) >= 1; }, 60s));
  SteadyLoad load(cluster, 20, 4, test::TestSeed("AValidatorAddedByGovernanceJoinsByStateSyncSurvivesAKillAndVotes"));
  load.Start();

  // Epoch 1 adds node 4: the joining node must prove that change from genesis.
  const auto key = crypto::PrivateKey::ReadFile(cluster.NodeDir(4) + "/node.key").value();
  v1::TxBody body;
  body.set_chain_id(cluster.chain_id());
  body.set_nonce(1);
  v1::ValidatorChange* add = body.mutable_propose_validator_change()->mutable_change();
  add->set_kind(v1::ValidatorChange::KIND_ADD);
  add->mutable_validator()->set_name("node4");
  add->mutable_validator()->set_public_key(Bytes(key.public_key().bytes()));
  add->mutable_validator()->set_address("127.0.0.1:" + std::to_string(cluster.P2pPort(4)));
  ASSERT_TRUE(cluster.Submit(0, ledger::SignTransaction(cluster.client(), body)).ok());
  ASSERT_TRUE(Cluster::WaitFor([&] {
    auto set = cluster.Validators(0);
    return set && set->validators().validators_size() == 5;
  }, 90s)) << "the addition never took effect";
  // Past the window leader reputation reads, so that the joining node needs those
  // blocks from its peers too.
  const uint64_t epoch_start = cluster.Height(0);
  ASSERT_TRUE(Cluster::WaitFor([&] { return cluster.Height(0) >= epoch_start + 30; }, 90s));

  // Its operator pins the chain of sets to epoch 1's root (the block that ends epoch 0),
  // as `cairn epochs` would print it.
  const uint64_t root = cluster.Validators(0)->first_height() - 1;
  const std::string checkpoint = std::to_string(root) + ":" + ToHex(cluster.GetBlock(0, root)->hash());
  config.set_state_sync_checkpoint(checkpoint);
  std::ofstream(cluster.NodeDir(4) + "/config.json", std::ios::trunc) << ledger::ToJson(config);

  // Killed once it has chosen its target, then restarted: it goes on from what it stored.
  cluster.Start(4);
  ASSERT_TRUE(Cluster::WaitFor([&] { return ReadLog(cluster, 4).find("state-sync: target: block") != std::string::npos; },
                               60s))
      << ReadLog(cluster, 4);
  cluster.Signal(4, SIGKILL);
  const bool joined_before_kill = ReadLog(cluster, 4).find("joined at block") != std::string::npos;
  cluster.Start(4);
  ASSERT_TRUE(Cluster::WaitFor([&] { return cluster.Height(4) >= cluster.Height(0) && cluster.Height(4) > 0; }, 120s))
      << "node 4 is at " << cluster.Height(4) << ", node 0 at " << cluster.Height(0);
  const std::string log = ReadLog(cluster, 4);
  if (!joined_before_kill) {
    EXPECT_NE(log.find("resuming the state sync of block"), std::string::npos) << log;
  }
  EXPECT_NE(log.find("through the checkpoint " + checkpoint), std::string::npos) << log;
  const size_t joined = log.find("joined at block ");
  ASSERT_NE(joined, std::string::npos) << log;
  std::fprintf(stderr, "state sync: node 4 %s; %s\n", joined_before_kill ? "had joined before the kill" : "resumed after the kill",
               log.substr(joined, log.find('\n', joined) - joined).c_str());
  const uint64_t base = std::stoull(log.substr(joined + 16));
  EXPECT_GT(base, epoch_start);
  auto status = cluster.Status(4);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->base_height(), base);
  EXPECT_EQ(cluster.Status(0)->base_height(), 0u);

  // It holds the state, not the history: blocks below its base are not there, and block
  // sync fetched only what came after the base.
  EXPECT_FALSE(cluster.GetBlock(4, 3).has_value());
  auto base_block = cluster.GetBlock(4, base);
  ASSERT_TRUE(base_block.has_value());
  EXPECT_EQ(base_block->hash(), cluster.GetBlock(0, base)->hash());
  EXPECT_LT(cluster.Metric(4, "cairn_blocks_synced_total"), static_cast<double>(cluster.Height(0) - base + 50));

  // It votes: with node 3 down, a quorum of the five needs node 4.
  ASSERT_TRUE(Cluster::WaitFor([&] { return IsValidator(cluster, 4); }, 60s)) << "node 4 did not become a validator";
  cluster.Signal(3, SIGKILL);
  const uint64_t before = cluster.Height(0);
  EXPECT_TRUE(Cluster::WaitFor([&] { return cluster.Height(0) >= before + 5; }, 60s))
      << "no commits with node 4 as one of the quorum";
  const uint64_t height = cluster.Height(0);
  ASSERT_TRUE(Cluster::WaitFor([&] { return cluster.Height(4) >= height; }, 60s));
  EXPECT_EQ(cluster.GetBlock(4, height)->hash(), cluster.GetBlock(0, height)->hash());
  load.Stop();
  EXPECT_EQ(CountMissing(cluster, 0, load.Acknowledged()), 0u);

  // What it holds passes the audit from the genesis file: from its base on.
  cluster.Signal(4, SIGTERM);
  EXPECT_TRUE(AuditPasses(cluster, 4)) << "see " << cluster.dir() << "/audit-node4.log";
  std::ifstream audit_log(cluster.dir() + "/audit-node4.log");
  std::stringstream audit;
  audit << audit_log.rdbuf();
  EXPECT_NE(audit.str().find("from its base: block " + std::to_string(base)), std::string::npos) << audit.str();
}

}  // namespace
}  // namespace cairn::cluster
