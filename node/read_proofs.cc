#include "node/read_proofs.h"

#include "crypto/domain.h"
#include "crypto/merkle.h"
#include "ledger/ledger.h"

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
  const Hash hash = crypto::TxHash(body.chain_id(), tx.transaction().public_key(), tx.transaction().signature(),
                                   tx.transaction().body());
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

}  // namespace cairn::node
