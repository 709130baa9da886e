#include "ledger/executor.h"

#include <algorithm>
#include <limits>

#include "crypto/domain.h"

namespace cairn::ledger {

namespace {

// Keeps balances sorted by asset with no zero entries, so the serialized account (and
// so the state root) has one form.
void SetBalance(v1::Account* account, const std::string& asset, uint64_t amount) {
  auto* balances = account->mutable_balances();
  auto it = std::lower_bound(balances->begin(), balances->end(), asset,
                             [](const v1::Balance& b, const std::string& a) { return b.asset() < a; });
  bool present = it != balances->end() && it->asset() == asset;
  if (amount == 0) {
    if (present) balances->erase(it);
    return;
  }
  if (present) {
    it->set_amount(amount);
    return;
  }
  v1::Balance balance;
  balance.set_asset(asset);
  balance.set_amount(amount);
  int index = static_cast<int>(it - balances->begin());
  balances->Add(std::move(balance));
  for (int i = balances->size() - 1; i > index; --i) balances->SwapElements(i, i - 1);
}

// Account state as the block sees it: the changes of earlier transactions in this
// block on top of the state before the block.
class BlockState {
 public:
  explicit BlockState(const AccountReader& base) : base_(base) {}

  Result<std::optional<v1::Account>> Get(const Bytes& address) const {
    auto it = changed_.find(address);
    if (it != changed_.end()) return std::optional<v1::Account>(it->second);
    return base_.GetAccount(address);
  }
  void Put(const v1::Account& account) { changed_[account.address()] = account; }
  std::map<Bytes, v1::Account> TakeChanges() { return std::move(changed_); }

