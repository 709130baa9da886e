#include "ledger/permissions.h"

#include <algorithm>

namespace cairn::ledger {

namespace {

bool IsAdmin(const v1::Account& account) { return account.role() == v1::ROLE_ADMIN; }

template <typename List>
bool Lists(const List& list, const Bytes& address) {
  return std::find(list.begin(), list.end(), address) != list.end();
}

}  // namespace

Status MayCreateAccount(const v1::Account& actor, v1::Role role) {
  if (IsAdmin(actor)) return Status::Ok();
  if (actor.may_create_accounts()) {
    if (role == v1::ROLE_USER) return Status::Ok();
    return Status::PermissionDenied("PERMISSION_CREATE_ACCOUNTS creates users only; only admins give other roles");
  }
  // The first model's words: its blocks' receipts must replay byte for byte.
  return Status::PermissionDenied("only admins create accounts");
}

Status MaySetRole(const v1::Account& actor) {
  return IsAdmin(actor) ? Status::Ok() : Status::PermissionDenied("only admins set roles");
}

Status MayRegisterAsset(const v1::Account& actor) {
  if (IsAdmin(actor) || actor.role() == v1::ROLE_ISSUER) return Status::Ok();
  return Status::PermissionDenied("only admins and issuers register assets");
}

Status MayMintOrBurn(const v1::Account& actor, const v1::AssetDefinition* asset, std::string_view action) {
  if (asset == nullptr) {
    // "only issuers mint": the first model's words, which its receipts hold.
    if (actor.role() == v1::ROLE_ISSUER) return Status::Ok();
    return Status::PermissionDenied("only issuers " + std::string(action));
  }
  if (Lists(asset->issuers(), actor.address())) return Status::Ok();
  return Status::PermissionDenied("only the issuers of " + asset->name() + " mint and burn it");
}

Status MayFreeze(const v1::Account& actor, const v1::AssetDefinition& asset) {
  if (IsAdmin(actor) || (!asset.owner().empty() && asset.owner() == actor.address())) return Status::Ok();
  return Status::PermissionDenied("only admins and the owner of " + asset.name() + " freeze it");
}

Status MayWriteRecords(const v1::Account& actor, const v1::Account& owner) {
  if (actor.address() == owner.address() || Lists(owner.record_writers(), actor.address())) return Status::Ok();
  return Status::PermissionDenied("only " + ToHex(owner.address()) +
                                  " and the accounts it granted PERMISSION_WRITE_RECORDS write its records");
}

Status MayGrant(const v1::Account& actor, v1::Permission permission, const v1::AssetDefinition* asset,
                const Bytes& records_owner) {
  switch (permission) {
    case v1::PERMISSION_MINT:
      if (IsAdmin(actor) || (asset != nullptr && !asset->owner().empty() && asset->owner() == actor.address())) {
        return Status::Ok();
      }
      return Status::PermissionDenied("only admins and the asset's owner grant PERMISSION_MINT");
    case v1::PERMISSION_WRITE_RECORDS:
      if (actor.address() == records_owner) return Status::Ok();
      return Status::PermissionDenied("only the owner of the records grants PERMISSION_WRITE_RECORDS on them");
    case v1::PERMISSION_CREATE_ACCOUNTS:
      if (IsAdmin(actor)) return Status::Ok();
      return Status::PermissionDenied("only admins grant PERMISSION_CREATE_ACCOUNTS");
    default:
      return Status::PermissionDenied("not a permission");
  }
}

}  // namespace cairn::ledger
