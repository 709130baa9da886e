// The state a block executes on, as maps (ledger::StateReader), for tests and fuzz
// targets that run the executor without a store; a block's changes applied in place.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>

#include "ledger/block_state.h"

namespace cairn::test {

class MapState : public ledger::StateReader {
 public:
  Result<std::optional<v1::Account>> GetAccount(ByteView address) const override {
    auto it = accounts.find(Bytes(address));
    return it == accounts.end() ? std::optional<v1::Account>() : std::optional<v1::Account>(it->second);
  }
  Result<std::optional<v1::AssetDefinition>> GetAsset(std::string_view name) const override {
    auto it = assets.find(std::string(name));
    return it == assets.end() ? std::optional<v1::AssetDefinition>() : std::optional<v1::AssetDefinition>(it->second);
  }
  Result<std::optional<v1::AccountRecord>> GetRecord(ByteView account, std::string_view key) const override {
    auto it = records.find({Bytes(account), std::string(key)});
    return it == records.end() ? std::optional<v1::AccountRecord>() : std::optional<v1::AccountRecord>(it->second);
  }
  void Apply(const ledger::StateChanges& changes) {
    for (const auto& [address, account] : changes.accounts) accounts[address] = account;
    for (const auto& [name, asset] : changes.assets) assets[name] = asset;
    for (const auto& [where, record] : changes.records) {
      if (record) {
        records[where] = *record;
      } else {
        records.erase(where);
      }
    }
  }

  std::map<Bytes, v1::Account> accounts;
  std::map<std::string, v1::AssetDefinition> assets;
  std::map<std::pair<Bytes, std::string>, v1::AccountRecord> records;
};

}  // namespace cairn::test
