// Checking the proofs a node returns, with nothing but the answer itself: a
// transaction's inclusion under the transactions root of the block header it comes
// with, and an account (or its absence) under the state root of its header. Used by
// `tx`, `account` and, offline, by `verify-proof`.
#pragma once

#include "cairn/v1/api.pb.h"
#include "crypto/status.h"

namespace cairn::cli {

// OK when the committed transaction's hash is at receipt.index of the header's tx_root.
Status CheckInclusion(const v1::GetTransactionResponse& tx);
// OK when the proof shows proof.account (or absence) at proof.address under
// state_root, and, if the answer carries its block header, that root is the header's.
Status CheckAccountProof(const v1::GetAccountResponse& answer);

}  // namespace cairn::cli
