// The state a block executes on, as its transactions see it: the changes of the block's
// earlier transactions over the state before the block, in two layers so that a
// transaction of several operations applies all of them or none (Commit or Rollback).
// Deterministic: ordered containers only (architecture rule 6).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cairn/v1/state.pb.h"
#include "crypto/bytes.h"
#include "crypto/status.h"

namespace cairn::ledger {

// Read access to the state before the block (a version of the state tree).
class StateReader {
 public:
  virtual ~StateReader() = default;
  // nullopt when absent; an error only when the read failed.
  virtual Result<std::optional<v1::Account>> GetAccount(ByteView address) const = 0;
  virtual Result<std::optional<v1::AssetDefinition>> GetAsset(std::string_view name) const = 0;
  virtual Result<std::optional<v1::AccountRecord>> GetRecord(ByteView account, std::string_view key) const = 0;
};

// A record written by a transaction: what the record history index keeps.
struct RecordWrite {
  Bytes account;
  std::string key;
  std::optional<Bytes> value;  // nullopt: deleted
  Bytes writer;
  uint32_t index = 0;  // the transaction's position in the block
};

// The changes of a block: each entry's last value (nullopt: removed) by its key.
struct StateChanges {
  std::map<Bytes, v1::Account> accounts;
  std::map<std::string, v1::AssetDefinition> assets;
  std::map<std::pair<Bytes, std::string>, std::optional<v1::AccountRecord>> records;
  std::vector<RecordWrite> record_writes;  // in execution order
};

class BlockState {
 public:
  explicit BlockState(const StateReader& base) : base_(base) {}

  Result<std::optional<v1::Account>> Account(const Bytes& address) const {
    if (const auto* v = Find(tx_.accounts, block_.accounts, address)) return std::optional<v1::Account>(*v);
    return base_.GetAccount(address);
  }
  Result<std::optional<v1::AssetDefinition>> Asset(const std::string& name) const {
    if (const auto* v = Find(tx_.assets, block_.assets, name)) return std::optional<v1::AssetDefinition>(*v);
    return base_.GetAsset(name);
  }
  Result<std::optional<v1::AccountRecord>> Record(const Bytes& account, const std::string& key) const {
    if (const auto* v = Find(tx_.records, block_.records, std::pair(account, key))) return *v;
    return base_.GetRecord(account, key);
  }

  void Put(const v1::Account& account) { tx_.accounts[account.address()] = account; }
  void Put(const v1::AssetDefinition& asset) { tx_.assets[asset.name()] = asset; }
  // `record` nullopt removes it; `write` is what the history index records.
  void PutRecord(RecordWrite write, std::optional<v1::AccountRecord> record) {
    tx_.records[{write.account, write.key}] = std::move(record);
    tx_.record_writes.push_back(std::move(write));
  }

  // The current transaction's changes become the block's.
  void Commit() {
    Merge(tx_.accounts, block_.accounts);
    Merge(tx_.assets, block_.assets);
    Merge(tx_.records, block_.records);
    for (auto& write : tx_.record_writes) block_.record_writes.push_back(std::move(write));
    tx_ = {};
  }
  // The current transaction's changes are dropped.
  void Rollback() { tx_ = {}; }

  // The block's changes (after the last Commit).
  StateChanges TakeChanges() { return std::move(block_); }

 private:
  template <typename Map, typename Key>
  static const typename Map::mapped_type* Find(const Map& tx, const Map& block, const Key& key) {
    if (auto it = tx.find(key); it != tx.end()) return &it->second;
    if (auto it = block.find(key); it != block.end()) return &it->second;
    return nullptr;
  }
  template <typename Map>
  static void Merge(Map& from, Map& into) {
    for (auto& [key, value] : from) into.insert_or_assign(key, std::move(value));
  }

  const StateReader& base_;
  StateChanges block_;
  StateChanges tx_;
};

}  // namespace cairn::ledger
