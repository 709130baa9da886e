// The validator set of one epoch as consensus uses it: keys by index and quorum size.
#pragma once

#include <optional>
#include <vector>

#include "cairn/v1/state.pb.h"
#include "crypto/ed25519.h"
#include "crypto/quorum.h"

namespace cairn::consensus {

class Committee {
 public:
  // Fails on an empty set or a key that is not 32 bytes.
  static Result<Committee> From(const v1::ValidatorSet& set);

  uint64_t epoch() const { return epoch_; }
  size_t size() const { return keys_.size(); }
  // n - f: any two quorums share at least one honest validator.
  size_t quorum() const { return crypto::QuorumSize(keys_.size()); }
  // f + 1: at least one of them is honest.
  size_t validity() const { return crypto::MaxFaulty(keys_.size()) + 1; }
  const std::vector<crypto::PublicKey>& keys() const { return keys_; }
  bool Contains(uint32_t index) const { return index < keys_.size(); }
  const crypto::PublicKey& key(uint32_t index) const { return keys_.at(index); }
  // The index of `key`, or nothing when it is not a validator of this set.
  std::optional<uint32_t> IndexOf(const crypto::PublicKey& key) const;

 private:
  uint64_t epoch_ = 0;
  std::vector<crypto::PublicKey> keys_;
};

}  // namespace cairn::consensus
