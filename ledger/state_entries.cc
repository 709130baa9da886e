#include "ledger/state_entries.h"

#include "crypto/domain.h"

namespace cairn::ledger {

namespace {

template <typename T>
Result<std::optional<T>> Parsed(const StateTree& tree, const Hash& key, std::string_view what) {
  CAIRN_ASSIGN_OR_RETURN(auto bytes, tree.Get(key));
  if (!bytes) return std::optional<T>();
  T value;
  if (!value.ParseFromString(*bytes)) return Status::Corruption(std::string(what) + " does not parse");
  return std::optional<T>(std::move(value));
}

}  // namespace

Hash AssetStateKey(std::string_view name) { return crypto::DomainHash(crypto::Purpose::kAssetKey, "", name); }

Hash RecordStateKey(ByteView account, std::string_view key) {
  Bytes payload(account);
  payload.append(key);
  return crypto::DomainHash(crypto::Purpose::kRecordKey, "", payload);
}

Result<std::optional<v1::Account>> AccountIn(const StateTree& tree, ByteView address) {
  return Parsed<v1::Account>(tree, StateKey(address), "the account " + ToHex(address));
}

Result<std::optional<v1::AssetDefinition>> AssetIn(const StateTree& tree, std::string_view name) {
  return Parsed<v1::AssetDefinition>(tree, AssetStateKey(name), "the definition of asset " + std::string(name));
}

Result<std::optional<v1::AccountRecord>> RecordIn(const StateTree& tree, ByteView account, std::string_view key) {
  return Parsed<v1::AccountRecord>(tree, RecordStateKey(account, key),
                                   "the record " + std::string(key) + " of " + ToHex(account));
}

}  // namespace cairn::ledger
