// Keys in a PKCS#11 token (node/pkcs11_token.h, node/token_signer.h), on a SoftHSM2 token
// store of the test's own, and through a module that fails on demand where SoftHSM2
// cannot be made to fail (tests/support/faulty_pkcs11.cc).
#include <gtest/gtest.h>

#include <cstdio>

#include "node/pkcs11_token.h"
#include "node/token_signer.h"
#include "tests/support/softhsm.h"

namespace cairn::node {
namespace {

class TokenTest : public ::testing::Test {
 protected:
  TokenTest() { EXPECT_TRUE(hsm_.MakeToken("validator", "4321").ok()); }

  TokenAddress Address(const std::string& pin = "4321") const {
    return {.module = test::kSoftHsmModule, .token_label = "validator", .pin = pin};
  }
  // The node's config of a key labelled "consensus" in the token, through `module`.
  v1::Pkcs11Config Config(const std::string& module) {
    v1::Pkcs11Config config;
    config.set_module(module);
    config.set_token_label("validator");
    config.set_key_label("consensus");
    config.set_pin_file(hsm_.WritePinFile("pin", "4321"));
    return config;
  }
  crypto::PublicKey MakeKey() {
    auto token = Pkcs11Token::Open(Address());
    EXPECT_TRUE(token.ok()) << token.status().ToString();
    return (*token)->GenerateKey("consensus", "\x07").value().public_key;
  }

