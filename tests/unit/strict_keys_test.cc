// Every place a public key enters the ledger refuses one that anyone could sign for
// (a point of small order), one encoded non-canonically, and one that no secret makes,
// with an error that says so; and the forgeries a lax verifier accepts are refused in
// a transaction and in a block a Byzantine leader proposes, leaving the ledger as it was.
#include <gtest/gtest.h>

#include "cairn/v1/block.pb.h"
#include "ledger/genesis.h"
#include "ledger/json_file.h"
#include "ledger/ledger.h"
#include "ledger/tx_check.h"
#include "tests/support/forgery.h"
#include "tests/support/test_chain.h"

namespace cairn::ledger {
namespace {

// Each kind of key no account or validator may have, with the words its refusal uses.
struct BadKey {
  Bytes bytes;
  std::string reason;
};
std::vector<BadKey> BadKeys() {
  std::vector<BadKey> keys;
  for (const Bytes& k : test::SmallOrderKeys()) keys.push_back({k, "small order"});
  keys.push_back({test::NonCanonicalKeys()[4], "canonical"});  // y = p + 2
  keys.push_back({test::MixedOrderKey(test::KeyFromLabel("anyone").public_key()), "prime-order subgroup"});
  keys.push_back({Bytes(1, '\x02') + Bytes(31, '\0'), "prime-order subgroup"});  // y = 2: no point
  return keys;
}

void ExpectRefused(const Status& status, const BadKey& key, const std::string& where) {
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << where << " " << ToHex(key.bytes);
  EXPECT_NE(status.message().find(key.reason), std::string::npos) << where << ": " << status.ToString();
  EXPECT_NE(status.message().find(where), std::string::npos) << status.ToString();
}

TEST(StrictKeys, GenesisRefusesBadAccountAndValidatorKeys) {
  test::TestChain chain;
  ASSERT_TRUE(ValidateGenesis(chain.genesis()).ok());
  for (const BadKey& key : BadKeys()) {
    v1::Genesis account = chain.genesis();
    account.mutable_accounts(0)->set_public_key(ToHex(key.bytes));
    ExpectRefused(ValidateGenesis(account), key, "accounts[0].public_key");
    v1::Genesis validator = chain.genesis();
    validator.mutable_validators(1)->set_public_key(ToHex(key.bytes));
    ExpectRefused(ValidateGenesis(validator), key, "validators[1].public_key");
  }
}

class StrictKeysTxTest : public ::testing::Test {
 protected:
  Status Check(const v1::TxBody& body) {
    return CheckTransaction(SignTransaction(chain_.admin(), body), chain_.chain_id()).status();
  }
  v1::TxBody Body() {
    v1::TxBody body;
    body.set_chain_id(chain_.chain_id());
    body.set_nonce(1);
    return body;
  }
  test::TestChain chain_;
};

TEST_F(StrictKeysTxTest, OperationsThatRegisterAKeyRefuseBadKeys) {
  const Bytes good = Bytes(test::KeyFromLabel("new").public_key().bytes());
  for (const BadKey& key : BadKeys()) {
    v1::TxBody create = Body();
    create.mutable_create_account()->set_public_key(key.bytes);
    create.mutable_create_account()->set_role(v1::ROLE_USER);
    ExpectRefused(Check(create), key, "create_account.public_key");

    v1::TxBody rotate = Body();
    rotate.mutable_rotate_validator_key()->set_name("validator-0");
    rotate.mutable_rotate_validator_key()->set_new_public_key(key.bytes);
    rotate.mutable_rotate_validator_key()->set_old_key_signature(Bytes(64, '\0'));
    rotate.mutable_rotate_validator_key()->set_new_key_signature(test::ForgedSignature());
    ExpectRefused(Check(rotate), key, "rotate_validator_key.new_public_key");

    for (auto kind : {v1::ValidatorChange::KIND_ADD, v1::ValidatorChange::KIND_UPDATE}) {
      v1::TxBody change = Body();
      v1::ValidatorInfo* info = change.mutable_propose_validator_change()->mutable_change()->mutable_validator();
      change.mutable_propose_validator_change()->mutable_change()->set_kind(kind);
      info->set_name("validator-9");
      info->set_public_key(key.bytes);
      info->set_address("127.0.0.1:1");
      ExpectRefused(Check(change), key, "validator key");
    }
  }
  // The same operations with a real key pass the check.
  v1::TxBody create = Body();
  create.mutable_create_account()->set_public_key(good);
  create.mutable_create_account()->set_role(v1::ROLE_USER);
  EXPECT_TRUE(Check(create).ok()) << Check(create).ToString();
}

v1::Transaction ForgedTransfer(const test::TestChain& chain, const crypto::PrivateKey& to) {
  return test::ForgedTransfer(chain.chain_id(), test::TestChain::AddressOf(to), 1'000);
}

// user-0's own transfer, signed by its key's holder with R = identity (small order).
v1::Transaction SmallOrderRTransfer(const test::TestChain& chain) {
  return test::WithSmallOrderR(chain.Transfer(chain.user(0), 1, chain.user(1), 5), test::SeedFromLabel("user-0"),
                               chain.chain_id());
}

TEST_F(StrictKeysTxTest, ForgeriesAreRefusedWithTheirReason) {
  for (const Bytes& key : test::SmallOrderKeys()) {
    v1::Transaction tx = ForgedTransfer(chain_, chain_.user(0));
    tx.set_public_key(key);
    auto checked = CheckTransaction(tx, chain_.chain_id());
    EXPECT_EQ(checked.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(checked.status().message().find("small order"), std::string::npos) << checked.status().ToString();
  }
  auto small_r = CheckTransaction(SmallOrderRTransfer(chain_), chain_.chain_id());
  EXPECT_EQ(small_r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(small_r.status().message().find("signature does not verify"), std::string::npos) << small_r.status().ToString();
}

// A Byzantine leader puts a forgery in an otherwise valid block: every replica's
// execution refuses the block, naming the transaction, and nothing changes.
TEST(StrictKeys, ABlockCarryingAForgeryIsRefused) {
  test::TestChain chain;
  auto ledger = Ledger::Open(std::make_unique<MemoryStore>(), chain.genesis()).value();
  google::protobuf::RepeatedPtrField<v1::Transaction> honest;
  *honest.Add() = chain.Transfer(chain.user(2), 1, chain.user(3), 5);
  BlockTemplate t;
  t.round = ledger->head_header().round() + 1;
  t.timestamp_ms = ledger->head_header().timestamp_ms() + 1;
  t.parent_qc = chain.HeadCertificate(*ledger).value();
  t.transactions = honest;
  auto proposed = ledger->ProposeBlock(t);
  ASSERT_TRUE(proposed.ok()) << proposed.status().ToString();
  const Hash root = ledger->state_root();

  for (const auto& [forgery, reason] : std::vector<std::pair<v1::Transaction, std::string>>{
           {ForgedTransfer(chain, chain.user(1)), "small order"},
           {SmallOrderRTransfer(chain), "signature does not verify"}}) {
    v1::Block block = proposed->block;
    *block.add_transactions() = forgery;
    auto executed = ledger->Execute(block);
    ASSERT_FALSE(executed.ok());
    EXPECT_NE(executed.status().message().find("transaction 1"), std::string::npos) << executed.status().ToString();
    EXPECT_NE(executed.status().message().find(reason), std::string::npos) << executed.status().ToString();
  }
  // An honest leader's template with the forgery (from its mempool, say): refused, or,
  // when the leader drops what is invalid, left out of the block.
  t.transactions.Add()->CopyFrom(ForgedTransfer(chain, chain.user(1)));
  EXPECT_NE(ledger->ProposeBlock(t).status().message().find("small order"), std::string::npos);
  t.drop_invalid_transactions = true;
  auto filtered = ledger->ProposeBlock(t);
  ASSERT_TRUE(filtered.ok()) << filtered.status().ToString();
  EXPECT_EQ(filtered->block.transactions_size(), 1);
  EXPECT_EQ(ledger->height(), 0u);
  EXPECT_EQ(ledger->state_root(), root);
}

}  // namespace
}  // namespace cairn::ledger
