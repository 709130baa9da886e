// Validator-set changes in a running network of real processes under load (issue 8): a
// validator joins and leaves (4 -> 5 -> 4, the fifth started fresh, with no peers of its
// own, once its addition has committed), and a validator rotates its key without a
// restart.
#include <signal.h>

#include <fstream>

#include <gtest/gtest.h>

#include "crypto/domain.h"
#include "ledger/governance.h"
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

// Governance transactions from the genesis admin (the cluster's client key).
class Admin {
 public:
  explicit Admin(Cluster& cluster) : cluster_(cluster) {}
  // Submits the change and waits for its receipt; the receipt's result.
  v1::TxResult Propose(v1::ValidatorChange change) {
    v1::TxBody body;
    body.set_chain_id(cluster_.chain_id());
    body.set_nonce(++nonce_);
    *body.mutable_propose_validator_change()->mutable_change() = std::move(change);
    std::string hash;
    if (!cluster_.Submit(0, ledger::SignTransaction(cluster_.client(), body), &hash).ok()) return v1::TX_RESULT_UNSPECIFIED;
    std::optional<v1::GetTransactionResponse> tx;
    Cluster::WaitFor([&] {
      tx = cluster_.GetTransaction(0, hash);
      return tx && tx->state() == v1::GetTransactionResponse::COMMITTED;
    }, 30s);
    return tx ? tx->receipt().result() : v1::TX_RESULT_UNSPECIFIED;
  }

 private:
  Cluster& cluster_;
  uint64_t nonce_ = 0;
};

// A failed test keeps the cluster's folder (logs, data) for a look.
struct KeepOnFailure {
  Cluster& cluster;
  ~KeepOnFailure() {
    if (::testing::Test::HasFailure()) cluster.KeepDir();
  }
};

size_t SetSize(Cluster& cluster, int i) {
  auto set = cluster.Validators(i);
  return set ? static_cast<size_t>(set->validators().validators_size()) : 0;
}

bool IsValidator(Cluster& cluster, int i) {
  auto status = cluster.Status(i);
  return status && status->validator();
}

TEST(ValidatorChange, AFreshValidatorJoinsUnderLoadVotesAndLeavesAgain) {
  // Node 4 starts as an allowed observer's slot with its own key and an empty disk, and
  // no peers in its config: it is reached only by the validators dialing the address
  // the addition put on chain, once the set names it.
  Cluster cluster(4, 1, 20, {"--epoch-length", std::to_string(kEpochLength)});
  KeepOnFailure keep{cluster};
  v1::NodeConfig config;
  ASSERT_TRUE(ledger::ReadJsonFile(cluster.NodeDir(4) + "/config.json", &config).ok());
  config.clear_peers();
  config.set_validator(true);  // its operator means it to validate: /readyz says whether it does
  std::ofstream(cluster.NodeDir(4) + "/config.json", std::ios::trunc) << ledger::ToJson(config);
  for (int i = 0; i < 4; ++i) cluster.Start(i);
  ASSERT_TRUE(Cluster::WaitFor([&] { return cluster.Height(0) >= 1; }, 60s));
  SteadyLoad load(cluster, 20, 4, test::TestSeed("AFreshValidatorJoinsUnderLoadVotesAndLeavesAgain"));
  load.Start();
  Admin admin(cluster);

  const auto key = crypto::PrivateKey::ReadFile(cluster.NodeDir(4) + "/node.key").value();
  v1::ValidatorChange add;
  add.set_kind(v1::ValidatorChange::KIND_ADD);
  add.mutable_validator()->set_name("node4");
  add.mutable_validator()->set_public_key(Bytes(key.public_key().bytes()));
  add.mutable_validator()->set_address("127.0.0.1:" + std::to_string(cluster.P2pPort(4)));
  ASSERT_EQ(admin.Propose(add), v1::TX_OK);
  cluster.Start(4);  // fresh: once dialed, it syncs from genesis, verifying the change on the way
  EXPECT_TRUE(Cluster::WaitFor([&] { return cluster.HttpGet(4, "/healthz") == 200; }, 30s));

  ASSERT_TRUE(Cluster::WaitFor([&] { return SetSize(cluster, 0) == 5; }, 60s)) << "the addition never took effect";
  ASSERT_TRUE(Cluster::WaitFor([&] { return IsValidator(cluster, 4); }, 60s)) << "node 4 did not become a validator";
  EXPECT_TRUE(Cluster::WaitFor([&] { return cluster.HttpGet(4, "/readyz") == 200; }, 30s)) << "a validator, caught up";
  EXPECT_EQ(cluster.Validators(0)->validators().epoch(), 1u);
  EXPECT_EQ(cluster.Validators(0)->quorum(), 4u);
  // With node 3 down, a quorum of the five needs node 4's votes.
  cluster.Signal(3, SIGKILL);
  EXPECT_TRUE(Advances(cluster, 5, 60s)) << "no commits with node 4 as one of the quorum";
  cluster.Start(3);

  v1::ValidatorChange remove;
  remove.set_kind(v1::ValidatorChange::KIND_REMOVE);
  remove.mutable_validator()->set_name("node4");
  ASSERT_EQ(admin.Propose(remove), v1::TX_OK);
  ASSERT_TRUE(Cluster::WaitFor([&] { return SetSize(cluster, 0) == 4; }, 60s)) << "the removal never took effect";
  EXPECT_EQ(cluster.Validators(0)->validators().epoch(), 2u);
  EXPECT_TRUE(Cluster::WaitFor([&] { return !IsValidator(cluster, 4); }, 60s)) << "node 4 still votes";
  std::string why;
  EXPECT_EQ(cluster.HttpGet(4, "/readyz", &why), 503);
  EXPECT_EQ(why, "not in the current validator set\n");
  EXPECT_EQ(cluster.HttpGet(4, "/healthz"), 200) << "out of the set is not dead";
  cluster.Signal(4, SIGKILL);
  EXPECT_TRUE(Advances(cluster, 5, 60s)) << "the four no longer commit without node 4";

  load.Stop();
  const std::vector<std::string> acknowledged = load.Acknowledged();
  EXPECT_GT(acknowledged.size(), 50u);
  EXPECT_EQ(CountMissing(cluster, 0, acknowledged), 0u);
  const uint64_t height = cluster.Height(0);
  ASSERT_TRUE(Cluster::WaitFor([&] { return cluster.Height(3) >= height; }, 60s));
  const ChainComparison chains = CompareChains(cluster, height);
  EXPECT_EQ(chains.forks, 0u) << chains.first;
  for (int i = 0; i < 4; ++i) cluster.Signal(i, SIGTERM);
  EXPECT_TRUE(AuditPasses(cluster, 0)) << "see " << cluster.dir() << "/audit-node0.log";
  EXPECT_TRUE(AuditPasses(cluster, 4)) << "see " << cluster.dir() << "/audit-node4.log";
}

