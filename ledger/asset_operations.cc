// Assets: transfers, mints and burns, and the registry (definitions, freezing, issuers).
// On a chain whose genesis keeps no registry, assets follow the flat rule of the first
// ledger model: any issuer mints any name, and nothing is registered or tracked.
#include <algorithm>
#include <limits>

#include "ledger/executor.h"
#include "ledger/operations.h"
#include "ledger/permissions.h"
#include "ledger/tx_check.h"

namespace cairn::ledger {

namespace {

constexpr uint64_t kMaxU64 = std::numeric_limits<uint64_t>::max();

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

OpResult NoRegistry() {
  return Fail(v1::TX_INVALID_OPERATION,
              "this chain keeps no asset registry (its genesis predates it): assets follow the flat rule");
}

// The definition an operation on `asset` works with: nullopt on a chain without a
// registry; on a registry chain, a failure when it is not registered (or, with
// `movable`, frozen).
struct AssetLookup {
  std::optional<v1::AssetDefinition> definition;
  std::optional<OpResult> failure;
};
Result<AssetLookup> LookUp(const OpContext& ctx, const std::string& asset, bool movable) {
  AssetLookup out;
  if (!ctx.asset_registry) return out;
  CAIRN_ASSIGN_OR_RETURN(out.definition, ctx.state.Asset(asset));
  if (!out.definition) {
    out.failure = Fail(v1::TX_UNKNOWN_ASSET, "asset " + asset + " is not registered");
  } else if (movable && out.definition->frozen()) {
    out.failure = Fail(v1::TX_ASSET_FROZEN, "asset " + asset + " is frozen");
  }
  return out;
}

// Credits `amount` of `asset` to `to`. Shared by transfer and mint.
Result<OpResult> Credit(BlockState& state, const Bytes& to, const std::string& asset, uint64_t amount) {
  CAIRN_ASSIGN_OR_RETURN(auto recipient, state.Account(to));
  if (!recipient) return Fail(v1::TX_UNKNOWN_ACCOUNT, "recipient " + ToHex(to) + " has no account");
  uint64_t balance = BalanceOf(*recipient, asset);
  if (balance > kMaxU64 - amount) return Fail(v1::TX_OVERFLOW, "recipient's " + asset + " balance would overflow");
  SetBalance(&*recipient, asset, balance + amount);
  state.Put(*recipient);
  return OpResult{v1::TX_OK, "", {to}};
}

Result<OpResult> ApplyTransfer(OpContext& ctx, v1::Account sender, const v1::Transfer& op) {
  CAIRN_ASSIGN_OR_RETURN(auto asset, LookUp(ctx, op.asset(), true));
  if (asset.failure) return *asset.failure;
  uint64_t balance = BalanceOf(sender, op.asset());
  if (balance < op.amount()) {
    return Fail(v1::TX_INSUFFICIENT_FUNDS, "balance of " + op.asset() + " is " + std::to_string(balance) +
                                               ", transfer needs " + std::to_string(op.amount()));
  }
  SetBalance(&sender, op.asset(), balance - op.amount());
  ctx.state.Put(sender);
  return Credit(ctx.state, op.to(), op.asset(), op.amount());
}

Result<OpResult> ApplyMint(OpContext& ctx, const v1::Account& actor, const v1::Mint& op) {
  CAIRN_ASSIGN_OR_RETURN(auto asset, LookUp(ctx, op.asset(), false));
  if (asset.failure) return *asset.failure;
  v1::AssetDefinition* definition = asset.definition ? &*asset.definition : nullptr;
  if (Status may = MayMintOrBurn(actor, definition, "mint"); !may.ok()) return Denied(may);
  if (definition != nullptr) {
    if (definition->frozen()) return Fail(v1::TX_ASSET_FROZEN, "asset " + op.asset() + " is frozen");
    if (definition->supply() > kMaxU64 - op.amount()) {
      return Fail(v1::TX_OVERFLOW, "the supply of " + op.asset() + " would overflow");
    }
    const uint64_t supply = definition->supply() + op.amount();
    if (definition->supply_cap() != 0 && supply > definition->supply_cap()) {
      return Fail(v1::TX_SUPPLY_CAP, "the supply of " + op.asset() + " would be " + std::to_string(supply) +
                                         ", its cap is " + std::to_string(definition->supply_cap()));
    }
    definition->set_supply(supply);
    ctx.state.Put(*definition);
  }
  return Credit(ctx.state, op.to(), op.asset(), op.amount());
}

Result<OpResult> ApplyBurn(OpContext& ctx, v1::Account actor, const v1::Burn& op) {
  CAIRN_ASSIGN_OR_RETURN(auto asset, LookUp(ctx, op.asset(), false));
  if (asset.failure) return *asset.failure;
  v1::AssetDefinition* definition = asset.definition ? &*asset.definition : nullptr;
  if (Status may = MayMintOrBurn(actor, definition, "burn"); !may.ok()) return Denied(may);
  if (definition != nullptr && definition->frozen()) {
    return Fail(v1::TX_ASSET_FROZEN, "asset " + op.asset() + " is frozen");
  }
  const uint64_t balance = BalanceOf(actor, op.asset());
  if (balance < op.amount()) {
    return Fail(v1::TX_INSUFFICIENT_FUNDS, "balance of " + op.asset() + " is " + std::to_string(balance) +
                                               ", burn needs " + std::to_string(op.amount()));
  }
  SetBalance(&actor, op.asset(), balance - op.amount());
  ctx.state.Put(actor);
  if (definition != nullptr) {
    // Supply counts every unit of every balance, so it covers this one.
    if (definition->supply() < op.amount()) return Status::Internal("the supply of " + op.asset() + " is below a balance");
    definition->set_supply(definition->supply() - op.amount());
    ctx.state.Put(*definition);
  }
  return OpResult{};
}

Result<OpResult> ApplyRegisterAsset(OpContext& ctx, const v1::Account& actor, const v1::RegisterAsset& op) {
  if (!ctx.asset_registry) return NoRegistry();
  if (Status may = MayRegisterAsset(actor); !may.ok()) return Denied(may);
  CAIRN_ASSIGN_OR_RETURN(auto existing, ctx.state.Asset(op.name()));
  if (existing) return Fail(v1::TX_ASSET_EXISTS, "asset " + op.name() + " is registered");
  v1::AssetDefinition definition;
  definition.set_name(op.name());
  definition.set_precision(op.precision());
  definition.set_supply_cap(op.supply_cap());
  definition.set_owner(actor.address());
  for (const Bytes& issuer : op.issuers()) {
    CAIRN_ASSIGN_OR_RETURN(auto account, ctx.state.Account(issuer));
    if (!account) return Fail(v1::TX_UNKNOWN_ACCOUNT, "issuer " + ToHex(issuer) + " has no account");
    InsertSorted(definition.mutable_issuers(), issuer);
  }
  ctx.state.Put(definition);
  return OpResult{};
}

Result<OpResult> ApplySetFrozen(OpContext& ctx, const v1::Account& actor, const v1::SetAssetFrozen& op) {
  if (!ctx.asset_registry) return NoRegistry();
  CAIRN_ASSIGN_OR_RETURN(auto asset, LookUp(ctx, op.asset(), false));
  if (asset.failure) return *asset.failure;
  if (Status may = MayFreeze(actor, *asset.definition); !may.ok()) return Denied(may);
  asset.definition->set_frozen(op.frozen());
  ctx.state.Put(*asset.definition);
  return OpResult{};
}

// PERMISSION_MINT: the asset's issuers.
template <typename Op>
Result<OpResult> ApplyMintGrant(OpContext& ctx, const v1::Account& actor, const Op& op, bool grant) {
  if (!ctx.asset_registry) return NoRegistry();
  CAIRN_ASSIGN_OR_RETURN(auto asset, LookUp(ctx, op.asset(), false));
  if (asset.failure) return *asset.failure;
  v1::AssetDefinition& definition = *asset.definition;
  if (Status may = MayGrant(actor, v1::PERMISSION_MINT, &definition, {}); !may.ok()) return Denied(may);
  const bool holds = Contains(definition.issuers(), op.grantee());
  if (grant) {
    CAIRN_ASSIGN_OR_RETURN(auto grantee, ctx.state.Account(op.grantee()));
    if (!grantee) return Fail(v1::TX_UNKNOWN_ACCOUNT, "grantee " + ToHex(op.grantee()) + " has no account");
    if (holds) return Fail(v1::TX_INVALID_OPERATION, ToHex(op.grantee()) + " already issues " + op.asset());
    if (static_cast<size_t>(definition.issuers_size()) >= kMaxAssetIssuers) {
      return Fail(v1::TX_LIMIT, op.asset() + " has " + std::to_string(kMaxAssetIssuers) + " issuers, the limit");
    }
    InsertSorted(definition.mutable_issuers(), op.grantee());
  } else {
    if (!holds) return Fail(v1::TX_INVALID_OPERATION, ToHex(op.grantee()) + " does not issue " + op.asset());
    EraseFrom(definition.mutable_issuers(), op.grantee());
  }
  ctx.state.Put(definition);
  return OpResult{v1::TX_OK, "", {op.grantee()}};
}

}  // namespace

uint64_t BalanceOf(const v1::Account& account, std::string_view asset) {
  for (const auto& b : account.balances()) {
    if (b.asset() == asset) return b.amount();
  }
  return 0;
}

Result<OpResult> ApplyAssetOperation(OpContext& ctx, const v1::Account& actor, const v1::Operation& op) {
  switch (op.kind_case()) {
    case v1::Operation::kTransfer: return ApplyTransfer(ctx, actor, op.transfer());
    case v1::Operation::kMint: return ApplyMint(ctx, actor, op.mint());
    case v1::Operation::kBurn: return ApplyBurn(ctx, actor, op.burn());
    case v1::Operation::kRegisterAsset: return ApplyRegisterAsset(ctx, actor, op.register_asset());
    case v1::Operation::kSetAssetFrozen: return ApplySetFrozen(ctx, actor, op.set_asset_frozen());
    case v1::Operation::kGrant: return ApplyMintGrant(ctx, actor, op.grant(), true);
    case v1::Operation::kRevoke: return ApplyMintGrant(ctx, actor, op.revoke(), false);
    default: return Status::Internal("not an asset operation");
  }
}

}  // namespace cairn::ledger
