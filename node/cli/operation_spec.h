// One operation as people type it on the command line (cairn batch --op SPEC):
//   KIND FIELD=VALUE ...
// separated by spaces, no spaces inside a value. `from=ADDR` makes another account
// perform it (Operation.account; that account signs too). The kinds and their fields:
//   transfer to= asset= amount=            mint to= asset= amount=
//   burn asset= amount=                    create-account public-key= [role=user]
//   set-role account= role=                register-asset name= issuers=A,B [precision=] [cap=]
//   freeze asset=   thaw asset=            add-signatory public-key=   remove-signatory public-key=
//   set-quorum quorum=                     record key= (value= | value-hex=) [account=]
//   delete-record key= [account=]
//   grant|revoke permission=(mint|write-records|create-accounts) grantee= [asset=] [account=]
// Addresses are 40 hex characters (or a 64-hex public key, taken as its address).
#pragma once

#include <string>

#include "cairn/v1/transaction.pb.h"
#include "crypto/status.h"

namespace cairn::cli {

// The operation `spec` describes, or INVALID_ARGUMENT naming what is wrong with it.
Result<v1::Operation> ParseOperationSpec(const std::string& spec);

// "mint", "write-records", "create-accounts".
Result<v1::Permission> ParsePermission(const std::string& text);

}  // namespace cairn::cli
