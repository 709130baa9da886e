// Reading one protobuf record from the store: absent is NOT_FOUND, unparsable is
// CORRUPTION (the ledger wrote it, so a record that does not parse is damage).
#pragma once

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

}  // namespace cairn::ledger
