// The load generator's transactions, all signed before the measured window, in rounds
// over the load accounts (round r gives every account its next nonce), so that many
// nonce chains run side by side: transfers of one unit from each load account to the
// next, or account creations (populating a chain with accounts).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "cairn/v1/api.pb.h"
#include "crypto/bytes.h"

namespace cairn::load {

struct SignedTransfer {
  v1::SubmitRequest request;  // sent as it is, without a copy
  Hash hash{};                // crypto::TxHash: how the block stream names it
  uint32_t account = 0;       // index of the sending load account
};

struct Workload {
  std::vector<SignedTransfer> txs;                  // in submission order
  std::unordered_map<Hash, uint32_t, HashHasher> index;  // hash -> position in txs
};

// `count` transfers over the load accounts, whose committed nonces are `nonces` (one
// per account), signed on `threads` threads.
Workload SignTransfers(const std::string& chain_id, const std::vector<uint64_t>& nonces, size_t count, unsigned threads);

// `count` account creations by the load accounts (admins: `cairn testnet
// --load-admins`), of the accounts CreatedAccountKey(first) to CreatedAccountKey(first
// + count - 1), as users.
Workload SignAccountCreations(const std::string& chain_id, const std::vector<uint64_t>& nonces, uint64_t first,
                              size_t count, unsigned threads);

}  // namespace cairn::load
