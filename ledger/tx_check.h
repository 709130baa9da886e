// Stateless checks of a transaction: everything that can be decided without the ledger's
// state. A transaction that fails here never enters a block (architecture, "Transactions
// and state"). The mempool runs these on admission; block validation runs them again
// for transactions it has not already checked.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "cairn/v1/transaction.pb.h"
#include "crypto/bytes.h"
#include "crypto/ed25519.h"
#include "crypto/verifier.h"
#include "crypto/status.h"

namespace cairn::ledger {

// Bounds checked before parsing anything (architecture rule 4). A body holds one
// record's value (4 KiB) and its key with room for the rest of a batch.
constexpr size_t kMaxTxBodyBytes = 6 * 1024;
constexpr size_t kMaxAssetNameLength = 16;
// Operations of one transaction (TxBody.operations).
constexpr size_t kMaxOperations = 16;
// Signatures of one transaction: a batch two accounts of 16 signatories sign. Each one
// is verified by every node at admission and in every block (about 50 us of a core),
// so a transaction costs at most about 1.6 ms of verification.
constexpr size_t kMaxTxSignatures = 32;
constexpr size_t kMaxMemoBytes = 128;
// Records (SetRecord).
constexpr size_t kMaxRecordKeyBytes = 64;
constexpr size_t kMaxRecordValueBytes = 4096;
// RegisterAsset.
constexpr uint32_t kMaxAssetPrecision = 18;
constexpr size_t kMaxAssetIssuers = 8;

// A transaction that passed CheckTransaction, with what the checks computed.
struct CheckedTx {
  v1::TxBody body;
  Hash hash;     // TransactionHash
  Bytes sender;  // SenderOf: the account whose nonce it uses
  // The keys whose signatures verified, ascending: whose quorums they meet is decided
  // against the state (ledger/signatories.h).
  std::vector<Bytes> signers;
  // OperationsOf(body).
  std::vector<v1::Operation> operations;
};

// Checks sizes, the body's encoding, the chain id, every operation field and every
// signature, cheapest first. Errors are INVALID_ARGUMENT (malformed, bad signature) or
// FAILED_PRECONDITION (another chain), with a message that names the problem.
// Signatures go through `verifier`, so a result cached at admission is reused.
Result<CheckedTx> CheckTransaction(const v1::Transaction& tx, std::string_view chain_id,
                                   crypto::SignatureVerifier& verifier);
// The same, verifying the signature directly.
Result<CheckedTx> CheckTransaction(const v1::Transaction& tx, std::string_view chain_id);

// Signs `body` (for the chain it names) with `key`: the Transaction a wallet submits,
// in the one-signer form.
v1::Transaction SignTransaction(const crypto::PrivateKey& key, const v1::TxBody& body);
// The several-signer form: one signature of `body` by each key, in the order the
// format requires (ascending public key). Keys must be distinct.
v1::Transaction SignTransaction(std::span<const crypto::PrivateKey* const> keys, const v1::TxBody& body);
// `tx` (either form) with the signatures of `other` (over the same body) added: how
// signature files made by several key holders combine. Refuses different bodies and
// the same key signing twice with different bytes.
Result<v1::Transaction> CombineSignatures(const v1::Transaction& tx, const v1::Transaction& other);

// The (public key, signature) pairs of a transaction in either form, their sizes and
// order checked, nothing verified: what the signature checks run over.
Result<std::vector<std::pair<ByteView, ByteView>>> TransactionSignatures(const v1::Transaction& tx);

// A transaction's identity (crypto::TxHash or crypto::MultiSignedTxHash by its form).
Hash TransactionHash(std::string_view chain_id, const v1::Transaction& tx);
// The account whose nonce a transaction uses: its body's sender, or the address of its
// one signer's key.
Bytes SenderOf(const v1::Transaction& tx, const v1::TxBody& body);
// The account-model operations of a body: its `operations`, or its one `operation`
// when that is one of them (not a governance operation: then none).
std::vector<v1::Operation> OperationsOf(const v1::TxBody& body);

// True for 1 to 16 characters of A-Z, 0-9.
bool IsValidAssetName(std::string_view asset);

}  // namespace cairn::ledger
