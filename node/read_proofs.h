// Checking the proofs a node returns under the block header it comes with: a
// transaction's inclusion under the header's transactions root, and an account (or its
// absence) under its state root. Whether that header is one the validators committed
// is the light client's check (light_client.h), which calls these.
#pragma once

#include "cairn/v1/api.pb.h"
#include "crypto/status.h"

namespace cairn::node {

// OK when the committed transaction's hash is at receipt.index of the header's tx_root,
// and its receipt (its result) at the same index of the header's receipts_root.
Status CheckInclusion(const v1::GetTransactionResponse& tx);
// OK when the proof shows proof.account (or absence) at proof.address under
// state_root, the account shown is the one proven, and, if the answer carries its block
// header, that root is the header's. (Whether proof.address is the one asked for is the
// asker's check.)
Status CheckAccountProof(const v1::GetAccountResponse& answer);

}  // namespace cairn::node
