#include <gtest/gtest.h>

#include "crypto/domain.h"
#include "ledger/tx_check.h"
#include "tests/support/test_chain.h"

namespace cairn::ledger {
namespace {

class TxCheckTest : public ::testing::Test {
 protected:
  test::TestChain chain_;
  v1::Transaction Valid() { return chain_.Transfer(chain_.user(0), 1, chain_.user(1), 5); }
  StatusCode CodeOf(const v1::Transaction& tx) { return CheckTransaction(tx, chain_.chain_id()).status().code(); }
  v1::Transaction Resigned(const v1::TxBody& body) {
    return SignTransaction(chain_.user(0), body);
  }
  v1::TxBody ValidBody() {
    v1::TxBody body;
    body.ParseFromString(Valid().body());
    return body;
  }
};

TEST_F(TxCheckTest, AcceptsAValidTransfer) {
  auto checked = CheckTransaction(Valid(), chain_.chain_id());
  ASSERT_TRUE(checked.ok()) << checked.status().ToString();
  EXPECT_EQ(checked->sender, test::TestChain::AddressOf(chain_.user(0)));
  EXPECT_EQ(checked->body.nonce(), 1u);
  v1::Transaction tx = Valid();
  EXPECT_EQ(checked->hash, crypto::TxHash(chain_.chain_id(), tx.public_key(), tx.signature(), tx.body()));
}

TEST_F(TxCheckTest, RejectsBadSignatures) {
  v1::Transaction tx = Valid();
  tx.mutable_signature()->at(0) ^= 1;
  EXPECT_EQ(CodeOf(tx), StatusCode::kInvalidArgument);
  // A valid signature by another key.
  tx = Valid();
  tx.set_public_key(Bytes(chain_.user(1).public_key().bytes()));
  auto result = CheckTransaction(tx, chain_.chain_id());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find("signature"), std::string::npos);
  // A body changed after signing.
  tx = Valid();
  v1::TxBody body = ValidBody();
  body.mutable_transfer()->set_amount(500);
  tx.set_body(body.SerializeAsString());
  EXPECT_EQ(CodeOf(tx), StatusCode::kInvalidArgument);
}

TEST_F(TxCheckTest, RejectsWrongKeyAndSignatureLengths) {
  v1::Transaction tx = Valid();
  tx.set_public_key(tx.public_key().substr(0, 31));
  EXPECT_EQ(CodeOf(tx), StatusCode::kInvalidArgument);
  tx = Valid();
  tx.set_signature(tx.signature() + "x");
  EXPECT_EQ(CodeOf(tx), StatusCode::kInvalidArgument);
  tx = Valid();
  tx.clear_signature();
  EXPECT_EQ(CodeOf(tx), StatusCode::kInvalidArgument);
}

TEST_F(TxCheckTest, RejectsWrongChain) {
  v1::TxBody body = ValidBody();
  body.set_chain_id("other-chain");
  auto result = CheckTransaction(Resigned(body), chain_.chain_id());
  EXPECT_EQ(result.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(result.status().message().find("other-chain"), std::string::npos);
  // Signed for our chain id but carried to another chain: the signature domain differs.
  EXPECT_FALSE(CheckTransaction(Valid(), "other-chain").ok());
}

TEST_F(TxCheckTest, RejectsGarbageTruncatedAndOversizeBodies) {
  v1::Transaction tx = Valid();
  tx.set_body("\xff\xff\xff\xff garbage");
  EXPECT_EQ(CodeOf(tx), StatusCode::kInvalidArgument);
  tx = Valid();
  tx.set_body(tx.body().substr(0, tx.body().size() - 3));
  EXPECT_EQ(CodeOf(tx), StatusCode::kInvalidArgument);
  tx = Valid();
  tx.set_body(Bytes(kMaxTxBodyBytes + 1, 'x'));
  auto result = CheckTransaction(tx, chain_.chain_id());
  EXPECT_NE(result.status().message().find("limit"), std::string::npos);
  // Deeply nested unknown groups: must fail cleanly, not overflow the stack.
  Bytes nested;
  for (int i = 0; i < 100000; ++i) nested += "\x0b";  // start group, field 1
  tx = Valid();
  tx.set_body(nested.substr(0, kMaxTxBodyBytes));
  EXPECT_EQ(CodeOf(tx), StatusCode::kInvalidArgument);
}

TEST_F(TxCheckTest, RejectsUnknownFieldsAndMissingOperation) {
  v1::TxBody body = ValidBody();
  // Field 99 as a varint, appended to a valid encoding.
  v1::Transaction tx = SignTransaction(chain_.user(0), body);
  tx.set_body(body.SerializeAsString() + "\x98\x06\x01");
  tx.set_signature(chain_.user(0).Sign(
      crypto::DomainMessage(crypto::Purpose::kTransaction, chain_.chain_id(), tx.body())));
  auto unknown = CheckTransaction(tx, chain_.chain_id());
  EXPECT_NE(unknown.status().message().find("unknown fields"), std::string::npos) << unknown.status().ToString();
  body = ValidBody();
  body.clear_transfer();
  auto result = CheckTransaction(Resigned(body), chain_.chain_id());
  EXPECT_NE(result.status().message().find("no known operation"), std::string::npos);
}

TEST_F(TxCheckTest, RejectsMalformedOperations) {
  auto expect_invalid = [&](v1::TxBody body, const std::string& fragment) {
    auto result = CheckTransaction(Resigned(body), chain_.chain_id());
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument) << fragment;
    EXPECT_NE(result.status().message().find(fragment), std::string::npos) << result.status().ToString();
  };
  v1::TxBody body = ValidBody();
  body.mutable_transfer()->set_amount(0);
  expect_invalid(body, "greater than zero");
  body = ValidBody();
  body.mutable_transfer()->set_to("short");
  expect_invalid(body, "20-byte address");
  body = ValidBody();
  body.mutable_transfer()->set_asset("lowercase");
  expect_invalid(body, "asset name");
  body = ValidBody();
  body.mutable_transfer()->set_asset("");
  expect_invalid(body, "asset name");
  body = ValidBody();
  body.set_nonce(0);
  expect_invalid(body, "nonce");
  body = ValidBody();
  body.mutable_set_role()->set_account(test::TestChain::AddressOf(chain_.user(1)));
  body.mutable_set_role()->set_role(static_cast<v1::Role>(42));
  expect_invalid(body, "role");
  body = ValidBody();
  body.mutable_create_account()->set_public_key("tooshort");
  body.mutable_create_account()->set_role(v1::ROLE_USER);
  expect_invalid(body, "32 bytes");
}

}  // namespace
}  // namespace cairn::ledger