 private:
  const AccountReader& base_;
  std::map<Bytes, v1::Account> changed_;
};

struct OpResult {
  v1::TxResult result = v1::TX_OK;
  std::string message;
  Bytes counterparty;  // the other account the operation named, if any
};

OpResult Fail(v1::TxResult result, std::string message) { return {result, std::move(message), {}}; }

Result<OpResult> ApplyCreateAccount(BlockState& state, const v1::Account& sender,
                                    const v1::CreateAccount& op) {
  Bytes address = crypto::AddressOf(op.public_key());
  if (sender.role() != v1::ROLE_ADMIN) return Fail(v1::TX_PERMISSION_DENIED, "only admins create accounts");
  CAIRN_ASSIGN_OR_RETURN(auto existing, state.Get(address));
  if (existing) return Fail(v1::TX_ACCOUNT_EXISTS, "account " + ToHex(address) + " exists");
  v1::Account account;
  account.set_address(address);
  account.set_public_key(op.public_key());
  account.set_role(op.role());
  state.Put(account);
  return OpResult{v1::TX_OK, "", address};
}

// Credits `amount` of `asset` to `to`, after `sender` (already debited if needed) has
// been written back. Shared by transfer and mint.
Result<OpResult> Credit(BlockState& state, const Bytes& to, const std::string& asset,
                        uint64_t amount) {
  CAIRN_ASSIGN_OR_RETURN(auto recipient, state.Get(to));
  if (!recipient) return Fail(v1::TX_UNKNOWN_ACCOUNT, "recipient " + ToHex(to) + " has no account");
  uint64_t balance = BalanceOf(*recipient, asset);
  if (balance > std::numeric_limits<uint64_t>::max() - amount) {
    return Fail(v1::TX_OVERFLOW, "recipient's " + asset + " balance would overflow");
  }
  SetBalance(&*recipient, asset, balance + amount);
  state.Put(*recipient);
  return OpResult{v1::TX_OK, "", to};
}

Result<OpResult> ApplyTransfer(BlockState& state, v1::Account sender, const v1::Transfer& op) {
  uint64_t balance = BalanceOf(sender, op.asset());
  if (balance < op.amount()) {
    return Fail(v1::TX_INSUFFICIENT_FUNDS, "balance of " + op.asset() + " is " +
                                               std::to_string(balance) + ", transfer needs " +
                                               std::to_string(op.amount()));
  }
  // Check the recipient before debiting, so a failed transfer changes no balance.
  CAIRN_ASSIGN_OR_RETURN(auto recipient, state.Get(op.to()));
  if (!recipient) return Fail(v1::TX_UNKNOWN_ACCOUNT, "recipient " + ToHex(op.to()) + " has no account");
  if (op.to() != sender.address() &&
      BalanceOf(*recipient, op.asset()) > std::numeric_limits<uint64_t>::max() - op.amount()) {
    return Fail(v1::TX_OVERFLOW, "recipient's " + op.asset() + " balance would overflow");
  }
  SetBalance(&sender, op.asset(), balance - op.amount());
  state.Put(sender);
  return Credit(state, op.to(), op.asset(), op.amount());
}

Result<OpResult> ApplyMint(BlockState& state, const v1::Account& sender, const v1::Mint& op) {
  if (sender.role() != v1::ROLE_ISSUER) return Fail(v1::TX_PERMISSION_DENIED, "only issuers mint");
  return Credit(state, op.to(), op.asset(), op.amount());
}

Result<OpResult> ApplySetRole(BlockState& state, const v1::Account& sender, const v1::SetRole& op) {
  if (sender.role() != v1::ROLE_ADMIN) return Fail(v1::TX_PERMISSION_DENIED, "only admins set roles");
  CAIRN_ASSIGN_OR_RETURN(auto target, state.Get(op.account()));
  if (!target) return Fail(v1::TX_UNKNOWN_ACCOUNT, "account " + ToHex(op.account()) + " does not exist");
  target->set_role(op.role());
  state.Put(*target);
  return OpResult{v1::TX_OK, "", op.account()};
}

OpResult FromGovernance(GovernanceResult result) { return {result.result, std::move(result.message), {}}; }

// The block's view of everything an operation may change.
struct BlockContext {
  BlockState& accounts;
  v1::GovernanceState& governance;
  std::vector<v1::ChangeProposal>& closed;
  const ExecutionEnv& env;
  BlockPlace at;
};

Result<OpResult> Apply(BlockContext& block, const v1::Account& sender, const v1::TxBody& body) {
  BlockState& state = block.accounts;
  switch (body.operation_case()) {
    case v1::TxBody::kCreateAccount: return ApplyCreateAccount(state, sender, body.create_account());
    case v1::TxBody::kTransfer: return ApplyTransfer(state, sender, body.transfer());
    case v1::TxBody::kMint: return ApplyMint(state, sender, body.mint());
    case v1::TxBody::kSetRole: return ApplySetRole(state, sender, body.set_role());
    case v1::TxBody::kProposeValidatorChange:
      return FromGovernance(
          ApplyPropose(block.governance, sender, body.propose_validator_change(), block.at, block.env.rules));
    case v1::TxBody::kVoteValidatorChange:
      return FromGovernance(ApplyVote(block.governance, sender, body.vote_validator_change(), block.env.rules, block.closed));
    case v1::TxBody::kRotateValidatorKey:
      return FromGovernance(ApplyRotate(block.governance, sender, body.rotate_validator_key(), block.at,
                                        block.env.chain_id, block.env.verifier));
    case v1::TxBody::OPERATION_NOT_SET: break;
  }
  // CheckTransaction admits no body without an operation.
  return Status::Internal("transaction without an operation reached the executor");
}

}  // namespace

std::vector<Bytes> AccountsNamedBy(const v1::TxBody& body) {
  switch (body.operation_case()) {
    case v1::TxBody::kCreateAccount: return {crypto::AddressOf(body.create_account().public_key())};
    case v1::TxBody::kTransfer: return {body.transfer().to()};
    case v1::TxBody::kMint: return {body.mint().to()};
    case v1::TxBody::kSetRole: return {body.set_role().account()};
    default: return {};
  }
}

uint64_t BalanceOf(const v1::Account& account, std::string_view asset) {
  for (const auto& b : account.balances()) {
    if (b.asset() == asset) return b.amount();
  }
  return 0;
}

Result<ExecutionOutcome> ExecuteTransactions(const AccountReader& base, const v1::GovernanceState& governance,
                                             const ExecutionEnv& env, BlockPlace at,
                                             std::span<const CheckedTx> txs, InvalidTxPolicy policy) {
  BlockState state(base);
  ExecutionOutcome outcome;
  outcome.governance = governance;
  BlockContext block{state, outcome.governance, outcome.closed_proposals, env, at};
  outcome.receipts.reserve(txs.size());
  for (uint32_t input = 0; input < txs.size(); ++input) {
    const CheckedTx& tx = txs[input];
    const uint32_t index = static_cast<uint32_t>(outcome.included.size());
    CAIRN_ASSIGN_OR_RETURN(auto sender, state.Get(tx.sender));
    Status admissible;
    if (!sender) {
      admissible = Status::FailedPrecondition("sender " + ToHex(tx.sender) + " has no account");
    } else if (tx.body.nonce() != sender->nonce() + 1) {
      admissible = Status::FailedPrecondition("nonce " + std::to_string(tx.body.nonce()) +
                                              ", expected " + std::to_string(sender->nonce() + 1));
    }
    if (!admissible.ok()) {
      if (policy == InvalidTxPolicy::kRejectBlock) {
        return admissible.Annotate("transaction " + std::to_string(input) + " (" + ToHex(tx.hash) + ")");
      }
      outcome.dropped.push_back({input, std::move(admissible)});
      continue;
    }
    // The nonce is used whatever the outcome: written before the operation so that the
    // operation sees (and may update) the sender's current state.
    sender->set_nonce(tx.body.nonce());
    state.Put(*sender);
    CAIRN_ASSIGN_OR_RETURN(OpResult result, Apply(block, *sender, tx.body));

    v1::Receipt receipt;
    receipt.set_tx_hash(ToBytes(tx.hash));
    receipt.set_height(at.height);
    receipt.set_index(index);
    receipt.set_result(result.result);
    receipt.set_message(result.message);
    outcome.receipts.push_back(std::move(receipt));
    outcome.included.push_back(input);
    outcome.touched.emplace_back(tx.sender, index);
    if (!result.counterparty.empty() && result.counterparty != tx.sender) {
      outcome.touched.emplace_back(result.counterparty, index);
    }
  }
  outcome.changed = state.TakeChanges();
  EndBlock(outcome.governance, at, env.rules, outcome.closed_proposals);
  return outcome;
}

}  // namespace cairn::ledger
