#include <fstream>

#include <gtest/gtest.h>

#include "cairn/v1/config.pb.h"
#include "ledger/genesis.h"
#include "ledger/json_file.h"
#include "tests/support/test_chain.h"
#include "tests/unit/temp_dir.h"

namespace cairn::ledger {
namespace {

Status ParseGenesis(const std::string& json) {
  v1::Genesis genesis;
  CAIRN_RETURN_IF_ERROR(ParseJson(json, &genesis));
  return ValidateGenesis(genesis);
}

TEST(Genesis, RoundTripsThroughAFile) {
  test::TestChain chain;
  test::TempDir dir;
  std::string path = dir.path() + "/genesis.json";
  std::ofstream(path) << ToJson(chain.genesis());
  auto read = ReadGenesisFile(path);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(GenesisHash(*read), GenesisHash(chain.genesis()));
}

TEST(Genesis, UnknownFieldIsAnErrorThatNamesIt) {
  Status status = ParseGenesis(R"({"chain_id": "c", "validatorz": []})");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("validatorz"), std::string::npos) << status.ToString();
}

TEST(Genesis, RejectsBadContents) {
  const std::string key = test::KeyFromLabel("v").public_key().hex();
  const std::string validator = R"({"name": "v0", "public_key": ")" + key + R"("})";
  EXPECT_TRUE(ParseGenesis(R"({"chain_id": "ok", "validators": [)" + validator + "]}").ok());
  EXPECT_FALSE(ParseGenesis(R"({"chain_id": "bad chain!", "validators": [)" + validator + "]}").ok());
  EXPECT_FALSE(ParseGenesis(R"({"chain_id": "ok"})").ok());
  EXPECT_FALSE(ParseGenesis(R"({"chain_id": "ok", "validators": [{"name": "v0", "public_key": "abcd"}]})").ok());
  EXPECT_FALSE(ParseGenesis(R"({"chain_id": "ok", "validators": [)" + validator + "," + validator + "]}").ok());
  EXPECT_FALSE(ParseGenesis(R"({"chain_id": "ok", "validators": [)" + validator +
                            R"(], "accounts": [{"public_key": ")" + key + R"(", "role": "ROLE_UNSPECIFIED"}]})").ok());
  EXPECT_FALSE(ParseGenesis(R"({"chain_id": "ok", "validators": [)" + validator +
                            R"(], "accounts": [{"public_key": ")" + key +
                            R"(", "role": "ROLE_USER", "balances": [{"asset": "x", "amount": 1}]}]})").ok());
  EXPECT_FALSE(ParseGenesis("{not json").ok());
  const std::string with_window = R"({"chain_id": "ok", "validators": [)" + validator +
                                  R"(], "governance": {"leader_reputation": {"window_blocks": )";
  EXPECT_TRUE(ParseGenesis(with_window + "10000}}}").ok());
  EXPECT_FALSE(ParseGenesis(with_window + "10001}}}").ok());
}

TEST(NodeConfig, ParsesAndNamesUnknownFields) {
  v1::NodeConfig config;
  ASSERT_TRUE(ParseJson(R"({"key_file": "node.key", "data_dir": "data", "peers": [{"address": "127.0.0.1:1", "public_key": "ab"}]})", &config).ok());
  EXPECT_EQ(config.peers_size(), 1);
  Status status = ParseJson(R"({"data_dir": "d", "peers": [{"adress": "x"}]})", &config);
  EXPECT_NE(status.message().find("adress"), std::string::npos) << status.ToString();
}

TEST(Genesis, MissingFileIsNotFound) {
  EXPECT_EQ(ReadGenesisFile("/nonexistent/genesis.json").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace cairn::ledger
