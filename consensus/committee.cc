#include "consensus/committee.h"

namespace cairn::consensus {

Result<Committee> Committee::From(const v1::ValidatorSet& set) {
  if (set.validators().empty()) return Status::InvalidArgument("validator set is empty");
  Committee committee;
  committee.epoch_ = set.epoch();
  for (const auto& v : set.validators()) {
    auto key = crypto::PublicKey::FromBytes(v.public_key());
    if (!key.ok()) return key.status().Annotate("validator " + v.name());
    committee.keys_.push_back(*key);
  }
  return committee;
}

std::optional<uint32_t> Committee::IndexOf(const crypto::PublicKey& key) const {
  for (uint32_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == key) return i;
  }
  return std::nullopt;
}

}  // namespace cairn::consensus
