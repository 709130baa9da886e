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
  CAIRN_ASSIGN_OR_RETURN(auto token, Pkcs11Token::Open(address));
  Bytes id;
  if (!config_.key_id().empty()) {
    CAIRN_ASSIGN_OR_RETURN(id, FromHex(config_.key_id()));
  }
  CAIRN_ASSIGN_OR_RETURN(key_, token->FindKey(config_.key_label(), id));
  token_ = std::move(token);
  return Status::Ok();
}

Status TokenSigner::Reopen() {
  const auto now = clock_();
  if (now < next_attempt_) {
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_attempt_ - now);
    return Status::Unavailable("the token is closed after an error; the next attempt to open it is in " +
                               std::to_string(wait.count()) + " ms");
  }
  ++reopen_attempts_;
  Status connected = Connect();
  if (connected.ok() && key_.public_key != public_key_) {
    token_.reset();
    connected = Status::FailedPrecondition("the reopened token holds another key (" + key_.public_key.hex() +
                                           ") than the one this node signs with (" + public_key_.hex() + ")");
  }
  if (!connected.ok()) {
    next_attempt_ = now + backoff_;
    backoff_ = std::min(backoff_ * 2, kMaxBackoff);
    return connected.Annotate("reopening the token");
  }
  backoff_ = kFirstBackoff;
  return Status::Ok();
}

Result<Bytes> TokenSigner::Sign(ByteView message) {
  if (token_ == nullptr) CAIRN_RETURN_IF_ERROR(Reopen());
  auto signature = token_->Sign(key_, message);
  // Whatever went wrong (a lost session, a device gone), the next signature starts from
  // a new session.
  if (!signature.ok()) token_.reset();
  return signature;
}

}  // namespace cairn::node
