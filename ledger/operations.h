// The account-model operations (v1::Operation), each applied by the executor to the
// block's state for the account that performs it. An operation that fails returns a
// result other than TX_OK and may have written changes: the executor rolls the whole
// transaction back (BlockState::Rollback), so a failed operation changes nothing.
// Permission checks are in ledger/permissions.h, nowhere here.
#pragma once

#include <string>
#include <vector>

#include "cairn/v1/state.pb.h"
#include "cairn/v1/transaction.pb.h"
#include "crypto/bytes.h"
#include "ledger/block_state.h"
#include "ledger/governance.h"

namespace cairn::ledger {

// Bounds of what an account holds, so that an account's leaf stays small (rule 10).
constexpr size_t kMaxRecordsPerAccount = 256;
constexpr size_t kMaxRecordWriters = 16;

struct OpResult {
  v1::TxResult result = v1::TX_OK;
  std::string message;
  // The other accounts the operation named (a recipient, a created account, a grantee):
  // their history lists the transaction.
  std::vector<Bytes> counterparties;
};

inline OpResult Fail(v1::TxResult result, std::string message) { return {result, std::move(message), {}}; }
// A permission check's denial as a result.
inline OpResult Denied(const Status& status) { return Fail(v1::TX_PERMISSION_DENIED, status.message()); }

// Where an operation runs.
struct OpContext {
  BlockState& state;
  bool asset_registry = false;  // the genesis keeps an asset registry
  BlockPlace at;
  uint32_t index = 0;  // the transaction's position in the block
};

// Applies `op` for `actor` (the performing account, as the state holds it now). An
// error only when reading the state failed.
Result<OpResult> ApplyOperation(OpContext& ctx, const v1::Account& actor, const v1::Operation& op);

// The families ApplyOperation dispatches to.
// Transfer, mint, burn, register and freeze assets, grant and revoke PERMISSION_MINT.
Result<OpResult> ApplyAssetOperation(OpContext& ctx, const v1::Account& actor, const v1::Operation& op);
// Create accounts, set roles, signatories and quorum, records, the other grants.
Result<OpResult> ApplyAccountOperation(OpContext& ctx, const v1::Account& actor, const v1::Operation& op);

// `list` with `address` inserted in order (absent before) or erased (present before).
void InsertSorted(google::protobuf::RepeatedPtrField<std::string>* list, const Bytes& address);
void EraseFrom(google::protobuf::RepeatedPtrField<std::string>* list, const Bytes& address);
bool Contains(const google::protobuf::RepeatedPtrField<std::string>& list, const Bytes& address);

}  // namespace cairn::ledger
