// node/ledger_recovery.h: a node opening a damaged ledger reports it and recovers
// (repairs, or sets the folder aside and starts from genesis) instead of exiting.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cairn/v1/storage.pb.h"
#include "ledger/keys.h"
#include "ledger/tree_node.h"
#include "node/ledger_recovery.h"
#include "node/safety_file.h"
#include "tests/support/test_chain.h"
#include "tests/unit/temp_dir.h"

namespace cairn::node {
namespace {

namespace fs = std::filesystem;

// A LevelDB ledger of three committed blocks in `dir`.
void CommitThreeBlocks(const std::string& dir, test::TestChain& chain) {
  auto ledger = ledger::Ledger::Open(ledger::OpenLevelDbStore(dir).value(), chain.genesis()).value();
  for (uint64_t nonce = 1; nonce <= 3; ++nonce) {
    google::protobuf::RepeatedPtrField<v1::Transaction> txs;
    *txs.Add() = chain.Transfer(chain.user(0), nonce, chain.user(1), 10);
    ASSERT_TRUE(chain.CommitBlock(*ledger, txs).ok());
  }
}

// Overwrites the root node of the head's state tree behind the ledger's back: LevelDB
// is intact, but the ledger no longer matches its state root.
void DamageTheStateTree(const std::string& dir) {
  auto store = ledger::OpenLevelDbStore(dir).value();
  v1::ChainHead head;
  ASSERT_TRUE(head.ParseFromString(store->Get(ledger::keys::kHead).value().value()));
  v1::StateTreeRoot root;
  ASSERT_TRUE(root.ParseFromString(store->Get(ledger::keys::StateRoot(head.height())).value().value()));
  ledger::WriteBatch damage;
  damage.Put(ledger::tree::NodeKey(root.node_version(), {}), "garbage");
  ASSERT_TRUE(store->Write(damage, ledger::Durability::kSync).ok());
}

std::vector<fs::path> AsideFolders(const std::string& data_dir) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(fs::path(data_dir).parent_path())) {
    if (entry.path().filename().string().starts_with(fs::path(data_dir).filename().string() + ".damaged-")) {
      out.push_back(entry.path());
    }
  }
  return out;
}

TEST(LedgerRecovery, AnIntactLedgerOpensAsItIs) {
  test::TempDir dir;
  const std::string data = dir.path() + "/data";
  test::TestChain chain;
  CommitThreeBlocks(data, chain);
  auto ledger = OpenOrRecoverLedger(data, chain.genesis(), nullptr);
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  EXPECT_EQ((*ledger)->height(), 3u);
  EXPECT_TRUE(AsideFolders(data).empty());
}

TEST(LedgerRecovery, ADamagedManifestIsRepairedWhereTheAuditWouldRefuseIt) {
  test::TempDir dir;
  const std::string data = dir.path() + "/data";
  test::TestChain chain;
  CommitThreeBlocks(data, chain);
  for (const auto& entry : fs::directory_iterator(data)) {
    if (entry.path().filename().string().starts_with("MANIFEST-")) {
      std::ofstream(entry.path(), std::ios::binary | std::ios::trunc) << "not a manifest";
    }
  }
  EXPECT_EQ(ledger::OpenLevelDbStore(data).status().code(), StatusCode::kCorruption) << "readers must not repair";
  auto ledger = OpenOrRecoverLedger(data, chain.genesis(), nullptr);
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  // The records survive in the log and tables; whatever height is left, it holds together.
  EXPECT_LE((*ledger)->height(), 3u);
}

TEST(LedgerRecovery, ALedgerThatDoesNotHoldTogetherIsSetAsideAndTheNodeStartsFromGenesis) {
  test::TempDir dir;
  const std::string data = dir.path() + "/data";
  test::TestChain chain;
  CommitThreeBlocks(data, chain);
  DamageTheStateTree(data);
  auto ledger = OpenOrRecoverLedger(data, chain.genesis(), nullptr);
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  EXPECT_EQ((*ledger)->height(), 0u);
  ASSERT_EQ(AsideFolders(data).size(), 1u) << "the damaged folder must be kept for the operator";
  // What was set aside is the old ledger, untouched.
  EXPECT_TRUE(fs::exists(AsideFolders(data)[0] / "CURRENT"));
}

TEST(LedgerRecovery, TheSafetyRecordSurvivesARepairAndASetAside) {
  test::TempDir dir;
  const std::string data = dir.path() + "/data";
  test::TestChain chain;
  CommitThreeBlocks(data, chain);
  v1::SafetyRecord record;
  record.set_highest_voted_round(42);
  ASSERT_TRUE(SafetyFile(data).Save(record).ok());
  DamageTheStateTree(data);
  ASSERT_TRUE(OpenOrRecoverLedger(data, chain.genesis(), nullptr).ok());
  ASSERT_EQ(AsideFolders(data).size(), 1u);
  auto kept = SafetyFile(data).Load();
  ASSERT_TRUE(kept.ok() && kept->has_value()) << "a fresh ledger must not mean a fresh safety record";
  EXPECT_EQ((*kept)->highest_voted_round(), 42u);
}

TEST(LedgerRecovery, AnotherChainsDataIsStillAnErrorAndIsLeftInPlace) {
  test::TempDir dir;
  const std::string data = dir.path() + "/data";
  test::TestChain chain;
  CommitThreeBlocks(data, chain);
  test::TestChain other({.chain_id = "other-chain"});
  auto refused = OpenOrRecoverLedger(data, other.genesis(), nullptr);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(AsideFolders(data).empty());
}

}  // namespace
}  // namespace cairn::node
