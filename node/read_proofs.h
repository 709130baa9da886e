// Checking the proofs a node returns under the block header it comes with: a
// transaction's inclusion under the header's transactions root, and an account (or its
// absence) under its state root. Whether that header is one the validators committed
// is the light client's check (light_client.h), which calls these.
#pragma once

#include "cairn/v1/api.pb.h"
#include "crypto/bytes.h"
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
// The same for an asset definition and a record, and the proof is about the asset
// `name` (the record `key` of `account`): a node cannot answer with another entry.
Status CheckAssetProof(std::string_view name, const v1::GetAssetResponse& answer);
Status CheckRecordProof(ByteView account, std::string_view key, const v1::GetRecordResponse& answer);

}  // namespace cairn::node
