// Tampering with a store record by record, for the tests that show an audit covers
// every byte (audit_test.cc, base_audit_test.cc).
#pragma once

#include <algorithm>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "ledger/keys.h"
#include "ledger/kv_store.h"

namespace cairn::ledger {

// Every byte a node stores and may serve is covered: for each record of `store` but the
// safety record (this validator's own, never served) and the state-retention mark (which
// may lawfully sit above records a crash kept from deletion: audit.cc), a flipped bit at each of up to
// `max_places` places spread over it, the first and last among them (every place of a short record), and the record deleted, must each fail
// `audit`; so must a record the chain does not derive. Returns what went unnoticed, one
// line each ("" when nothing did), and counts the tries in `tries`.
inline std::string UnnoticedTampering(MemoryStore& store, const std::function<bool()>& audit_fails, int* tries,
                                      size_t max_places = 32) {
  std::vector<std::pair<Bytes, Bytes>> records;
  (void)store.Scan("", "", [&](ByteView key, ByteView value) {
    records.emplace_back(Bytes(key), Bytes(value));
    return true;
  });
  std::string unnoticed;
  auto expect_caught = [&](const std::string& what) {
    ++*tries;
    if (!audit_fails()) unnoticed += what + "\n";
  };
  for (const auto& [key, value] : records) {
    if (key == keys::kSafetyRecord || key == keys::kOldestStateVersion) continue;
    const size_t places = std::min<size_t>(value.size(), max_places);
    for (size_t k = 0; k < places; ++k) {
      const size_t at = value.size() <= max_places ? k : k * (value.size() - 1) / (max_places - 1);
      Bytes flipped = value;
      flipped[at] = static_cast<char>(flipped[at] ^ 0x01);
      store.TEST_Put(key, flipped);
      expect_caught("record " + ToHex(key) + ", byte " + std::to_string(at) + " of " + std::to_string(value.size()));
    }
    WriteBatch remove;
    remove.Delete(key);
    EXPECT_TRUE(store.Write(remove, Durability::kNoSync).ok());
    expect_caught("record " + ToHex(key) + " deleted");
    store.TEST_Put(key, value);
  }
  store.TEST_Put("x-not-derived", "stray");
  expect_caught("a record the chain does not derive");
  WriteBatch remove;
  remove.Delete("x-not-derived");
  EXPECT_TRUE(store.Write(remove, Durability::kNoSync).ok());
  return unnoticed;
}

}  // namespace cairn::ledger
