// The deterministic executor: applies a block's transactions, in order, to account state.
//
// Determinism (architecture rule 6): no clock, no randomness, no floating point, and
// results kept in ordered containers. Every node that executes the same transactions on
// the same state gets the same receipts, the same changes, and so the same state root.
//
// Two kinds of failure, as the architecture page defines them:
//  - A transaction that cannot enter a block at all (its sender has no account, or its
//    nonce is not the sender's nonce + 1) makes the whole block invalid: the executor
//    returns an error naming it, and nothing is applied.
//  - A transaction that fails at execution (no funds, no permission, unknown recipient,
//    overflow) gets a failure receipt and uses its nonce; nothing else changes.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <vector>

#include "cairn/v1/governance.pb.h"
#include "cairn/v1/state.pb.h"
#include "cairn/v1/transaction.pb.h"
#include "crypto/bytes.h"
#include "ledger/governance.h"
#include "ledger/tx_check.h"

namespace cairn::ledger {

// Read access to the account state a block executes on.
class AccountReader {
 public:
  virtual ~AccountReader() = default;
  // nullopt when the address has no account; an error only when the read failed.
  virtual Result<std::optional<v1::Account>> GetAccount(ByteView address) const = 0;
};

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
  // The new state of every account the block changed, by address.
  std::map<Bytes, v1::Account> changed;
  // For account history: (address, transaction index) for every sender and every
  // account a transaction named (always among its sender and AccountsNamedBy(its
  // body): what pruning deletes), in execution order, without repeats per transaction.
  std::vector<std::pair<Bytes, uint32_t>> touched;
  // The governance state after the block (its open proposals, the next block's set),
  // and the proposals the block closed.
  v1::GovernanceState governance;
  std::vector<v1::ChangeProposal> closed_proposals;
};

// What execution needs besides the state: the chain, the governance rules, and the
// signature checks of operations that carry signatures (key rotations).
struct ExecutionEnv {
  std::string_view chain_id;
  const GovernanceRules& rules;
  crypto::SignatureVerifier& verifier;
};

// Executes `txs` (each already through CheckTransaction) as the block `at` on the
// account state `state` and the governance state `governance`, then ends the block
// (governance.h: EndBlock). Receipts and `touched` use positions in the block, which
// differ from input positions only when transactions were dropped.
Result<ExecutionOutcome> ExecuteTransactions(const AccountReader& state, const v1::GovernanceState& governance,
                                             const ExecutionEnv& env, BlockPlace at,
                                             std::span<const CheckedTx> txs, InvalidTxPolicy policy);

// The balance of `asset` in `account`, zero when it holds none.
uint64_t BalanceOf(const v1::Account& account, std::string_view asset);

// The accounts other than the sender that a transaction's operation names (a created
// account, a recipient, a role's holder): the history entries a block can have written
// for it are its sender's and these. Its governance operations name none.
std::vector<Bytes> AccountsNamedBy(const v1::TxBody& body);

}  // namespace cairn::ledger
