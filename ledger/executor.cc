#include "ledger/executor.h"

#include <algorithm>

#include "crypto/domain.h"
#include "ledger/operations.h"
#include "ledger/signatories.h"

namespace cairn::ledger {

namespace {

// Whether a transaction may enter a block: OK, or why not.
struct Verdict {
  Status reason;
};

// The verdict on `tx` at `at` on `state` (the executor's header comment); an error only
// when reading the state failed.
Result<Verdict> Admissible(const BlockState& state, const CheckedTx& tx, const std::optional<v1::Account>& sender,
                           BlockPlace at) {
  if (!sender) return Verdict{Status::FailedPrecondition("sender " + ToHex(tx.sender) + " has no account")};
  if (tx.body.nonce() != sender->nonce() + 1) {
    return Verdict{Status::FailedPrecondition("nonce " + std::to_string(tx.body.nonce()) + ", expected " +
                                              std::to_string(sender->nonce() + 1))};
  }
  if (Status expiry = CheckExpiry(tx.body, at.time_ms); !expiry.ok()) return Verdict{expiry};
  std::vector<v1::Account> accounts{*sender};
  for (const Bytes& address : RequiredSigners(tx)) {
    if (address == tx.sender) continue;
    CAIRN_ASSIGN_OR_RETURN(auto account, state.Account(address));
    if (!account) {
      return Verdict{Status::FailedPrecondition("account " + ToHex(address) + " performs an operation but does not exist")};
    }
    accounts.push_back(std::move(*account));
  }
  return Verdict{CheckSigners(accounts, tx.signers, true)};
}

// The name of an operation's kind, as the receipt names a failing one ("transfer").
std::string KindName(const v1::Operation& op) {
  const auto* field = op.GetDescriptor()->FindFieldByNumber(op.kind_case());
  return field ? field->name() : "operation";
}

OpResult FromGovernance(GovernanceResult result) { return {result.result, std::move(result.message), {}}; }

// A governance operation (TxBody.operation only): the validator set, outside BlockState.
OpResult ApplyGovernance(v1::GovernanceState& governance, std::vector<v1::ChangeProposal>& closed,
                         const v1::Account& sender, const v1::TxBody& body, const ExecutionEnv& env, BlockPlace at) {
  switch (body.operation_case()) {
    case v1::TxBody::kProposeValidatorChange:
      return FromGovernance(ApplyPropose(governance, sender, body.propose_validator_change(), at, env.rules));
    case v1::TxBody::kVoteValidatorChange:
      return FromGovernance(ApplyVote(governance, sender, body.vote_validator_change(), env.rules, closed));
    case v1::TxBody::kRotateValidatorKey:
      return FromGovernance(
          ApplyRotate(governance, sender, body.rotate_validator_key(), at, env.chain_id, env.verifier));
    default:
      // CheckTransaction admits no body without an operation.
      return Fail(v1::TX_INVALID_OPERATION, "transaction without an operation");
  }
}

void AddTouched(std::vector<Bytes>* touched, const Bytes& address) {
  if (std::find(touched->begin(), touched->end(), address) == touched->end()) touched->push_back(address);
}

}  // namespace

std::vector<RecordWrite> RecordWritesOf(const Bytes& sender, const v1::TxBody& body, uint32_t index) {
  std::vector<RecordWrite> out;
  for (const v1::Operation& op : body.operations()) {
    if (!op.has_set_record()) continue;
    const v1::SetRecord& set = op.set_record();
    const Bytes& writer = op.account().empty() ? sender : op.account();
    RecordWrite write{set.account().empty() ? writer : set.account(), set.key(), std::nullopt, writer, index};
    if (!set.value().empty()) write.value = set.value();
    auto same = std::find_if(out.begin(), out.end(),
                             [&](const RecordWrite& w) { return w.account == write.account && w.key == write.key; });
    if (same != out.end()) {
      *same = std::move(write);
    } else {
      out.push_back(std::move(write));
    }
  }
  return out;
}

std::vector<Bytes> RequiredSigners(const CheckedTx& tx) {
  std::vector<Bytes> required{tx.sender};
  for (const v1::Operation& op : tx.operations) {
    if (!op.account().empty()) AddTouched(&required, op.account());
  }
  return required;
}

Status CheckExpiry(const v1::TxBody& body, uint64_t time_ms) {
  if (body.expires_at_ms() == 0 || time_ms <= body.expires_at_ms()) return Status::Ok();
  return Status::FailedPrecondition("the transaction expired at " + std::to_string(body.expires_at_ms()) +
                                    " ms, the block's time is " + std::to_string(time_ms));
}

std::vector<Bytes> AccountsActingIn(const Bytes& sender, const v1::TxBody& body) {
  std::vector<Bytes> out{sender};
  for (const v1::Operation& op : body.operations()) {
    if (!op.account().empty()) AddTouched(&out, op.account());
  }
  return out;
}

std::vector<Bytes> AccountsNamedBy(const Bytes& sender, const v1::TxBody& body) {
  std::vector<Bytes> out = AccountsActingIn(sender, body);
  for (const v1::Operation& op : OperationsOf(body)) {
    switch (op.kind_case()) {
      case v1::Operation::kCreateAccount: AddTouched(&out, crypto::AddressOf(op.create_account().public_key())); break;
      case v1::Operation::kTransfer: AddTouched(&out, op.transfer().to()); break;
      case v1::Operation::kMint: AddTouched(&out, op.mint().to()); break;
      case v1::Operation::kSetRole: AddTouched(&out, op.set_role().account()); break;
      case v1::Operation::kSetRecord:
        if (!op.set_record().account().empty()) AddTouched(&out, op.set_record().account());
        break;
      case v1::Operation::kGrant: AddTouched(&out, op.grant().grantee()); break;
      case v1::Operation::kRevoke: AddTouched(&out, op.revoke().grantee()); break;
      default: break;
    }
  }
  return out;
}

Result<ExecutionOutcome> ExecuteTransactions(const StateReader& base, const v1::GovernanceState& governance,
                                             const ExecutionEnv& env, BlockPlace at,
                                             std::span<const CheckedTx> txs, InvalidTxPolicy policy) {
  BlockState state(base);
  ExecutionOutcome outcome;
  outcome.governance = governance;
  outcome.receipts.reserve(txs.size());
  for (uint32_t input = 0; input < txs.size(); ++input) {
    const CheckedTx& tx = txs[input];
    const uint32_t index = static_cast<uint32_t>(outcome.included.size());
    CAIRN_ASSIGN_OR_RETURN(auto sender, state.Account(tx.sender));
    CAIRN_ASSIGN_OR_RETURN(Verdict verdict, Admissible(state, tx, sender, at));
    Status& admissible = verdict.reason;
    if (!admissible.ok()) {
      if (policy == InvalidTxPolicy::kRejectBlock) {
        return admissible.Annotate("transaction " + std::to_string(input) + " (" + ToHex(tx.hash) + ")");
      }
      outcome.dropped.push_back({input, std::move(admissible)});
      continue;
    }
    // The nonce is used whatever the outcome: committed before the operations, so that
    // they see (and may update) the sender's current state and a rollback keeps it.
    sender->set_nonce(tx.body.nonce());
    state.Put(*sender);
    state.Commit();

    // The sender and every account that performs an operation, whatever the outcome
    // (AccountsActingIn says the same from the body alone).
    std::vector<Bytes> touched = RequiredSigners(tx);
    OpResult result;
    uint32_t failed_operation = 0;
    if (tx.operations.empty()) {
      result = ApplyGovernance(outcome.governance, outcome.closed_proposals, *sender, tx.body, env, at);
    } else {
      OpContext ctx{state, env.asset_registry, at, index};
      std::vector<Bytes> counterparties;
      for (size_t i = 0; i < tx.operations.size(); ++i) {
        const v1::Operation& op = tx.operations[i];
        const Bytes& actor_address = op.account().empty() ? tx.sender : op.account();
        CAIRN_ASSIGN_OR_RETURN(auto actor, state.Account(actor_address));
        if (!actor) return Status::Internal("an admitted transaction's account " + ToHex(actor_address) + " is gone");
        CAIRN_ASSIGN_OR_RETURN(result, ApplyOperation(ctx, *actor, op));
        if (result.result != v1::TX_OK) {
          if (tx.operations.size() > 1) {
            failed_operation = static_cast<uint32_t>(i + 1);
            result.message = "operation " + std::to_string(i + 1) + " (" + KindName(op) + "): " + result.message;
          }
          break;
        }
        for (Bytes& c : result.counterparties) counterparties.push_back(std::move(c));
      }
      if (result.result == v1::TX_OK) {
        state.Commit();
        for (const Bytes& c : counterparties) AddTouched(&touched, c);
      } else {
        state.Rollback();
      }
    }

    v1::Receipt receipt;
    receipt.set_tx_hash(ToBytes(tx.hash));
    receipt.set_height(at.height);
    receipt.set_index(index);
    receipt.set_result(result.result);
    receipt.set_message(result.message);
    receipt.set_failed_operation(failed_operation);
    outcome.receipts.push_back(std::move(receipt));
    outcome.included.push_back(input);
    for (Bytes& address : touched) outcome.touched.emplace_back(std::move(address), index);
  }
  outcome.changes = state.TakeChanges();
  EndBlock(outcome.governance, at, env.rules, outcome.closed_proposals);
  CommitClosedProposals(env.chain_id, at.height, outcome.governance, outcome.closed_proposals);
  return outcome;
}

}  // namespace cairn::ledger
