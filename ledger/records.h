// Reading one record from the store: absent is NOT_FOUND (or nullopt), unparsable is
// CORRUPTION (the ledger wrote it, so a record that does not parse is damage).
#pragma once

#include <optional>
#include <string>

#include "crypto/status.h"
#include "ledger/kv_store.h"

namespace cairn::ledger {

template <typename T>
Result<T> ReadRecord(const KvStore& store, ByteView key, const std::string& what) {
  CAIRN_ASSIGN_OR_RETURN(auto bytes, store.Get(key));
  if (!bytes) return Status::NotFound(what + " not found");
  T record;
  if (!record.ParseFromString(*bytes)) return Status::Corruption(what + " does not parse");
  return record;
}

// A record holding one u64, big-endian (the base, the pruning marks: keys.h).
inline Result<std::optional<uint64_t>> ReadU64Record(const KvStore& store, ByteView key, const std::string& what) {
  CAIRN_ASSIGN_OR_RETURN(auto bytes, store.Get(key));
  if (!bytes) return std::optional<uint64_t>();
  if (bytes->size() != 8) return Status::Corruption(what + " is damaged");
  return std::optional<uint64_t>(ReadU64(*bytes));
}

}  // namespace cairn::ledger
