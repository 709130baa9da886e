#include "node/token_signer.h"

#include <algorithm>

#include "crypto/secret_file.h"

namespace cairn::node {

Result<TokenAddress> TokenAddressOf(const v1::Pkcs11Config& config) {
  CAIRN_ASSIGN_OR_RETURN(std::string pin, crypto::ReadSecretFile(config.pin_file(), "PIN file"));
  while (!pin.empty() && (pin.back() == '\n' || pin.back() == '\r')) pin.pop_back();
  if (pin.empty()) return Status::InvalidArgument("PIN file " + config.pin_file() + " is empty");
  return TokenAddress{.module = config.module(), .token_label = config.token_label(), .pin = std::move(pin)};
}

Result<std::unique_ptr<TokenSigner>> TokenSigner::Open(const v1::Pkcs11Config& config, Clock clock) {
  std::unique_ptr<TokenSigner> signer(new TokenSigner(config, std::move(clock)));
  CAIRN_RETURN_IF_ERROR(signer->Connect());
  signer->public_key_ = signer->key_.public_key;
  return signer;
}

Status TokenSigner::Connect() {
  CAIRN_ASSIGN_OR_RETURN(TokenAddress address, TokenAddressOf(config_));
  if (refused_pin_ && *refused_pin_ == address.pin) {
    return Status::PermissionDenied("the token refused the PIN in " + config_.pin_file() +
                                    "; it is not offered again until that file changes");
  }
  auto token = Pkcs11Token::Open(address);
  if (!token.ok()) {
    if (token.status().code() == StatusCode::kPermissionDenied) refused_pin_ = address.pin;
    return token.status();
  }
  refused_pin_.reset();
  Bytes id;
  if (!config_.key_id().empty()) {
    CAIRN_ASSIGN_OR_RETURN(id, FromHex(config_.key_id()));
  }
  CAIRN_ASSIGN_OR_RETURN(key_, (*token)->FindKey(config_.key_label(), id));
  module_ = (*token)->module();
  token_ = std::move(token).value();
  return Status::Ok();
}

void TokenSigner::Close() {
  token_.reset();
  next_attempt_ = clock_() + backoff_;
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
}

Status TokenSigner::Reopen() {
  const auto now = clock_();
  if (now < next_attempt_) {
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_attempt_ - now);
    return Status::Unavailable("the token is closed after an error; the next attempt to open it is in " +
                               std::to_string(wait.count()) + " ms");
  }
  reopen_attempts_.fetch_add(1, std::memory_order_relaxed);
  Status connected = Connect();
  if (connected.ok() && key_.public_key != public_key_) {
    connected = Status::FailedPrecondition("the reopened token holds another key (" + key_.public_key.hex() +
                                           ") than the one this node signs with (" + public_key_.hex() + ")");
  }
  if (!connected.ok()) {
    Close();
    return connected.Annotate("reopening the token");
  }
  return Status::Ok();
}

Result<Bytes> TokenSigner::Sign(ByteView message) {
  if (token_ == nullptr) CAIRN_RETURN_IF_ERROR(Reopen());
  auto signature = token_->Sign(key_, message);
  if (signature.ok() && !public_key_.Verify(message, *signature)) {
    signature = Status::Internal("the token's signature does not verify under its own key " + public_key_.hex());
  }
  // Whatever went wrong (a lost session, a device gone, a bad signature), the next
  // signature starts from a new session, after the back-off.
  if (!signature.ok()) {
    Close();
    return signature;
  }
  backoff_ = kFirstBackoff;
  return signature;
}

}  // namespace cairn::node