  test::SoftHsm hsm_;
};

TEST_F(TokenTest, AKeyMadeInTheTokenSignsWhatItsPublicKeyVerifies) {
  auto token = Pkcs11Token::Open(Address());
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  auto key = (*token)->GenerateKey("consensus", "\x07");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  auto signature = (*token)->Sign(*key, "a vote");
  ASSERT_TRUE(signature.ok()) << signature.status().ToString();
  EXPECT_TRUE(key->public_key.Verify("a vote", *signature));
  EXPECT_FALSE(key->public_key.Verify("another vote", *signature));
  // Found again by label and by id, with the same public key.
  EXPECT_EQ((*token)->FindKey("consensus", {}).value().public_key, key->public_key);
  EXPECT_EQ((*token)->FindKey("", "\x07").value().public_key, key->public_key);
  EXPECT_EQ((*token)->GenerateKey("consensus", "\x08").status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ((*token)->FindKey("nothing", {}).status().code(), StatusCode::kNotFound);
}

TEST_F(TokenTest, AWrongPinOrLabelIsRefusedWithTheReason) {
  auto wrong_pin = Pkcs11Token::Open(Address("9999"));
  EXPECT_EQ(wrong_pin.status().code(), StatusCode::kPermissionDenied) << wrong_pin.status().ToString();
  EXPECT_NE(wrong_pin.status().message().find("CKR_PIN_INCORRECT"), std::string::npos);
  TokenAddress missing = Address();
  missing.token_label = "elsewhere";
  auto no_token = Pkcs11Token::Open(missing);
  EXPECT_EQ(no_token.status().code(), StatusCode::kNotFound);
  EXPECT_NE(no_token.status().message().find("'elsewhere'"), std::string::npos);
  TokenAddress no_module = Address();
  no_module.module = "/nonexistent/module.so";
  EXPECT_EQ(Pkcs11Token::Open(no_module).status().code(), StatusCode::kNotFound);
}

TEST_F(TokenTest, APinFileOthersCanReadIsRefused) {
  MakeKey();
  v1::Pkcs11Config config = Config(test::kSoftHsmModule);
  config.set_pin_file(hsm_.WritePinFile("open-pin", "4321", 0644));
  auto signer = TokenSigner::Open(config);
  EXPECT_EQ(signer.status().code(), StatusCode::kFailedPrecondition) << signer.status().ToString();
  EXPECT_NE(signer.status().message().find("chmod 600"), std::string::npos);
}

TEST_F(TokenTest, TheSignerOpensTheTokenAgainAfterItFailsAndBacksOffWhileItCannot) {
  const crypto::PublicKey key = MakeKey();
  auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  auto signer = TokenSigner::Open(Config(CAIRN_FAULTY_PKCS11), [&] { return now; });
  ASSERT_TRUE(signer.ok()) << signer.status().ToString();
  EXPECT_EQ((*signer)->public_key(), key);
  EXPECT_TRUE(key.Verify("m1", (*signer)->Sign("m1").value()));

  hsm_.SetMode("validator", "fail");  // the device is gone
  auto lost = (*signer)->Sign("m2");
  EXPECT_EQ(lost.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(lost.status().message().find("CKR_DEVICE_REMOVED"), std::string::npos);
  EXPECT_FALSE((*signer)->Sign("m3").ok());  // within the first back-off: no attempt
  EXPECT_EQ((*signer)->reopen_attempts(), 0u);
  now += TokenSigner::kFirstBackoff;
  EXPECT_FALSE((*signer)->Sign("m4").ok());  // an attempt to open it again, which fails
  EXPECT_EQ((*signer)->reopen_attempts(), 1u);
  now += TokenSigner::kFirstBackoff;  // the back-off doubled: not yet
  EXPECT_FALSE((*signer)->Sign("m5").ok());
  EXPECT_EQ((*signer)->reopen_attempts(), 1u);
  now += TokenSigner::kFirstBackoff;
  EXPECT_FALSE((*signer)->Sign("m6").ok());
  EXPECT_EQ((*signer)->reopen_attempts(), 2u);

  hsm_.SetMode("validator", "ok");  // the device is back
  now += TokenSigner::kMaxBackoff;
  auto back = (*signer)->Sign("m7");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(key.Verify("m7", *back));
  EXPECT_EQ((*signer)->reopen_attempts(), 3u);
}

TEST_F(TokenTest, APinTheTokenRefusedIsNotOfferedAgainUntilTheFileChanges) {
  MakeKey();
  auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  v1::Pkcs11Config config = Config(CAIRN_FAULTY_PKCS11);
  auto signer = TokenSigner::Open(config, [&] { return now; });
  ASSERT_TRUE(signer.ok()) << signer.status().ToString();
  hsm_.SetMode("validator", "close");  // the session goes; the operator changed the PIN file wrongly
  EXPECT_FALSE((*signer)->Sign("m1").ok());
  hsm_.SetMode("validator", "ok");
  std::remove(config.pin_file().c_str());
  hsm_.WritePinFile("pin", "1111");
  now += TokenSigner::kFirstBackoff;
  auto refused = (*signer)->Sign("m2");
  EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("CKR_PIN_INCORRECT"), std::string::npos);
  now += TokenSigner::kMaxBackoff;
  auto again = (*signer)->Sign("m3");
  EXPECT_NE(again.status().message().find("not offered again"), std::string::npos) << again.status().ToString();
  std::remove(config.pin_file().c_str());
  hsm_.WritePinFile("pin", "4321");  // fixed, without a restart
  now += TokenSigner::kMaxBackoff;
  auto fixed = (*signer)->Sign("m4");
  EXPECT_TRUE(fixed.ok()) << fixed.status().ToString();
}

TEST_F(TokenTest, ASignatureThatDoesNotVerifyClosesTheSession) {
  const crypto::PublicKey key = MakeKey();
  auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  auto signer = TokenSigner::Open(Config(CAIRN_FAULTY_PKCS11), [&] { return now; });
  ASSERT_TRUE(signer.ok()) << signer.status().ToString();
  hsm_.SetMode("validator", "corrupt");
  auto bad = (*signer)->Sign("m1");
  EXPECT_EQ(bad.status().code(), StatusCode::kInternal);
  EXPECT_NE(bad.status().message().find("does not verify"), std::string::npos);
  hsm_.SetMode("validator", "ok");
  EXPECT_FALSE((*signer)->Sign("m2").ok());  // closed, within the back-off
  now += TokenSigner::kFirstBackoff;
  auto good = (*signer)->Sign("m3");
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_TRUE(key.Verify("m3", *good));
  EXPECT_EQ((*signer)->reopen_attempts(), 1u);
}

TEST_F(TokenTest, ASessionLostUnderTheSignerIsOpenedAgain) {
  const crypto::PublicKey key = MakeKey();
  auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  auto signer = TokenSigner::Open(Config(CAIRN_FAULTY_PKCS11), [&] { return now; });
  ASSERT_TRUE(signer.ok()) << signer.status().ToString();
  hsm_.SetMode("validator", "close");  // the session is closed under the signer
  auto lost = (*signer)->Sign("m1");
  EXPECT_NE(lost.status().message().find("CKR_SESSION_HANDLE_INVALID"), std::string::npos) << lost.status().ToString();
  hsm_.SetMode("validator", "ok");
  now += TokenSigner::kFirstBackoff;
  auto again = (*signer)->Sign("m2");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(key.Verify("m2", *again));
  EXPECT_EQ((*signer)->reopen_attempts(), 1u);
}

}  // namespace
}  // namespace cairn::node
