// A validator's consensus key in a PKCS#11 token, as a crypto::Signer.
//
// Open reads the PIN file (a key file's permission rules), logs in and finds the key;
// an error there stops the node's start with the reason (a wrong PIN, label or
// module is an operator's mistake to fix now). Once running, a failed signature (the
// token's error, or a signature that does not verify under the token's key) closes the
// session; the next Sign opens it again, no sooner than a back-off after the failure
// (100 ms, doubling while failures go on, at most 5 s; reset by a good signature), and
// every Sign in between fails at once, so that a token that is gone costs nothing. The
// PIN file is read again at each reopening, so an operator who fixes it needs no
// restart; a PIN the token refused is not offered again until the file changes (HSMs
// lock a PIN after a few wrong tries). A reopened token must hold the same public key,
// or it is not used. The module stays loaded and initialised for the signer's life.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include "cairn/v1/config.pb.h"
#include "crypto/signer.h"
#include "node/pkcs11_token.h"

namespace cairn::node {

class TokenSigner : public crypto::Signer {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  static Result<std::unique_ptr<TokenSigner>> Open(const v1::Pkcs11Config& config, Clock clock = DefaultClock);

  const crypto::PublicKey& public_key() const override { return public_key_; }
  // One thread at a time (the signer's).
  Result<Bytes> Sign(ByteView message) override;

  // Attempts to open the token again after an error, successful or not (any thread).
  uint64_t reopen_attempts() const { return reopen_attempts_.load(std::memory_order_relaxed); }

  static constexpr std::chrono::milliseconds kFirstBackoff{100};
  static constexpr std::chrono::milliseconds kMaxBackoff{5000};

 private:
  TokenSigner(v1::Pkcs11Config config, Clock clock) : config_(std::move(config)), clock_(std::move(clock)) {}
  static std::chrono::steady_clock::time_point DefaultClock() { return std::chrono::steady_clock::now(); }
  // Reads the PIN, opens the token, finds the key.
  Status Connect();
  Status Reopen();
  // The session is closed after an error: the next attempt waits out the back-off.
  void Close();

  const v1::Pkcs11Config config_;
  const Clock clock_;
  crypto::PublicKey public_key_;
  std::shared_ptr<Pkcs11Module> module_;  // kept for the signer's life, not only a session's
  std::unique_ptr<Pkcs11Token> token_;    // null while closed after an error
  TokenKey key_;
  std::optional<std::string> refused_pin_;  // the PIN the token refused, until the file changes
  std::chrono::steady_clock::time_point next_attempt_{};
  std::chrono::milliseconds backoff_ = kFirstBackoff;
  std::atomic<uint64_t> reopen_attempts_{0};
};

// The key a token config names, the PIN read from its file: what `cairn keygen --pkcs11`
// and the node share.
Result<TokenAddress> TokenAddressOf(const v1::Pkcs11Config& config);

}  // namespace cairn::node
