// Stateless checks of a transaction: everything that can be decided without the ledger's
// state. A transaction that fails here never enters a block (architecture, "Transactions
// and state"). The mempool runs these on admission; block validation runs them again
// for transactions it has not already checked.
#pragma once

#include <string_view>

#include "cairn/v1/transaction.pb.h"
#include "crypto/bytes.h"
#include "crypto/ed25519.h"
#include "crypto/verifier.h"
#include "crypto/status.h"

namespace cairn::ledger {

// Bounds checked before parsing anything (architecture rule 4).
constexpr size_t kMaxTxBodyBytes = 1024;
constexpr size_t kMaxAssetNameLength = 16;

// A transaction that passed CheckTransaction, with what the checks computed.
struct CheckedTx {
  v1::TxBody body;
  Hash hash;       // crypto::TxHash
  Bytes sender;    // address of the signing key
};

// Checks sizes, the body's encoding, the chain id, every operation field and the
// signature, cheapest first. Errors are INVALID_ARGUMENT (malformed, bad signature) or
// FAILED_PRECONDITION (another chain), with a message that names the problem.
// The signature goes through `verifier`, so a result cached at admission is reused.
Result<CheckedTx> CheckTransaction(const v1::Transaction& tx, std::string_view chain_id,
                                   crypto::SignatureVerifier& verifier);
// The same, verifying the signature directly.
Result<CheckedTx> CheckTransaction(const v1::Transaction& tx, std::string_view chain_id);

// Signs `body` (for the chain it names) with `key`: the Transaction a wallet submits.
v1::Transaction SignTransaction(const crypto::PrivateKey& key, const v1::TxBody& body);

// True for 1 to 16 characters of A-Z, 0-9.
bool IsValidAssetName(std::string_view asset);

}  // namespace cairn::ledger
