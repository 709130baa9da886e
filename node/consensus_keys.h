// Which key signs this validator's consensus messages: the one the validator set names
// for it, wherever the operator put it.
//   - the node key file (the key a validator starts with; it also identifies the node's
//     links and TLS, and stays a file);
//   - KEY_FILE.next, a key rotated to with `cairn rotate-key` (picked up when the set
//     starts naming it, with no restart);
//   - a PKCS#11 token (config consensus_token), opened at start.
// The two files sign in place, on the core thread (16 us); the token signs on the
// signer's thread (node/consensus_signer.h).
#pragma once

#include <memory>
#include <string>

#include "cairn/v1/config.pb.h"
#include "crypto/ed25519.h"
#include "node/token_signer.h"

namespace cairn::node {

class ConsensusKeys {
 public:
  // Opens the token when the config names one: a token that cannot be opened, or a key
  // it does not hold, stops the start with the reason.
  static Result<std::unique_ptr<ConsensusKeys>> Open(const v1::NodeConfig& config, const crypto::PrivateKey& node_key);

  // Where the signatures under `consensus_key` come from; neither (logged) when this
  // node holds no such key: it then follows without voting.
  struct Choice {
    const crypto::PrivateKey* key = nullptr;
    crypto::Signer* token = nullptr;
  };
  Choice For(const crypto::PublicKey& consensus_key);

  // Shared with the signer's thread, which may outlive the node when the token hangs.
  const std::shared_ptr<TokenSigner>& token() const { return token_; }

 private:
  ConsensusKeys(std::string key_file, const crypto::PrivateKey& node_key) : key_file_(std::move(key_file)), node_key_(node_key) {}

  const std::string key_file_;
  const crypto::PrivateKey& node_key_;
  std::unique_ptr<crypto::PrivateKey> rotated_;  // from KEY_FILE.next, once the set names it
  std::shared_ptr<TokenSigner> token_;
};

}  // namespace cairn::node
