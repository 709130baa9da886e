// The load generator's transactions, all signed before the measured window: transfers
// of one unit from each load account to the next, in rounds (round r gives every
// account its nonce r + 1), so that many nonce chains run side by side.
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

// `count` transfers over `accounts` load accounts whose committed nonces are all 0,
// signed on `threads` threads.
Workload SignTransfers(const std::string& chain_id, uint32_t accounts, size_t count, unsigned threads);

}  // namespace cairn::load
