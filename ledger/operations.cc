// The operations on accounts: creating them, roles, signatories and quorum, records,
// and the grants stored on accounts. Assets are in asset_operations.cc.
#include "ledger/operations.h"

#include <algorithm>

#include "crypto/domain.h"
#include "ledger/permissions.h"
#include "ledger/signatories.h"

namespace cairn::ledger {

namespace {

Result<OpResult> ApplyCreateAccount(OpContext& ctx, const v1::Account& actor, const v1::CreateAccount& op) {
  if (Status may = MayCreateAccount(actor, op.role()); !may.ok()) return Denied(may);
  Bytes address = crypto::AddressOf(op.public_key());
  CAIRN_ASSIGN_OR_RETURN(auto existing, ctx.state.Account(address));
  if (existing) return Fail(v1::TX_ACCOUNT_EXISTS, "account " + ToHex(address) + " exists");
  v1::Account account;
  account.set_address(address);
  account.set_public_key(op.public_key());
  account.set_role(op.role());
  ctx.state.Put(account);
  return OpResult{v1::TX_OK, "", {address}};
}

Result<OpResult> ApplySetRole(OpContext& ctx, const v1::Account& actor, const v1::SetRole& op) {
  if (Status may = MaySetRole(actor); !may.ok()) return Denied(may);
  CAIRN_ASSIGN_OR_RETURN(auto target, ctx.state.Account(op.account()));
  if (!target) return Fail(v1::TX_UNKNOWN_ACCOUNT, "account " + ToHex(op.account()) + " does not exist");
  target->set_role(op.role());
  ctx.state.Put(*target);
  return OpResult{v1::TX_OK, "", {op.account()}};
}

// The first change to an account's signatories starts its list from its own key.
void MaterializeSignatories(v1::Account* account) {
  if (!account->signatories().empty()) return;
  account->add_signatories(account->public_key());
  account->set_quorum(1);
}

Result<OpResult> ApplyAddSignatory(OpContext& ctx, v1::Account actor, const v1::AddSignatory& op) {
  MaterializeSignatories(&actor);
  if (Contains(actor.signatories(), op.public_key())) {
    return Fail(v1::TX_INVALID_OPERATION, "key " + ToHex(op.public_key()) + " is a signatory already");
  }
  if (static_cast<size_t>(actor.signatories_size()) >= kMaxSignatories) {
    return Fail(v1::TX_LIMIT, "the account has " + std::to_string(kMaxSignatories) + " signatories, the limit");
  }
  InsertSorted(actor.mutable_signatories(), op.public_key());
  ctx.state.Put(actor);
  return OpResult{};
}

Result<OpResult> ApplyRemoveSignatory(OpContext& ctx, v1::Account actor, const v1::RemoveSignatory& op) {
  MaterializeSignatories(&actor);
  if (!Contains(actor.signatories(), op.public_key())) {
    return Fail(v1::TX_INVALID_OPERATION, "key " + ToHex(op.public_key()) + " is not a signatory");
  }
  if (static_cast<uint32_t>(actor.signatories_size()) - 1 < actor.quorum()) {
    return Fail(v1::TX_INVALID_OPERATION, "removing it would leave fewer signatories than the quorum of " +
                                              std::to_string(actor.quorum()) + ": lower the quorum first");
  }
  EraseFrom(actor.mutable_signatories(), op.public_key());
  ctx.state.Put(actor);
  return OpResult{};
}

Result<OpResult> ApplySetQuorum(OpContext& ctx, v1::Account actor, const v1::SetQuorum& op) {
  MaterializeSignatories(&actor);
  if (op.quorum() > static_cast<uint32_t>(actor.signatories_size())) {
    return Fail(v1::TX_INVALID_OPERATION, "a quorum of " + std::to_string(op.quorum()) + " is above the " +
                                              std::to_string(actor.signatories_size()) + " signatories");
  }
  actor.set_quorum(op.quorum());
  ctx.state.Put(actor);
  return OpResult{};
}

// The account an operation names with an address field that may be empty (the actor).
Result<std::optional<v1::Account>> Named(const OpContext& ctx, const v1::Account& actor, const Bytes& address) {
  if (address.empty() || address == actor.address()) return std::optional<v1::Account>(actor);
  return ctx.state.Account(address);
}

Result<OpResult> ApplySetRecord(OpContext& ctx, const v1::Account& actor, const v1::SetRecord& op) {
  CAIRN_ASSIGN_OR_RETURN(auto owner, Named(ctx, actor, op.account()));
  if (!owner) return Fail(v1::TX_UNKNOWN_ACCOUNT, "account " + ToHex(op.account()) + " does not exist");
  if (Status may = MayWriteRecords(actor, *owner); !may.ok()) return Denied(may);
  CAIRN_ASSIGN_OR_RETURN(auto existing, ctx.state.Record(owner->address(), op.key()));
  RecordWrite write{owner->address(), op.key(), std::nullopt, actor.address(), ctx.index};
  if (op.value().empty()) {
    if (!existing) return Fail(v1::TX_INVALID_OPERATION, "the account has no record " + op.key());
    owner->set_record_count(owner->record_count() - 1);
    ctx.state.PutRecord(std::move(write), std::nullopt);
  } else {
    if (!existing) {
      if (owner->record_count() >= kMaxRecordsPerAccount) {
        return Fail(v1::TX_LIMIT, "the account holds " + std::to_string(kMaxRecordsPerAccount) + " records, the limit");
      }
      owner->set_record_count(owner->record_count() + 1);
    }
    v1::AccountRecord record;
    record.set_account(owner->address());
    record.set_key(op.key());
    record.set_value(op.value());
    record.set_writer(actor.address());
    record.set_height(ctx.at.height);
    record.set_index(ctx.index);
    write.value = op.value();
    ctx.state.PutRecord(std::move(write), std::move(record));
  }
  ctx.state.Put(*owner);
  OpResult result;
  if (owner->address() != actor.address()) result.counterparties.push_back(owner->address());
  return result;
}

// PERMISSION_WRITE_RECORDS (in the owner's record_writers) and PERMISSION_CREATE_ACCOUNTS
// (on the grantee's account).
template <typename Op>
Result<OpResult> ApplyAccountGrant(OpContext& ctx, const v1::Account& actor, const Op& op, bool grant) {
  const Bytes records_owner = op.account().empty() ? actor.address() : op.account();
  if (Status may = MayGrant(actor, op.permission(), nullptr, records_owner); !may.ok()) return Denied(may);
  CAIRN_ASSIGN_OR_RETURN(auto grantee, ctx.state.Account(op.grantee()));
  if (!grantee) return Fail(v1::TX_UNKNOWN_ACCOUNT, "grantee " + ToHex(op.grantee()) + " has no account");
  if (op.permission() == v1::PERMISSION_CREATE_ACCOUNTS) {
    if (grantee->may_create_accounts() == grant) {
      return Fail(v1::TX_INVALID_OPERATION, ToHex(op.grantee()) + (grant ? " holds" : " does not hold") +
                                                " PERMISSION_CREATE_ACCOUNTS");
    }
    grantee->set_may_create_accounts(grant);
    ctx.state.Put(*grantee);
    return OpResult{v1::TX_OK, "", {op.grantee()}};
  }
  // PERMISSION_WRITE_RECORDS: MayGrant let only the owner through, so the owner is the actor.
  v1::Account owner = actor;
  if (op.grantee() == owner.address()) {
    return Fail(v1::TX_INVALID_OPERATION, "an account always writes its own records");
  }
  const bool holds = Contains(owner.record_writers(), op.grantee());
  if (holds == grant) {
    return Fail(v1::TX_INVALID_OPERATION, ToHex(op.grantee()) + (grant ? " already writes" : " does not write") +
                                              " the account's records");
  }
  if (grant) {
    if (static_cast<size_t>(owner.record_writers_size()) >= kMaxRecordWriters) {
      return Fail(v1::TX_LIMIT, "the account has " + std::to_string(kMaxRecordWriters) + " record writers, the limit");
    }
    InsertSorted(owner.mutable_record_writers(), op.grantee());
  } else {
    EraseFrom(owner.mutable_record_writers(), op.grantee());
  }
  ctx.state.Put(owner);
  return OpResult{v1::TX_OK, "", {op.grantee()}};
}

}  // namespace

void InsertSorted(google::protobuf::RepeatedPtrField<std::string>* list, const Bytes& address) {
  auto it = std::lower_bound(list->begin(), list->end(), address);
  const int index = static_cast<int>(it - list->begin());
  *list->Add() = address;
  for (int i = list->size() - 1; i > index; --i) list->SwapElements(i, i - 1);
}

void EraseFrom(google::protobuf::RepeatedPtrField<std::string>* list, const Bytes& address) {
  auto it = std::find(list->begin(), list->end(), address);
  if (it != list->end()) list->erase(it);
}

bool Contains(const google::protobuf::RepeatedPtrField<std::string>& list, const Bytes& address) {
  return std::find(list.begin(), list.end(), address) != list.end();
}

Result<OpResult> ApplyAccountOperation(OpContext& ctx, const v1::Account& actor, const v1::Operation& op) {
  switch (op.kind_case()) {
    case v1::Operation::kCreateAccount: return ApplyCreateAccount(ctx, actor, op.create_account());
    case v1::Operation::kSetRole: return ApplySetRole(ctx, actor, op.set_role());
    case v1::Operation::kAddSignatory: return ApplyAddSignatory(ctx, actor, op.add_signatory());
    case v1::Operation::kRemoveSignatory: return ApplyRemoveSignatory(ctx, actor, op.remove_signatory());
    case v1::Operation::kSetQuorum: return ApplySetQuorum(ctx, actor, op.set_quorum());
    case v1::Operation::kSetRecord: return ApplySetRecord(ctx, actor, op.set_record());
    case v1::Operation::kGrant: return ApplyAccountGrant(ctx, actor, op.grant(), true);
    case v1::Operation::kRevoke: return ApplyAccountGrant(ctx, actor, op.revoke(), false);
    default: return Status::Internal("not an account operation");
  }
}

Result<OpResult> ApplyOperation(OpContext& ctx, const v1::Account& actor, const v1::Operation& op) {
  switch (op.kind_case()) {
    case v1::Operation::kTransfer:
    case v1::Operation::kMint:
    case v1::Operation::kBurn:
    case v1::Operation::kRegisterAsset:
    case v1::Operation::kSetAssetFrozen:
      return ApplyAssetOperation(ctx, actor, op);
    case v1::Operation::kGrant:
      return op.grant().permission() == v1::PERMISSION_MINT ? ApplyAssetOperation(ctx, actor, op)
                                                            : ApplyAccountOperation(ctx, actor, op);
    case v1::Operation::kRevoke:
      return op.revoke().permission() == v1::PERMISSION_MINT ? ApplyAssetOperation(ctx, actor, op)
                                                             : ApplyAccountOperation(ctx, actor, op);
    case v1::Operation::KIND_NOT_SET: return Status::Internal("an operation without a kind reached the executor");
    default: return ApplyAccountOperation(ctx, actor, op);
  }
}

}  // namespace cairn::ledger
