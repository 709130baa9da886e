// The accounts a benchmark network funds in genesis (`cairn testnet --load-accounts A`)
// and the load generator signs for. Their keys come from public seeds, so the load
// generator needs no key files: anyone can sign for them, which is the point for a
// benchmark and why a real network must never fund them.
#pragma once

#include <cstdint>

#include "crypto/ed25519.h"

namespace cairn::load {

// Funds of each load account in genesis, in the asset kLoadAsset: enough for a
// benchmark's transfers of one unit each, however long it runs.
constexpr uint64_t kLoadAccountFunds = 1'000'000'000;
constexpr const char* kLoadAsset = "CAIRN";

// The key of load account `index`: seed = SHA-256("cairn-load-account/" || index).
crypto::PrivateKey LoadAccountKey(uint32_t index);

// The key of the `index`th account `cairn load --mode populate` creates:
// seed = SHA-256("cairn-bench-account/" || index).
crypto::PrivateKey CreatedAccountKey(uint64_t index);

}  // namespace cairn::load
