// The signer's thread (node/consensus_signer.h): it signs, checks each signature against
// the key the validator set names before the message may leave, and never queues more
// than its bound when the token stops answering.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "node/consensus_signer.h"
#include "node/token_signer.h"
#include "tests/support/softhsm.h"

namespace cairn::node {
namespace {

// A token that signs with a key in memory once `release` is called.
class HeldSigner : public crypto::Signer {
 public:
  explicit HeldSigner(const crypto::PrivateKey& key) : key_(key) {}
  const crypto::PublicKey& public_key() const override { return key_.public_key(); }
  Result<Bytes> Sign(ByteView message) override {
    std::unique_lock lock(mu_);
    ++entered_;
    released_.notify_all();
    released_.wait(lock, [&] { return released; });
    return key_.Sign(message);
  }
  // Waits until the signer's thread is inside Sign.
  bool WaitUntilEntered() {
    std::unique_lock lock(mu_);
    return released_.wait_for(lock, std::chrono::seconds(10), [&] { return entered_ > 0; });
  }
  void Release() {
    std::lock_guard lock(mu_);
    released = true;
    released_.notify_all();
  }

 private:
  const crypto::PrivateKey& key_;
  std::mutex mu_;
  std::condition_variable released_;
  bool released = false;
  int entered_ = 0;
};

// Collects what the signer reports.
struct Results {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<ConsensusSigner::Signed> signed_messages;
  ConsensusSigner::Done Callback() {
    return [this](ConsensusSigner::Signed s) {
      std::lock_guard lock(mu);
      signed_messages.push_back(std::move(s));
      cv.notify_all();
    };
  }
  bool WaitFor(size_t n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(10), [&] { return signed_messages.size() >= n; });
  }
};

consensus::SignAction VoteToSign(uint64_t round) {
  consensus::SignAction action;
  action.message.mutable_vote()->set_round(round);
  action.statement = "vote statement of round " + std::to_string(round);
  return action;
}

TEST(ConsensusSignerTest, SignsInOrderAndPutsTheCheckedSignatureInTheMessage) {
  const crypto::PrivateKey key = crypto::PrivateKey::FromSeed(std::string(32, 'k')).value();
  auto token = std::make_shared<HeldSigner>(key);
  Results results;
  ConsensusSigner signer(token, results.Callback());
  for (uint64_t round = 1; round <= 3; ++round) signer.Submit(7, VoteToSign(round), key.public_key());
  token->Release();
  ASSERT_TRUE(results.WaitFor(3));
  for (uint64_t i = 0; i < 3; ++i) {
    const ConsensusSigner::Signed& s = results.signed_messages[i];
    ASSERT_TRUE(s.status.ok()) << s.status.ToString();
    EXPECT_EQ(s.generation, 7u);
    EXPECT_EQ(s.message.vote().round(), i + 1);
    EXPECT_TRUE(key.public_key().Verify(VoteToSign(i + 1).statement, s.message.vote().signature()));
  }
}

// A token whose first `failures` signatures fail, as after a lost session.
class FlakySigner : public crypto::Signer {
 public:
  FlakySigner(const crypto::PrivateKey& key, int failures) : key_(key), failures_(failures) {}
  const crypto::PublicKey& public_key() const override { return key_.public_key(); }
  Result<Bytes> Sign(ByteView message) override {
    if (calls_++ < failures_) return Status::Unavailable("the token's session was lost");
    return key_.Sign(message);
  }
  int calls() const { return calls_; }