TEST(ValidatorChange, AValidatorRotatesItsKeyWithoutARestart) {
  Cluster cluster(4, 0, 10, {"--epoch-length", std::to_string(kEpochLength)});
  KeepOnFailure keep{cluster};
  cluster.StartAll();
  ASSERT_TRUE(Cluster::WaitFor([&] { return cluster.Height(0) >= 1; }, 60s));
  SteadyLoad load(cluster, 10, 2, test::TestSeed("AValidatorRotatesItsKeyWithoutARestart"));
  load.Start();

  // Node 3's operator puts the new key next to the node key and has both keys sign.
  const auto old_key = crypto::PrivateKey::ReadFile(cluster.NodeDir(3) + "/node.key").value();
  const crypto::PrivateKey new_key = crypto::PrivateKey::Generate();
  ASSERT_TRUE(new_key.WriteFile(cluster.NodeDir(3) + "/node.key.next").ok());
  const Bytes new_public(new_key.public_key().bytes());
  const Bytes message = ledger::KeyRotationMessage(cluster.chain_id(), "node3", 0, new_public);
  v1::TxBody body;
  body.set_chain_id(cluster.chain_id());
  body.set_nonce(1);
  v1::RotateValidatorKey* op = body.mutable_rotate_validator_key();
  op->set_name("node3");
  op->set_new_public_key(new_public);
  op->set_old_key_signature(old_key.Sign(message));
  op->set_new_key_signature(new_key.Sign(message));
  std::string hash;
  ASSERT_TRUE(cluster.Submit(0, ledger::SignTransaction(cluster.client(), body), &hash).ok());

  ASSERT_TRUE(Cluster::WaitFor([&] {
    auto set = cluster.Validators(0);
    return set && set->validators().epoch() == 1 && set->validators().validators(3).public_key() == new_public;
  }, 90s)) << "the rotation never took effect";
  ASSERT_TRUE(Cluster::WaitFor([&] { return IsValidator(cluster, 3); }, 30s));
  // With node 0 down, a quorum needs node 3, which now signs with the new key.
  cluster.Signal(0, SIGKILL);
  EXPECT_TRUE(Advances(cluster, 5, 60s, 1)) << "no commits: node 3 does not sign with its new key";
  load.Stop();
  EXPECT_EQ(CountMissing(cluster, 1, load.Acknowledged()), 0u);
  for (int i = 1; i < 4; ++i) cluster.Signal(i, SIGTERM);
  EXPECT_TRUE(AuditPasses(cluster, 1)) << "see " << cluster.dir() << "/audit-node1.log";
  EXPECT_TRUE(AuditPasses(cluster, 3)) << "see " << cluster.dir() << "/audit-node3.log";
}

}  // namespace
}  // namespace cairn::cluster
