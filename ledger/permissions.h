// Who may do what: every permission check of the account model, one rule each, in this
// one place (the executor's operations ask here and nowhere else). A denial is a
// PERMISSION_DENIED status whose message says what was missing; the operation turns it
// into a TX_PERMISSION_DENIED receipt.
//
// The roles stay as they were: users transfer what they hold, issuers may also register
// assets, admins may also create accounts, set roles, register assets and give the
// grants that are not an owner's. Grants (v1::Permission) are stored with what they
// govern: PERMISSION_MINT in the asset's issuers, PERMISSION_WRITE_RECORDS in the
// owner's record_writers, PERMISSION_CREATE_ACCOUNTS on the grantee's account.
#pragma once

#include <string_view>

#include "cairn/v1/state.pb.h"
#include "cairn/v1/transaction.pb.h"
#include "crypto/bytes.h"
#include "crypto/status.h"

namespace cairn::ledger {

// Creating an account with `role`: admins, and accounts granted
// PERMISSION_CREATE_ACCOUNTS (users only).
Status MayCreateAccount(const v1::Account& actor, v1::Role role);
// Setting a role: admins.
Status MaySetRole(const v1::Account& actor);
// Registering an asset: admins and issuers.
Status MayRegisterAsset(const v1::Account& actor);
// Minting or burning (`action`: "mint", "burn") an asset: its issuers; on a chain
// without a registry (`asset` null), accounts with the issuer role.
Status MayMintOrBurn(const v1::Account& actor, const v1::AssetDefinition* asset, std::string_view action);
// Freezing or thawing an asset: admins and its owner.
Status MayFreeze(const v1::Account& actor, const v1::AssetDefinition& asset);
// Writing a record of `owner`: the owner and the accounts it granted
// PERMISSION_WRITE_RECORDS.
Status MayWriteRecords(const v1::Account& actor, const v1::Account& owner);
// Giving or taking back a grant: PERMISSION_MINT, admins and the asset's owner;
// PERMISSION_WRITE_RECORDS, the owner of the records (`records_owner`); PERMISSION_
// CREATE_ACCOUNTS, admins. `asset` is the asset of a PERMISSION_MINT grant.
Status MayGrant(const v1::Account& actor, v1::Permission permission, const v1::AssetDefinition* asset,
                const Bytes& records_owner);

}  // namespace cairn::ledger