 private:
  const crypto::PrivateKey& key_;
  const int failures_;
  std::atomic<int> calls_{0};
};

TEST(ConsensusSignerTest, AFailedSignatureIsTriedOnceMoreAfterTheTokensBackOff) {
  const crypto::PrivateKey key = crypto::PrivateKey::FromSeed(std::string(32, 'k')).value();
  auto once = std::make_shared<FlakySigner>(key, 1);
  auto twice = std::make_shared<FlakySigner>(key, 2);
  Results recovered, failed;
  {
    ConsensusSigner after_one(once, recovered.Callback());
    ConsensusSigner after_two(twice, failed.Callback());
    after_one.Submit(1, VoteToSign(1), key.public_key());
    after_one.Submit(1, VoteToSign(2), key.public_key());
    after_two.Submit(1, VoteToSign(1), key.public_key());
    ASSERT_TRUE(recovered.WaitFor(2));
    ASSERT_TRUE(failed.WaitFor(1));
  }
  // One failure: signed, a back-off late, and still in the order asked.
  ASSERT_TRUE(recovered.signed_messages[0].status.ok()) << recovered.signed_messages[0].status.ToString();
  EXPECT_EQ(recovered.signed_messages[0].message.vote().round(), 1u);
  EXPECT_GE(recovered.signed_messages[0].took, ConsensusSigner::kRetryAfter);
  EXPECT_TRUE(key.public_key().Verify(VoteToSign(1).statement, recovered.signed_messages[0].message.vote().signature()));
  EXPECT_EQ(recovered.signed_messages[1].message.vote().round(), 2u);
  EXPECT_EQ(once->calls(), 3);
  // Two in a row: reported, after exactly one retry.
  EXPECT_EQ(failed.signed_messages[0].status.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(failed.signed_messages[0].message.vote().signature().empty());
  EXPECT_EQ(twice->calls(), 2);
}

TEST(ConsensusSignerTest, AStuckTokenFillsTheQueueOnlyToItsBound) {
  const crypto::PrivateKey key = crypto::PrivateKey::FromSeed(std::string(32, 'k')).value();
  auto token = std::make_shared<HeldSigner>(key);
  Results results;
  ConsensusSigner signer(token, results.Callback());
  // One in the token's hands, kMaxQueued waiting: the next ones fail at once.
  signer.Submit(1, VoteToSign(1), key.public_key());
  ASSERT_TRUE(token->WaitUntilEntered());
  for (uint64_t round = 2; round <= ConsensusSigner::kMaxQueued + 3; ++round) {
    signer.Submit(1, VoteToSign(round), key.public_key());
  }
  ASSERT_TRUE(results.WaitFor(2));
  {
    std::lock_guard lock(results.mu);
    for (const auto& s : results.signed_messages) EXPECT_EQ(s.status.code(), StatusCode::kResourceExhausted);
  }
  token->Release();
  ASSERT_TRUE(results.WaitFor(ConsensusSigner::kMaxQueued + 3));
  std::lock_guard lock(results.mu);
  EXPECT_EQ(std::count_if(results.signed_messages.begin(), results.signed_messages.end(),
                          [](const auto& s) { return s.status.ok(); }),
            static_cast<long>(ConsensusSigner::kMaxQueued + 1));
}

TEST(ConsensusSignerTest, ASignatureUnderAnotherKeyNeverReachesTheMessage) {
  const crypto::PrivateKey key = crypto::PrivateKey::FromSeed(std::string(32, 'k')).value();
  const crypto::PrivateKey named = crypto::PrivateKey::FromSeed(std::string(32, 'n')).value();
  auto token = std::make_shared<HeldSigner>(key);
  token->Release();
  Results results;
  ConsensusSigner signer(token, results.Callback());
  signer.Submit(1, VoteToSign(1), named.public_key());
  ASSERT_TRUE(results.WaitFor(1));
  EXPECT_EQ(results.signed_messages[0].status.code(), StatusCode::kInternal);
  EXPECT_TRUE(results.signed_messages[0].message.vote().signature().empty());
}

TEST(ConsensusSignerTest, ATokenThatCorruptsItsSignatureIsCaught) {
  test::SoftHsm hsm;
  ASSERT_TRUE(hsm.MakeToken("validator", "4321").ok());
  v1::Pkcs11Config config;
  config.set_module(CAIRN_FAULTY_PKCS11);
  config.set_token_label("validator");
  config.set_key_label("consensus");
  config.set_pin_file(hsm.WritePinFile("pin", "4321"));
  {
    auto token = Pkcs11Token::Open({.module = test::kSoftHsmModule, .token_label = "validator", .pin = "4321"});
    ASSERT_TRUE(token.ok());
    ASSERT_TRUE((*token)->GenerateKey("consensus", "\x01").ok());
  }
  auto opened = TokenSigner::Open(config);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::shared_ptr<TokenSigner> token = std::move(opened).value();
  Results results;
  ConsensusSigner signer(token, results.Callback());
  signer.Submit(1, VoteToSign(1), token->public_key());
  ASSERT_TRUE(results.WaitFor(1));
  EXPECT_TRUE(results.signed_messages[0].status.ok()) << results.signed_messages[0].status.ToString();
  hsm.SetMode("validator", "corrupt");
  signer.Submit(1, VoteToSign(2), token->public_key());
  ASSERT_TRUE(results.WaitFor(2));
  EXPECT_EQ(results.signed_messages[1].status.code(), StatusCode::kInternal);
  EXPECT_NE(results.signed_messages[1].status.message().find("does not verify"), std::string::npos);
}

TEST(ConsensusSignerTest, AHungTokenDoesNotKeepTheSignerFromStopping) {
  const crypto::PrivateKey key = crypto::PrivateKey::FromSeed(std::string(32, 'k')).value();
  auto token = std::make_shared<HeldSigner>(key);
  auto results = std::make_shared<Results>();
  auto signer = std::make_unique<ConsensusSigner>(token, results->Callback());
  signer->Submit(1, VoteToSign(1), key.public_key());
  ASSERT_TRUE(token->WaitUntilEntered());
  const auto start = std::chrono::steady_clock::now();
  signer.reset();  // waits kStopWait, then leaves the thread to the token
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, ConsensusSigner::kStopWait - std::chrono::milliseconds(100));
  EXPECT_LT(took, ConsensusSigner::kStopWait + std::chrono::seconds(2));
  token->Release();  // the token answers after all: nothing is reported any more
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::lock_guard lock(results->mu);
  EXPECT_TRUE(results->signed_messages.empty());
}

}  // namespace
}  // namespace cairn::node
