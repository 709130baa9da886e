// The ledger's read side: blocks, transactions with proofs, accounts with proofs, and
// account history. Safe from any thread.
#include <mutex>

#include "crypto/domain.h"
#include "crypto/merkle.h"
#include "ledger/keys.h"
#include "ledger/records.h"
#include "ledger/signatories.h"
#include "ledger/ledger.h"

namespace cairn::ledger {

namespace {

// NOT_FOUND for a lookup by hash, naming the heights it covers when the node prunes:
// the index that would say "pruned" is what pruning deletes.
Status NotFoundByHash(const std::string& what, uint64_t retained_from) {
  return Status::NotFound(what + (retained_from > 0 ? " from height " + std::to_string(retained_from) +
                                                          " on (this node prunes older ones; an archive node serves them)"
                                                    : ""));
}

}  // namespace

Result<StoredBlock> Ledger::GetBlock(uint64_t height) const {
  CAIRN_ASSIGN_OR_RETURN(StoredBlock stored, GetBlockHeader(height));
  // Checked after the read: a pruning step raises the mark before it clears a body.
  if (height > 0 && height < pruned_below_.load(std::memory_order_acquire)) {
    // An epoch's root (the last block of its epoch) keeps its body.
    CAIRN_ASSIGN_OR_RETURN(auto root, store_->Get(keys::EpochRoot(stored.header.epoch() + 1)));
    const bool epoch_root = root && root->size() == 8 && ReadU64(*root) == height;
    if (!epoch_root) {
      return Status::FailedPrecondition("block " + std::to_string(height) +
                                        " is pruned: this node keeps block bodies, receipts and indexes from height " +
                                        std::to_string(retained_from()) +
                                        " on (headers and certificates from genesis); an archive node serves older ones");
    }
  }
  return stored;
}

Result<StoredBlock> Ledger::GetBlockHeader(uint64_t height) const {
  std::string what = "block " + std::to_string(height);
  auto read = ReadRecord<v1::Block>(*store_, keys::Block(height), what.c_str());
  if (read.status().code() == StatusCode::kNotFound && height < base_height_) {
    return Status::NotFound(what + " is below this node's base: it joined by state sync at height " +
                            std::to_string(base_height_) + " and holds only the epochs' last blocks and the last few before it");
  }
  CAIRN_ASSIGN_OR_RETURN(auto block, std::move(read));
  StoredBlock stored;
  if (!stored.header.ParseFromString(block.header())) return Status::Corruption(what + " header does not parse");
  stored.hash = crypto::BlockHash(chain_id(), block.header());
  stored.block = std::move(block);
  if (height > 0) {
    CAIRN_ASSIGN_OR_RETURN(auto qc, ReadRecord<v1::QuorumCertificate>(*store_, keys::Certificate(height),
                                                                      ("certificate of " + what).c_str()));
    stored.certificate = std::move(qc);
  }
  return stored;
}

Result<Hash> Ledger::CommittedBlockHash(uint64_t height) const {
  if (height == this->height()) return head_hash();
  if (height > 0 && height < this->height()) {
    auto certificate = ReadRecord<v1::QuorumCertificate>(*store_, keys::Certificate(height), "certificate");
    if (certificate.ok()) return HashFromBytes(certificate->block_hash());
    if (certificate.status().code() != StatusCode::kNotFound) return certificate.status();
  }
  // Genesis, above the head, or below a base: GetBlockHeader says which.
  CAIRN_ASSIGN_OR_RETURN(StoredBlock block, GetBlockHeader(height));
  return block.hash;
}

Result<StoredBlock> Ledger::GetBlockByHash(const Hash& block_hash) const {
  CAIRN_ASSIGN_OR_RETURN(auto height_bytes, store_->Get(keys::BlockHeight(block_hash)));
  if (!height_bytes) return NotFoundByHash("no block with hash " + ToHex(block_hash), retained_from());
  if (height_bytes->size() != 8) return Status::Corruption("block index record has a bad length");
  return GetBlock(ReadU64(*height_bytes));
}

Result<std::optional<v1::QuorumCertificate>> Ledger::FinalityProof(uint64_t height) const {
  using Proof = std::optional<v1::QuorumCertificate>;
  if (height == 0 || height > this->height()) return Proof();
  auto own = ReadRecord<v1::QuorumCertificate>(*store_, keys::Finality(height), "finality certificate");
  if (own.ok()) return Proof(std::move(*own));
  if (own.status().code() != StatusCode::kNotFound) return own.status();
  if (height == this->height()) return Proof();
  CAIRN_ASSIGN_OR_RETURN(StoredBlock block, GetBlockHeader(height));
  CAIRN_ASSIGN_OR_RETURN(StoredBlock child, GetBlockHeader(height + 1));
  if (child.certificate && child.certificate->commit_hash() == AsView(block.hash)) return Proof(*child.certificate);
  return Proof();
}

Result<v1::CommitProof> Ledger::CommitProofOf(uint64_t height) const {
  const std::string what = "block " + std::to_string(height);
  if (height == 0) return Status::NotFound("genesis is proven by the genesis file, not by a certificate");
  CAIRN_ASSIGN_OR_RETURN(StoredBlock block, GetBlockHeader(height));
  v1::CommitProof proof;
  for (uint64_t h = height;; ++h) {
    CAIRN_ASSIGN_OR_RETURN(auto finality, FinalityProof(h));
    if (finality) {
      *proof.mutable_finality() = std::move(*finality);
      return proof;
    }
    if (h >= this->height() || proof.descendant_headers_size() >= static_cast<int>(kMaxCommitProofHeaders)) break;
    CAIRN_ASSIGN_OR_RETURN(StoredBlock next, GetBlockHeader(h + 1));
    // An epoch's blocks are all committed by certificates of its own set.
    if (next.header.epoch() != block.header.epoch()) break;
    proof.add_descendant_headers(next.block.header());
  }
  return Status::NotFound(what + " has no certificate naming it or one of the " + std::to_string(kMaxCommitProofHeaders) +
                          " blocks after it committed");
}

Result<StoredTransaction> Ledger::GetTransaction(const Hash& tx_hash) const {
  CAIRN_ASSIGN_OR_RETURN(auto location_bytes, store_->Get(keys::TxLocation(tx_hash)));
  if (!location_bytes) return NotFoundByHash("no committed transaction " + ToHex(tx_hash), retained_from());
  v1::TxLocation location;
  if (!location.ParseFromString(*location_bytes)) return Status::Corruption("transaction index record does not parse");
  CAIRN_ASSIGN_OR_RETURN(StoredBlock stored, GetBlock(location.height()));
  const auto& txs = stored.block.transactions();
  if (location.index() >= static_cast<uint32_t>(txs.size())) {
    return Status::Corruption("transaction index points past the end of block " +
                              std::to_string(location.height()));
  }
  std::vector<Hash> hashes;
  hashes.reserve(txs.size());
  for (const auto& tx : txs) {
    hashes.push_back(TransactionHash(chain_id(), tx));
  }
  if (hashes[location.index()] != tx_hash) {
    return Status::Corruption("transaction index does not match block " + std::to_string(location.height()));
  }
  StoredTransaction out;
  CAIRN_ASSIGN_OR_RETURN(out.receipt, ReadRecord<v1::Receipt>(*store_, keys::Receipt(location.height(), location.index()),
                                                              "receipt"));
  out.transaction = txs[static_cast<int>(location.index())];
  out.header = stored.header;
  out.block_hash = stored.hash;
  out.block_tx_count = static_cast<uint32_t>(txs.size());
  out.inclusion_proof = crypto::MerkleInclusionProof(hashes, location.index());
  std::vector<Hash> receipts;
  receipts.reserve(txs.size());
  for (uint32_t i = 0; i < out.block_tx_count; ++i) {
    CAIRN_ASSIGN_OR_RETURN(auto bytes, store_->Get(keys::Receipt(location.height(), i)));
    if (!bytes) return Status::Corruption("receipt " + std::to_string(i) + " of block " + std::to_string(location.height()) + " is missing");
    receipts.push_back(crypto::ReceiptHash(chain_id(), *bytes));
  }
  out.receipt_proof = crypto::MerkleInclusionProof(receipts, location.index());
  return out;
}

Result<AccountView> Ledger::GetAccount(ByteView address) const {
  if (address.size() != crypto::kAddressSize) {
    return Status::InvalidArgument("an address is 20 bytes, got " + std::to_string(address.size()));
  }
  AccountView view;
  StateTree tree;
  {
    // The head's version of the tree, pinned; reading it needs no lock, since a
    // committed version is never rewritten.
    std::shared_lock lock(mu_);
    view.height = head_header_.height();
    tree = tree_.Pinned(state_pins_.Pin(tree_.version()));
  }
  view.state_root = tree.root();
  CAIRN_ASSIGN_OR_RETURN(ProvenValue proven, tree.Prove(StateKey(address)));
  view.proof = std::move(proven.proof);
  if (proven.value) {
    v1::Account account;
    if (!account.ParseFromString(*proven.value)) return Status::Corruption("account record does not parse");
    view.account = std::move(account);
    view.account_bytes = std::move(*proven.value);
  }
  return view;
}

Result<StateTree> Ledger::StateAt(uint64_t height) const {
  std::shared_ptr<const void> pin;
  {
    // Pinned under the lock: the head cannot move past the version before it is pinned.
    std::shared_lock lock(mu_);
    if (height > head_header_.height()) {
      return Status::NotFound("no state for height " + std::to_string(height) + " yet: the head is " +
                              std::to_string(head_header_.height()));
    }
    pin = state_pins_.Pin(height);
    if (pin && height == head_header_.height()) return tree_.Pinned(std::move(pin));
  }
  if (!pin) {
    return Status::NotFound("the state of height " + std::to_string(height) +
                            " is pruned: this node keeps state versions from " +
                            std::to_string(oldest_state_version()) + " on");
  }
  CAIRN_ASSIGN_OR_RETURN(StateTree tree, tree_store_.Load(height));
  return tree.Pinned(std::move(pin));
}

StateTree Ledger::HeadTree() const {
  std::shared_lock lock(mu_);
  return tree_.Pinned(state_pins_.Pin(tree_.version()));
}

Result<uint64_t> Ledger::CommittedNonce(ByteView address) const {
  CAIRN_ASSIGN_OR_RETURN(auto account, AccountIn(HeadTree(), address));
  return account ? account->nonce() : uint64_t{0};
}

Result<StateEntryView> Ledger::ProveStateEntry(const Hash& key) const {
  StateEntryView view;
  StateTree tree;
  {
    std::shared_lock lock(mu_);
    view.height = head_header_.height();
    tree = tree_.Pinned(state_pins_.Pin(tree_.version()));
  }
  view.state_root = tree.root();
  CAIRN_ASSIGN_OR_RETURN(ProvenValue proven, tree.Prove(key));
  view.proof = std::move(proven.proof);
  if (proven.value) view.value = std::move(*proven.value);
  return view;
}

Result<uint64_t> Ledger::AdmissionNonce(const CheckedTx& tx) const {
  CAIRN_RETURN_IF_ERROR(CheckExpiry(tx.body, head_header().timestamp_ms()));
  const StateTree tree = HeadTree();
  CAIRN_ASSIGN_OR_RETURN(auto sender, AccountIn(tree, tx.sender));
  if (!sender) {
    // A pending transaction may create it; until then only its own key speaks for it
    // (a new account has no other signatory), or anyone could fill its nonces first.
    for (const Bytes& key : tx.signers) {
      if (crypto::AddressOf(key) == tx.sender) return uint64_t{0};
    }
    return Status::FailedPrecondition("sender " + ToHex(tx.sender) + " has no account, and its key did not sign");
  }
  std::vector<v1::Account> accounts{*sender};
  for (const Bytes& address : RequiredSigners(tx)) {
    if (address == tx.sender) continue;
    CAIRN_ASSIGN_OR_RETURN(auto account, AccountIn(tree, address));
    // Refused now rather than held: it would block its sender's later nonces.
    if (!account) return Status::FailedPrecondition("account " + ToHex(address) + " performs an operation but does not exist");
    accounts.push_back(std::move(*account));
  }
  CAIRN_RETURN_IF_ERROR(CheckSigners(accounts, tx.signers, true));
  return sender->nonce();
}

Result<RecordHistoryPage> Ledger::GetRecordHistory(ByteView account, std::string_view key,
                                                   const std::optional<v1::RecordHistoryEntry>& after,
                                                   size_t limit) const {
  if (key.empty() || key.size() > kMaxRecordKeyBytes) {
    return Status::InvalidArgument("a record key is 1 to " + std::to_string(kMaxRecordKeyBytes) + " bytes");
  }
  const Bytes prefix = keys::RecordHistoryPrefix(account, key);
  return ReadPage<v1::RecordHistoryEntry>(account, prefix,
                  after ? keys::RecordHistory(account, key, after->height(), after->index()) : Bytes(), limit,
                  "record history entry");
}

Result<HistoryPage> Ledger::GetAccountHistory(ByteView address,
                                              const std::optional<v1::HistoryEntry>& after,
                                              size_t limit) const {
  return ReadPage<v1::HistoryEntry>(address, keys::HistoryPrefix(address),
                  after ? keys::History(address, after->height(), after->index()) : Bytes(), limit, "history record");
}

template <typename Entry>
Result<Page<Entry>> Ledger::ReadPage(ByteView address, const Bytes& prefix, const Bytes& after_key, size_t limit,
                                     const std::string& what) const {
  if (address.size() != crypto::kAddressSize) {
    return Status::InvalidArgument("an address is 20 bytes, got " + std::to_string(address.size()));
  }
  if (limit == 0 || limit > kMaxHistoryPage) {
    return Status::InvalidArgument("page size must be 1 to " + std::to_string(kMaxHistoryPage));
  }
  // Start just after the cursor: its key with one more byte sorts right after it.
  const Bytes start = after_key.empty() ? prefix : after_key + '\0';
  Page<Entry> page;
  Status parse_error;
  CAIRN_RETURN_IF_ERROR(store_->Scan(prefix, start, [&](ByteView, ByteView value) {
    if (page.entries.size() == limit) {
      page.next_after = page.entries.back();
      return false;
    }
    Entry entry;
    if (!entry.ParseFromString(Bytes(value))) {
      parse_error = Status::Corruption(what + " does not parse");
      return false;
    }
    page.entries.push_back(std::move(entry));
    return true;
  }));
  CAIRN_RETURN_IF_ERROR(parse_error);
  return page;
}

bool VerifyAccountProof(const Hash& state_root, ByteView address, ByteView account_bytes,
                        const StateProof& proof) {
  std::optional<Hash> value;
  if (!account_bytes.empty()) value = AccountValueHash(account_bytes);
  return VerifyStateProof(state_root, StateKey(address), value, proof);
}

}  // namespace cairn::ledger
