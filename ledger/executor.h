// The deterministic executor: applies a block's transactions, in order, to account state.
//
// Determinism (architecture rule 6): no clock, no randomness, no floating point, and
// results kept in ordered containers. Every node that executes the same transactions on
// the same state gets the same receipts, the same changes, and so the same state root.
//
// Two kinds of failure, as the architecture page defines them:
//  - A transaction that cannot enter a block at all makes the whole block invalid: the
//    executor returns an error naming it, and nothing is applied. That is one whose
//    sender has no account, whose nonce is not the sender's nonce + 1, that expired
//    before the block's time, or whose signatures do not meet the quorum of its sender
//    and of every account that performs one of its operations (or include a key that is
//    no signatory of any of them). All of it is decided on the state before the
//    transaction, so nobody can spend another account's nonce.
//  - A transaction that fails at execution (no funds, no permission, unknown recipient,
//    overflow) gets a failure receipt and uses its nonce; nothing else changes: the
//    operations of a transaction apply all or none, and the receipt names the one that
//    failed.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <vector>

#include "cairn/v1/governance.pb.h"
#include "cairn/v1/state.pb.h"
#include "cairn/v1/transaction.pb.h"
#include "crypto/bytes.h"
#include "ledger/block_state.h"
#include "ledger/governance.h"
#include "ledger/tx_check.h"

namespace cairn::ledger {

// What to do with a transaction that cannot enter a block (unknown sender, wrong nonce).
enum class InvalidTxPolicy {
  kRejectBlock,  // validating someone's block: the block is invalid
  kDrop,         // building a block: leave the transaction out and carry on
};

struct DroppedTx {
  uint32_t input_index;  // position in the executor's input
  Status reason;
};

struct ExecutionOutcome {
  // Input positions of the transactions that are in the block, in block order (all of
  // them under kRejectBlock).
  std::vector<uint32_t> included;
  // Transactions left out under kDrop, with the reason.
  std::vector<DroppedTx> dropped;
  // One receipt per transaction, in order.
  std::vector<v1::Receipt> receipts;
  // The new state of every entry the block changed, and the records it wrote.
  StateChanges changes;
  // For account history: (address, transaction index) for every sender, every account
  // that performed an operation, and every account a successful operation named
  // (always among AccountsNamedBy(its sender, its body): what pruning deletes), in
  // execution order, without repeats per transaction.
  std::vector<std::pair<Bytes, uint32_t>> touched;
  // The governance state after the block (its open proposals, the next block's set),
  // and the proposals the block closed.
  v1::GovernanceState governance;
  std::vector<v1::ChangeProposal> closed_proposals;
};

// What execution needs besides the state: the chain, the governance rules, the
// signature checks of operations that carry signatures (key rotations), and whether the
// genesis keeps an asset registry.
struct ExecutionEnv {
  std::string_view chain_id;
  const GovernanceRules& rules;
  crypto::SignatureVerifier& verifier;
  bool asset_registry = false;
};

// Executes `txs` (each already through CheckTransaction) as the block `at` on the
// account state `state` and the governance state `governance`, then ends the block
// (governance.h: EndBlock). Receipts and `touched` use positions in the block, which
// differ from input positions only when transactions were dropped.
Result<ExecutionOutcome> ExecuteTransactions(const StateReader& state, const v1::GovernanceState& governance,
                                             const ExecutionEnv& env, BlockPlace at,
                                             std::span<const CheckedTx> txs, InvalidTxPolicy policy);

// The balance of `asset` in `account`, zero when it holds none.
uint64_t BalanceOf(const v1::Account& account, std::string_view asset);

// The record writes a successful transaction from `sender` at block position `index`
// makes (what the record history index keeps of it): the last write of each record, in
// the order of first writes. A failed transaction makes none.
std::vector<RecordWrite> RecordWritesOf(const Bytes& sender, const v1::TxBody& body, uint32_t index);

// The accounts that must sign `tx`: its sender, then every other account that performs
// one of its operations, each once.
std::vector<Bytes> RequiredSigners(const CheckedTx& tx);
// FAILED_PRECONDITION when `body` expired before `time_ms` (a block's time).
Status CheckExpiry(const v1::TxBody& body, uint64_t time_ms);

// The accounts a transaction can have written history entries for: its sender (SenderOf),
// the accounts that perform its operations, and every account they name (a created
// account, a recipient, a role's holder, a records owner, a grantee). Its governance
// operations name none.
std::vector<Bytes> AccountsNamedBy(const Bytes& sender, const v1::TxBody& body);
// The first of those: the sender and the accounts that perform its operations, whose
// history lists the transaction whatever its outcome (the others only on success).
std::vector<Bytes> AccountsActingIn(const Bytes& sender, const v1::TxBody& body);

}  // namespace cairn::ledger
