#include "node/consensus_keys.h"

#include "node/log.h"

namespace cairn::node {

Result<std::unique_ptr<ConsensusKeys>> ConsensusKeys::Open(const v1::NodeConfig& config,
                                                           const crypto::PrivateKey& node_key) {
  std::unique_ptr<ConsensusKeys> keys(new ConsensusKeys(config.key_file(), node_key));
  if (config.has_consensus_token()) {
    const v1::Pkcs11Config& token = config.consensus_token();
    auto opened = TokenSigner::Open(token);
    if (!opened.ok()) return opened.status().Annotate("consensus_token (token '" + token.token_label() + "')");
    keys->token_ = std::move(opened).value();
    LogInfo("consensus", "token '" + token.token_label() + "' holds consensus key " + keys->token_->public_key().hex());
  }
  return keys;
}

ConsensusKeys::Choice ConsensusKeys::For(const crypto::PublicKey& consensus_key) {
  if (token_ && token_->public_key() == consensus_key) return {.token = token_.get()};
  if (node_key_.public_key() == consensus_key) return {.key = &node_key_};
  if (rotated_ && rotated_->public_key() == consensus_key) return {.key = rotated_.get()};
  // The set names a rotated key for this validator: it takes effect now, from the file
  // the operator put next to the node key (no restart).
  const std::string next = key_file_ + ".next";
  auto loaded = crypto::PrivateKey::ReadFile(next);
  if (loaded.ok() && loaded->public_key() == consensus_key) {
    rotated_ = std::make_unique<crypto::PrivateKey>(std::move(loaded).value());
    LogInfo("consensus", "signing with the rotated consensus key " + consensus_key.hex().substr(0, 16) + " from " + next);
    return {.key = rotated_.get()};
  }
  LogError("consensus", "the validator set names consensus key " + consensus_key.hex() + " for this node, and neither " +
                            key_file_ + ", " + next + (token_ ? " nor the token" : "") + " holds it" +
                            (loaded.ok() ? "" : " (" + loaded.status().ToString() + ")") + ": following without voting");
  return {};
}

}  // namespace cairn::node
