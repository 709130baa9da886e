// Validators whose consensus keys are in PKCS#11 tokens (SoftHSM2 behind the module
// that fails on demand, tests/support/faulty_pkcs11.cc), in a network of four under
// load: they sign; one whose token fails stops voting while the network goes on, one
// whose token is slow keeps up with the chain, and it votes again once the token is
// back; a restart keeps its safety record. And an
// operator moves a running validator's key into a token with the CLI, as the README
// says.
#include <signal.h>

#include <gtest/gtest.h>

#include <thread>

#include <fstream>

#include <nlohmann/json.hpp>

#include "node/safety_file.h"
#include "tests/cluster/chain_checks.h"
#include "tests/cluster/cluster.h"
#include "tests/cluster/steady_load.h"
#include "tests/support/seed.h"
#include "tests/support/softhsm.h"

namespace cairn::cluster {
namespace {

using namespace std::chrono_literals;

// Whether validator `v` signed the certificate of any block in [from, to], as node
// `ask` serves them.
bool SignedAnyIn(Cluster& cluster, int ask, uint32_t v, uint64_t from, uint64_t to) {
  for (uint64_t h = from; h <= to; ++h) {
    auto block = cluster.GetBlock(ask, h);
    if (!block) continue;
    for (const v1::ValidatorSignature& s : block->certificate().signatures()) {
      if (s.validator_index() == v) return true;
    }
  }
  return false;
}

TEST(TokenValidators, AValidatorWhoseTokenFailsStopsVotingAndTheNetworkGoesOn) {
  const uint64_t seed = test::TestSeed("token validators");
  test::SoftHsm hsm;  // SOFTHSM2_CONF for `cairn testnet` and the nodes it starts
  Cluster cluster(4, 0, /*load_accounts=*/20, {"--pkcs11-validators", "2", "--pkcs11-module", CAIRN_FAULTY_PKCS11});
  cluster.StartAll();
  ASSERT_TRUE(Cluster::WaitFor([&] { return cluster.Height(2) >= 3; }, 60s));
  SteadyLoad load(cluster, 20, 4, seed);
  load.Start();

  // Both token validators vote: their names are on certificates.
  std::this_thread::sleep_for(4s);
  const uint64_t healthy_to = cluster.Height(2);
  EXPECT_TRUE(SignedAnyIn(cluster, 2, 0, 1, healthy_to));
  EXPECT_TRUE(SignedAnyIn(cluster, 2, 1, 1, healthy_to));
  EXPECT_GT(cluster.Metric(0, "cairn_token_signatures_total"), 0);
  EXPECT_GT(cluster.Metric(1, "cairn_token_signatures_total"), 0);

  // Validator 0's token goes away: it stays silent, the other three commit on.
  hsm.SetMode("cairn-node0", "fail");
  std::this_thread::sleep_for(1s);  // what it signed before reaches certificates
  const uint64_t broken_from = cluster.Height(2) + 2;
  std::this_thread::sleep_for(6s);
  const uint64_t broken_to = cluster.Height(2);
  EXPECT_GT(broken_to, broken_from + 10) << "the network stopped with one token down";
  EXPECT_FALSE(SignedAnyIn(cluster, 2, 0, broken_from, broken_to))
      << "validator 0 signed a certificate between heights " << broken_from << " and " << broken_to
      << " with its token failing";
  EXPECT_GT(cluster.Metric(0, "cairn_token_failures_total"), 0);
  EXPECT_GT(cluster.Metric(0, "cairn_token_reopen_attempts_total"), 0);
  EXPECT_TRUE(cluster.Alive(0));

  // The token takes 2 s a signature, longer than a round: its validator's votes come
  // too late to count, but its core is not held up: it keeps committing what the others
  // certify, on its own core thread, at their pace.
  const double signing_s = cluster.Metric(0, "cairn_token_sign_seconds_sum");
  hsm.SetMode("cairn-node0", "slow 2000");
  std::this_thread::sleep_for(9s);  // the back-off of the failures above ends within 5 s
  const uint64_t slow_height = cluster.Height(0);
  EXPECT_GE(slow_height + 10, cluster.Height(2)) << "node 0's core fell behind behind a slow token";
  EXPECT_GE(cluster.Metric(0, "cairn_token_sign_seconds_sum"), signing_s + 2)
      << "no slow signature was made: the phase tested nothing";

  // The token is back: within the back-off (at most 5 s) it votes again.
  hsm.SetMode("cairn-node0", "ok");
  const uint64_t back_from = cluster.Height(2);
  EXPECT_TRUE(Cluster::WaitFor([&] { return SignedAnyIn(cluster, 2, 0, back_from, cluster.Height(2)); }, 20s))
      << "validator 0 did not vote again after its token came back";

  // A restart keeps the safety record, and the validator votes above it. The stop is
  // clean, token and all (Signal would fall back to SIGKILL after 10 s).
  const auto stopping = std::chrono::steady_clock::now();
  cluster.Signal(0, SIGTERM);
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, 8s) << "node 0 took too long to stop";
  auto record = node::SafetyFile(cluster.NodeDir(0) + "/data").Load();
  ASSERT_TRUE(record.ok() && record->has_value()) << "no safety record after a stop";
  const uint64_t voted = (*record)->highest_voted_round();
  EXPECT_GT(voted, 0u);
  cluster.Start(0);
  // Blocks up to two above the head may hold its votes from before the stop.
  const uint64_t restarted_at = cluster.Height(2) + 3;
  uint64_t voted_after = 0;
  EXPECT_TRUE(Cluster::WaitFor([&] {
    auto after = node::SafetyFile(cluster.NodeDir(0) + "/data").Load();
    if (after.ok() && after->has_value()) voted_after = (*after)->highest_voted_round();
    return voted_after > voted && SignedAnyIn(cluster, 2, 0, restarted_at, cluster.Height(2));
  }, 30s)) << "after the restart validator 0 voted up to round " << voted_after << " (before it: " << voted << ")";
  load.Stop();
  EXPECT_GT(load.acknowledged(), 100u) << "the load did not commit";
}

TEST(TokenValidators, AnOperatorMovesARunningValidatorsKeyIntoAToken) {
  test::SoftHsm hsm;
  Cluster cluster(4, 0, /*load_accounts=*/10, {"--epoch-length", "20"});
  cluster.StartAll();
  ASSERT_TRUE(Cluster::WaitFor([&] { return cluster.Height(0) >= 1; }, 60s));
  SteadyLoad load(cluster, 10, 2, test::TestSeed("AnOperatorMovesARunningValidatorsKeyIntoAToken"));
  load.Start();

  // 1. A key pair made inside node 3's token.
  ASSERT_TRUE(hsm.MakeToken("node3-hsm", "2468").ok());
  const std::string pin_file = hsm.WritePinFile("node3.pin", "2468");
  const std::string keygen_log = cluster.dir() + "/keygen.log";
  ASSERT_EQ(RunProgram({CAIRN_CLI_PATH, "keygen", "--pkcs11", "--module", test::kSoftHsmModule, "--token", "node3-hsm",
                        "--label", "consensus", "--pin-file", pin_file, "--json"},
                       keygen_log),
            0);
  std::ifstream printed(keygen_log);
  const auto new_public = FromHex(nlohmann::json::parse(printed).at("public_key").get<std::string>());
  ASSERT_TRUE(new_public.ok()) << "see " << keygen_log;

  // 2. Node 3's config names the token; a restart reads it, and the node goes on
  // signing with its key file, which the set still names.
  cluster.EditValidatorConfigs([&](int i, v1::NodeConfig& config) {
    if (i != 3) return;
    v1::Pkcs11Config* token = config.mutable_consensus_token();
    token->set_module(test::kSoftHsmModule);
    token->set_token_label("node3-hsm");
    token->set_key_label("consensus");
    token->set_pin_file(pin_file);
  });
  cluster.Signal(3, SIGTERM);
  cluster.Start(3);

  // 3. The rotation, signed by the key file and the token.
  const std::string node = "127.0.0.1:" + std::to_string(cluster.GrpcPort(1));
  ASSERT_EQ(RunProgram({CAIRN_CLI_PATH, "rotate-key", "--key", cluster.dir() + "/net/client.key", "--name", "node3",
                        "--old-key", cluster.NodeDir(3) + "/node.key", "--new-token", cluster.NodeDir(3) + "/config.json",
                        "--node", node, "--wait"},
                       cluster.dir() + "/rotate.log"),
            0)
      << "see " << cluster.dir() << "/rotate.log";
  ASSERT_TRUE(Cluster::WaitFor([&] {
    auto set = cluster.Validators(0);
    return set && set->validators().epoch() >= 1 && set->validators().validators(3).public_key() == *new_public;
  }, 90s)) << "the rotation never took effect";

  // 4. With node 0 down, a quorum needs node 3: it signs with the token.
  cluster.Signal(0, SIGKILL);
  EXPECT_TRUE(Advances(cluster, 5, 60s, 1)) << "no commits: node 3 does not sign with its token";
  EXPECT_GT(cluster.Metric(3, "cairn_token_signatures_total"), 0);
  load.Stop();
  EXPECT_EQ(CountMissing(cluster, 1, load.Acknowledged()), 0u);
}

}  // namespace
}  // namespace cairn::cluster
