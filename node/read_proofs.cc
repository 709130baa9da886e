#include "node/read_proofs.h"

#include "crypto/domain.h"
#include "crypto/merkle.h"
#include "ledger/ledger.h"
#include "ledger/state_entries.h"

namespace cairn::node {

namespace {

// A hash from the node's bytes; a malformed one becomes zeros, which no proof accepts.
Hash HashOrZero(const std::string& bytes) {
  auto hash = HashFromBytes(bytes);
  return hash.ok() ? *hash : Hash{};
}

}  // namespace

Status CheckInclusion(const v1::GetTransactionResponse& tx) {
  v1::BlockHeader header;
  if (!header.ParseFromString(tx.block_header())) return Status::InvalidArgument("the block header does not parse");
  v1::TxBody body;
  if (!body.ParseFromString(tx.transaction().body())) return Status::InvalidArgument("the transaction body does not parse");
  const Hash hash = ledger::TransactionHash(body.chain_id(), tx.transaction());
  if (tx.receipt().tx_hash() != AsView(hash)) return Status::InvalidArgument("the receipt is for another transaction");
  std::vector<Hash> siblings;
  for (const auto& s : tx.inclusion_proof()) siblings.push_back(HashOrZero(s));
  if (!crypto::VerifyMerkleInclusion(hash, tx.receipt().index(), tx.block_tx_count(), siblings, HashOrZero(header.tx_root()))) {
    return Status::InvalidArgument("the inclusion proof does not lead to the header's transactions root");
  }
  // The receipt (the result shown) at the same index under the receipts root.
  std::vector<Hash> receipt_siblings;
  for (const auto& s : tx.receipt_proof()) receipt_siblings.push_back(HashOrZero(s));
  const Hash receipt_hash = crypto::ReceiptHash(body.chain_id(), tx.receipt().SerializeAsString());
  if (!crypto::VerifyMerkleInclusion(receipt_hash, tx.receipt().index(), tx.block_tx_count(), receipt_siblings,
                                     HashOrZero(header.receipts_root()))) {
    return Status::InvalidArgument("the receipt proof does not lead to the header's receipts root: the result is not proven");
  }
  return Status::Ok();
}

Status CheckAccountProof(const v1::GetAccountResponse& answer) {
  const v1::AccountProof& p = answer.proof();
  ledger::StateProof proof;
  for (const auto& sibling : p.siblings()) proof.siblings.push_back(HashOrZero(sibling));
  if (!p.other_leaf_key().empty()) {
    proof.leaf = std::pair{HashOrZero(p.other_leaf_key()), HashOrZero(p.other_leaf_value_hash())};
  } else if (!p.account().empty()) {
    proof.leaf = std::pair{ledger::StateKey(p.address()), ledger::AccountValueHash(p.account())};
  }
  if (!answer.block_header().empty()) {
    v1::BlockHeader header;
    if (!header.ParseFromString(answer.block_header()) || header.state_root() != answer.state_root()) {
      return Status::InvalidArgument("the state root is not the block header's");
    }
  }
  if (!ledger::VerifyAccountProof(HashOrZero(answer.state_root()), p.address(), p.account(), proof)) {
    return Status::InvalidArgument("the account proof does not lead to the state root");
  }
  // The account shown must be the one proven (the proof's bytes), or absent with it.
  v1::Account proven;
  if (!p.account().empty() && !proven.ParseFromString(p.account())) {
    return Status::InvalidArgument("the proven account does not parse");
  }
  if (answer.has_account() != !p.account().empty() ||
      (answer.has_account() && answer.account().SerializeAsString() != proven.SerializeAsString())) {
    return Status::InvalidArgument("the account shown is not the account proven");
  }
  return Status::Ok();
}

namespace {

// An entry answer (GetAssetResponse, GetRecordResponse): the proof is for `key`, leads
// to the state root, which is the header's, and `shown` is the entry proven.
template <typename Answer>
Status CheckEntryAnswer(const Hash& key, const Answer& answer, const google::protobuf::Message& shown, bool has_shown) {
  const v1::StateEntryProof& p = answer.proof();
  if (p.key() != AsView(key)) return Status::InvalidArgument("the proof is about another entry than the one asked for");
  ledger::StateProof proof;
  for (const auto& sibling : p.siblings()) proof.siblings.push_back(HashOrZero(sibling));
  if (!p.other_leaf_key().empty()) {
    proof.leaf = std::pair{HashOrZero(p.other_leaf_key()), HashOrZero(p.other_leaf_value_hash())};
  } else if (!p.value().empty()) {
    proof.leaf = std::pair{key, ledger::tree::ValueHash(p.value())};
  }
  if (!answer.block_header().empty()) {
    v1::BlockHeader header;
    if (!header.ParseFromString(answer.block_header()) || header.state_root() != answer.state_root()) {
      return Status::InvalidArgument("the state root is not the block header's");
    }
  }
  const std::optional<Hash> value_hash =
      p.value().empty() ? std::nullopt : std::optional<Hash>(ledger::tree::ValueHash(p.value()));
  if (!ledger::VerifyStateProof(HashOrZero(answer.state_root()), key, value_hash, proof)) {
    return Status::InvalidArgument("the proof does not lead to the state root");
  }
  if (has_shown != !p.value().empty() || (has_shown && shown.SerializeAsString() != p.value())) {
    return Status::InvalidArgument("the entry shown is not the entry proven");
  }
  return Status::Ok();
}

}  // namespace

Status CheckAssetProof(std::string_view name, const v1::GetAssetResponse& answer) {
  return CheckEntryAnswer(ledger::AssetStateKey(name), answer, answer.asset(), answer.has_asset());
}

Status CheckRecordProof(ByteView account, std::string_view key, const v1::GetRecordResponse& answer) {
  return CheckEntryAnswer(ledger::RecordStateKey(account, key), answer, answer.record(), answer.has_record());
}

}  // namespace cairn::node
