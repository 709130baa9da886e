#include "ledger/ledger.h"

#include <algorithm>

#include <mutex>

#include "crypto/check.h"
#include "crypto/domain.h"
#include "crypto/merkle.h"
#include "ledger/genesis.h"
#include "ledger/keys.h"
#include "ledger/records.h"
#include "ledger/state_base.h"

namespace cairn::ledger {

namespace {

// The state as one version of the state tree holds it: the committed head's, or a
// pending block's (its overlay over the committed nodes).
class TreeStateReader : public StateReader {
 public:
  explicit TreeStateReader(const StateTree& tree) : tree_(tree) {}
  Result<std::optional<v1::Account>> GetAccount(ByteView address) const override { return AccountIn(tree_, address); }
  Result<std::optional<v1::AssetDefinition>> GetAsset(std::string_view name) const override {
    return AssetIn(tree_, name);
  }
  Result<std::optional<v1::AccountRecord>> GetRecord(ByteView account, std::string_view key) const override {
    return RecordIn(tree_, account, key);
  }

 private:
  const StateTree& tree_;
};

v1::RecordHistoryEntry RecordHistoryEntryOf(const RecordWrite& write, const Hash& tx_hash, uint64_t height) {
  v1::RecordHistoryEntry entry;
  entry.set_tx_hash(ToBytes(tx_hash));
  entry.set_height(height);
  entry.set_index(write.index);
  entry.set_writer(write.writer);
  if (write.value) {
    entry.set_value(*write.value);
  } else {
    entry.set_deleted(true);
  }
  return entry;
}

// The state tree's changes for a block's state changes.
std::vector<StateTree::Change> TreeChangesOf(const StateChanges& changes) {
  std::vector<StateTree::Change> out;
  out.reserve(changes.accounts.size() + changes.assets.size() + changes.records.size());
  for (const auto& [address, account] : changes.accounts) {
    out.emplace_back(StateKey(address), account.SerializeAsString());
  }
  for (const auto& [name, asset] : changes.assets) out.emplace_back(AssetStateKey(name), asset.SerializeAsString());
  for (const auto& [where, record] : changes.records) {
    out.emplace_back(RecordStateKey(where.first, where.second),
                     record ? std::optional<Bytes>(record->SerializeAsString()) : std::nullopt);
  }
  return out;
}

std::vector<Hash> ReceiptHashes(std::string_view chain_id, const std::vector<v1::Receipt>& receipts) {
  std::vector<Hash> hashes;
  hashes.reserve(receipts.size());
  for (const auto& r : receipts) hashes.push_back(crypto::ReceiptHash(chain_id, r.SerializeAsString()));
  return hashes;
}

Status ExpectRoot(const std::string& field, const std::string& in_header, const Hash& computed) {
  if (in_header != AsView(computed)) {
    return Status::InvalidArgument("block " + field + " " + ToHex(in_header) +
                                   " does not match the computed " + ToHex(computed));
  }
  return Status::Ok();
}

}  // namespace

Ledger::Ledger(std::unique_ptr<KvStore> store, v1::Genesis genesis,
               crypto::SignatureVerifier* verifier, const LedgerOptions& options)
    : store_(std::move(store)),
      genesis_(std::move(genesis)),
      genesis_hash_(GenesisHash(genesis_)),
      rules_(GovernanceRulesOf(genesis_)),
      verifier_(verifier ? *verifier : direct_verifier_),
      tree_store_(*store_, options.state_cache_bytes) {}

Result<std::unique_ptr<Ledger>> Ledger::Open(std::unique_ptr<KvStore> store,
                                             const v1::Genesis& genesis,
                                             crypto::SignatureVerifier* verifier,
                                             const LedgerOptions& options) {
  CAIRN_RETURN_IF_ERROR(ValidateGenesis(genesis).Annotate("genesis"));
  std::unique_ptr<Ledger> ledger(new Ledger(std::move(store), genesis, verifier, options));
  CAIRN_ASSIGN_OR_RETURN(auto stored_genesis, ledger->store_->Get(keys::kGenesisHash));
  if (!stored_genesis) {
    CAIRN_RETURN_IF_ERROR(ledger->Initialise());
  } else if (*stored_genesis != AsView(ledger->genesis_hash_)) {
    v1::Genesis other;
    auto doc = ledger->store_->Get(keys::kGenesisDocument);
    std::string other_chain = doc.ok() && *doc && other.ParseFromString(**doc) ? other.chain_id() : "?";
    return Status::FailedPrecondition(
        "the data directory holds chain '" + other_chain + "' (genesis " + ToHex(*stored_genesis) +
        "), but the genesis file is for chain '" + genesis.chain_id() + "' (genesis " +
        ToHex(ledger->genesis_hash_) + ")");
  }
  CAIRN_RETURN_IF_ERROR(ledger->LoadExisting());
  return ledger;
}

Status Ledger::Initialise() {
  GenesisState state = BuildGenesisState(genesis_);
  WriteBatch batch;
  AddGenesisRecords(genesis_, state, &batch);
  batch.Put(keys::kGovernance, state.governance.SerializeAsString());
  v1::ChainHead head;
  head.set_height(0);
  head.set_block_hash(ToBytes(state.block_hash));
  batch.Put(keys::kHead, head.SerializeAsString());
  tree_store_.AddToBatch(state.tree, &batch);
  // Written last in the same batch: a store with a genesis hash is a complete store.
  batch.Put(keys::kGenesisHash, AsView(genesis_hash_));
  CAIRN_RETURN_IF_ERROR(store_->Write(batch, Durability::kSync).Annotate("initialising the ledger"));
  tree_store_.MarkCommitted(state.tree);
  return Status::Ok();
}

Status Ledger::ConvertFromFormat1(uint64_t head_height) {
  // Format 1 kept one record per account (a <address>) and rebuilt the tree from them
  // at every start. Each step below can be cut short by a crash and done again: the
  // tree first (its root record last), then the account records go, then the format
  // record says it is done.
  bool convicted = false;
  CAIRN_RETURN_IF_ERROR(store_->Scan(keys::kFormat1OffencePrefix, keys::kFormat1OffencePrefix, [&](ByteView, ByteView) {
    convicted = true;
    return false;
  }));
  if (convicted) {
    // Its state roots left its offences out; this build's state holds them, so from its
    // first block with evidence on, its chain is not the one this build executes.
    return Status::FailedPrecondition(
        "this data directory is of store format 1 and its chain recorded equivocation evidence, which this build "
        "keeps in the state: it cannot be converted; move it aside and sync again from peers of this build");
  }
  std::vector<StateTree::Entry> leaves;
  std::vector<Bytes> old_keys;
  CAIRN_RETURN_IF_ERROR(store_->Scan(keys::kAccountPrefix, keys::kAccountPrefix, [&](ByteView key, ByteView value) {
    leaves.emplace_back(StateKey(key.substr(keys::kAccountPrefix.size())), Bytes(value));
    old_keys.emplace_back(key);
    return true;
  }));
  CAIRN_ASSIGN_OR_RETURN(auto root, store_->Get(keys::StateRoot(head_height)));
  if (!root) {
    StateTree built = StateTree::Build(head_height, std::move(leaves));
    CAIRN_RETURN_IF_ERROR(tree_store_.WriteWhole(built, *store_).Annotate("storing the converted state tree"));
  }
  constexpr size_t kDeletesPerBatch = 16384;
  for (size_t first = 0; first < old_keys.size(); first += kDeletesPerBatch) {
    WriteBatch deletes;
    for (size_t i = first; i < std::min(old_keys.size(), first + kDeletesPerBatch); ++i) deletes.Delete(old_keys[i]);
    CAIRN_RETURN_IF_ERROR(store_->Write(deletes, Durability::kNoSync));
  }
  WriteBatch format;
  format.Put(keys::kStoreFormat, StoreFormatRecord());
  CAIRN_RETURN_IF_ERROR(store_->Write(format, Durability::kSync));
  open_report_.converted_state_tree = true;
  return Status::Ok();
}

Status Ledger::CheckFormat(ByteView record) const {
  v1::StoreFormat format;
  if (!format.ParseFromArray(record.data(), static_cast<int>(record.size()))) {
    return Status::Corruption("the store format record is damaged");
  }
  if (format.version() == StoreFormatVersion()) return Status::Ok();
  if (format.version() == 2 || format.version() == 3) {
    // Only development builds wrote them (2026-12-01 to 12-04): format 2 with the tree's
    // records beside the rest, where this build does not look for them; format 3 with
    // the convicted offences outside the state, whose roots then differ from this
    // build's from the first block with evidence on.
    return Status::FailedPrecondition(
        "this data directory is of store format " + std::to_string(format.version()) +
        " (a development build's): move it aside and start the node with an empty data_dir, to sync again from "
        "its peers (sync_mode \"state\" or \"blocks\")");
  }
  return Status::FailedPrecondition("this data directory is of store format " + std::to_string(format.version()) +
                                    ", which this build (format " + std::to_string(StoreFormatVersion()) +
                                    ") does not know: run the build that wrote it");
}

Status Ledger::LoadExisting() {
  CAIRN_ASSIGN_OR_RETURN(auto head, ReadRecord<v1::ChainHead>(*store_, keys::kHead, "chain head"));
  CAIRN_ASSIGN_OR_RETURN(auto block, ReadRecord<v1::Block>(*store_, keys::Block(head.height()), "head block"));
  v1::BlockHeader header;
  if (!header.ParseFromString(block.header())) return Status::Corruption("head block header does not parse");
  Hash hash = crypto::BlockHash(chain_id(), block.header());
  if (header.height() != head.height() || head.block_hash() != AsView(hash)) {
    return Status::Corruption("the head record does not match block " + std::to_string(head.height()));
  }

  CAIRN_ASSIGN_OR_RETURN(auto governance, ReadRecord<v1::GovernanceState>(*store_, keys::kGovernance, "governance state"));
  if (header.governance_hash() != AsView(GovernanceHash(chain_id(), governance))) {
    return Status::Corruption("the governance record does not match block " + std::to_string(header.height()));
  }
  CAIRN_ASSIGN_OR_RETURN(auto base, ReadBase(*store_));
  base_height_ = base.value_or(0);
  CAIRN_ASSIGN_OR_RETURN(auto pruned_below, ReadU64Record(*store_, keys::kPrunedBelow, "the pruned-below record"));
  pruned_below_.store(pruned_below.value_or(0), std::memory_order_release);
  CAIRN_ASSIGN_OR_RETURN(auto oldest_version, ReadU64Record(*store_, keys::kOldestStateVersion, "the oldest-state-version record"));
  state_pins_.RaiseFloor(oldest_version.value_or(base_height_));
  CAIRN_ASSIGN_OR_RETURN(auto format, store_->Get(keys::kStoreFormat));
  if (format) CAIRN_RETURN_IF_ERROR(CheckFormat(*format));
  if (!format) CAIRN_RETURN_IF_ERROR(ConvertFromFormat1(header.height()).Annotate("converting the data directory"));
  auto tree = tree_store_.Load(header.height());
  if (tree.status().code() == StatusCode::kNotFound) {
    // The tree's records are synced before the head that names them (split_store.h):
    // missing, they were lost to damage.
    return Status::Corruption("the state tree of block " + std::to_string(header.height()) +
                              " is missing: the database is damaged");
  }
  if (!tree.ok()) return tree.status().Annotate("the state tree of block " + std::to_string(header.height()));
  if (header.state_root() != AsView(tree->root())) {
    return Status::Corruption("the state tree does not match the state root of block " +
                              std::to_string(header.height()) + ": the database is damaged");
  }
  // The root node itself, so that a tree damaged at the top is caught before it serves.
  CAIRN_RETURN_IF_ERROR(tree->Get(Hash{}).status().Annotate("the state tree of block " + std::to_string(header.height())));
  tree_store_.SetCommittedVersion(header.height());
  open_report_.accounts = tree->size();
  std::unique_lock lock(mu_);
  head_header_ = std::move(header);
  head_hash_ = hash;
  tree_ = std::move(tree).value();
  governance_ = std::move(governance);
  return Status::Ok();
}

uint64_t Ledger::height() const {
  std::shared_lock lock(mu_);
  return head_header_.height();
}

Hash Ledger::head_hash() const {
  std::shared_lock lock(mu_);
  return head_hash_;
}

v1::BlockHeader Ledger::head_header() const {
  std::shared_lock lock(mu_);
  return head_header_;
}

uint64_t Ledger::account_count() const {
  std::shared_lock lock(mu_);
  return tree_.size();
}

Hash Ledger::state_root() const {
  std::shared_lock lock(mu_);
  return tree_.root();
}

Result<Ledger::Parent> Ledger::ParentOf(PendingChain pending) const {
  std::shared_lock lock(mu_);
  if (pending.empty()) return Parent{head_header_, head_hash_, tree_, governance_};
  // The chain must link up, newest first, and end on the committed head.
  for (size_t i = 0; i < pending.size(); ++i) {
    const Hash& expected_parent = i + 1 < pending.size() ? pending[i + 1]->hash : head_hash_;
    if (pending[i]->header.parent_hash() != AsView(expected_parent)) {
      return Status::FailedPrecondition("the pending chain does not reach the committed head");
    }
  }
  return Parent{pending[0]->header, pending[0]->hash, pending[0]->state_after, pending[0]->outcome.governance};
}

Status Ledger::CheckHeaderOnParent(const v1::BlockHeader& header, const v1::Block& block,
                                   const Parent& parent) const {
  const uint64_t expected_height = parent.header.height() + 1;
  if (header.height() != expected_height) {
    return Status::FailedPrecondition("block height " + std::to_string(header.height()) +
                                      ", the next height is " + std::to_string(expected_height));
  }
  if (header.parent_hash() != AsView(parent.hash)) {
    return Status::InvalidArgument("block parent " + ToHex(header.parent_hash()) +
                                   " is not " + ToHex(parent.hash));
  }
  // Timestamps are informational but must not run backwards, so that clients can rely
  // on them being monotonic whatever one proposer's clock says.
  if (header.timestamp_ms() < parent.header.timestamp_ms()) {
    return Status::InvalidArgument("block timestamp is earlier than its parent's");
  }
  // Consensus checks who failed (it knows the leader schedule); the ledger that the
  // list names distinct validators of the block's set.
  size_t validators = parent.governance.validators().validators_size();
  if (header.epoch() != parent.governance.epoch() && !header.failed_proposers().empty()) {
    CAIRN_ASSIGN_OR_RETURN(v1::ValidatorSet set, ValidatorSet(header.epoch()));
    validators = set.validators_size();
  }
  std::vector<bool> named(validators, false);
  for (uint32_t v : header.failed_proposers()) {
    if (v >= validators || named[v]) {
      return Status::InvalidArgument("failed_proposers must name distinct validators of the set");
    }
    named[v] = true;
  }
  const uint64_t next_epoch = parent.governance.epoch();
  const v1::QuorumCertificate& qc = block.parent_qc();
  if (header.parent_signers_size() != qc.signatures_size() ||
      !std::equal(header.parent_signers().begin(), header.parent_signers().end(), qc.signatures().begin(),
                  [](uint32_t v, const v1::ValidatorSignature& s) { return v == s.validator_index(); })) {
    return Status::InvalidArgument("parent_signers is not the list of the parent certificate's signers");
  }
  if (header.epoch() == next_epoch && next_epoch > parent.header.epoch()) {
    // The first block of an epoch: rounds start again, and the parent (the root of the
    // epoch) is vouched for by the epoch-start certificate.
    if (header.round() == 0) return Status::InvalidArgument("block round 0");
    if (qc.epoch() != header.epoch() || qc.round() != 0 || qc.height() != parent.header.height() ||
        qc.block_hash() != header.parent_hash() || qc.signatures_size() != 0 || !qc.commit_hash().empty()) {
      return Status::InvalidArgument("the first block of epoch " + std::to_string(header.epoch()) +
                                     " must carry the epoch-start certificate of its parent");
    }
    return Status::Ok();
  }
  if (header.epoch() != next_epoch) {
    // A replica still in the old epoch helps commit the epoch's last block with empty
    // blocks on top of it, which never commit themselves.
    const bool after_last = header.epoch() + 1 == next_epoch && header.epoch() == parent.header.epoch();
    if (!after_last) {
      return Status::InvalidArgument("block epoch " + std::to_string(header.epoch()) + ", its parent is followed by epoch " +
                                     std::to_string(next_epoch));
    }
    if (block.transactions_size() > 0 || block.evidence_size() > 0) {
      return Status::InvalidArgument("a block after the last block of epoch " + std::to_string(header.epoch()) +
                                     " carries transactions or evidence");
    }
  }
  // Rounds only grow along a chain of one epoch (genesis is round 0).
  if (header.round() <= parent.header.round()) {
    return Status::InvalidArgument("block round " + std::to_string(header.round()) +
                                   " is not above its parent's round " +
                                   std::to_string(parent.header.round()));
  }
  if (qc.block_hash() != header.parent_hash() || qc.height() != parent.header.height() ||
      qc.round() != parent.header.round() || qc.epoch() != parent.header.epoch()) {
    return Status::InvalidArgument("block's parent certificate is not for its parent");
  }
  return Status::Ok();
}

Result<Offence> Ledger::CheckBlockEvidence(const v1::Evidence& evidence, const Parent& parent,
                                           const std::vector<Offence>& earlier) const {
  const uint64_t epoch = EpochOfEvidence(evidence);
  const uint64_t current = parent.governance.epoch();
  if (epoch > current || epoch + kMaxEvidenceEpochAge < current) {
    return Status::InvalidArgument("evidence of epoch " + std::to_string(epoch) + " is not of epoch " +
                                   std::to_string(current) + " or the one before");
  }
  v1::ValidatorSet set = parent.governance.validators();
  if (epoch != current) {
    CAIRN_ASSIGN_OR_RETURN(set, ValidatorSet(epoch));
  }
  CAIRN_ASSIGN_OR_RETURN(Offence offence, CheckEvidence(chain_id(), evidence, set, verifier_));
  const Bytes id = offence.Id();
  const bool repeated = std::any_of(earlier.begin(), earlier.end(), [&](const Offence& o) { return o.Id() == id; });
  // The parent's state holds every offence recorded up to it, uncommitted ones included.
  CAIRN_ASSIGN_OR_RETURN(auto recorded, parent.tree.Get(OffenceStateKey(offence)));
  if (repeated || recorded) {
    return Status::AlreadyExists("evidence against " + offence.signer_name + " for round " + std::to_string(offence.round) +
                                 " of epoch " + std::to_string(offence.epoch) + " is already in the chain");
  }
  return offence;
}

Result<Offence> Ledger::CheckNewEvidence(const v1::Evidence& evidence) const {
  CAIRN_ASSIGN_OR_RETURN(Parent parent, ParentOf({}));
  return CheckBlockEvidence(evidence, parent, {});
}

Result<std::vector<CheckedTx>> Ledger::CheckTransactions(
    const google::protobuf::RepeatedPtrField<v1::Transaction>& txs,
    std::vector<DroppedTx>* dropped) const {
  if (static_cast<uint64_t>(txs.size()) > MaxBlockTxs(genesis_)) {
    return Status::InvalidArgument("block has " + std::to_string(txs.size()) +
                                   " transactions, the limit is " + std::to_string(MaxBlockTxs(genesis_)));
  }
  std::vector<CheckedTx> checked;
  checked.reserve(txs.size());
  for (int i = 0; i < txs.size(); ++i) {
    auto tx = CheckTransaction(txs[i], chain_id(), verifier_);
    if (tx.ok()) {
      checked.push_back(std::move(tx).value());
    } else if (dropped) {
      dropped->push_back({static_cast<uint32_t>(i), tx.status()});
    } else {
      return tx.status().Annotate("transaction " + std::to_string(i));
    }
  }
  return checked;
}

Result<Ledger::Roots> Ledger::Run(const v1::BlockHeader& header, const std::vector<CheckedTx>& txs,
                                  const Parent& parent, InvalidTxPolicy policy,
                                  ExecutedBlock* executed) const {
  TreeStateReader state(parent.tree);
  CAIRN_ASSIGN_OR_RETURN(executed->outcome,
                         ExecuteTransactions(state, parent.governance,
                                             {chain_id(), rules_, verifier_, genesis_.asset_registry()},
                                             {header.height(), header.timestamp_ms()}, txs, policy));
  Roots roots;
  roots.governance_hash = GovernanceHash(chain_id(), executed->outcome.governance);
  executed->tx_hashes.clear();
  for (uint32_t input : executed->outcome.included) executed->tx_hashes.push_back(txs[input].hash);
  roots.tx_root = crypto::MerkleRoot(executed->tx_hashes);
  roots.receipts_root = crypto::MerkleRoot(ReceiptHashes(chain_id(), executed->outcome.receipts));

  std::vector<StateTree::Change> changes = TreeChangesOf(executed->outcome.changes);
  for (uint32_t i = 0; i < executed->offences.size(); ++i) {
    changes.emplace_back(OffenceStateKey(executed->offences[i]),
                         OffenceRecord(executed->offences[i], header.height(), i).SerializeAsString());
  }
  CAIRN_ASSIGN_OR_RETURN(executed->state_after, parent.tree.Update(header.height(), std::move(changes)));
  roots.state_root = executed->state_after.root();
  executed->header = header;
  return roots;
}

Result<ExecutedBlock> Ledger::Execute(v1::Block block, PendingChain pending) const {
  if (block.ByteSizeLong() > MaxBlockBytes(genesis_)) {
    return Status::InvalidArgument("block is larger than " + std::to_string(MaxBlockBytes(genesis_)) +
                                   " bytes");
  }
  v1::BlockHeader header;
  if (!header.ParseFromString(block.header())) return Status::InvalidArgument("block header does not parse");
  CAIRN_ASSIGN_OR_RETURN(Parent parent, ParentOf(pending));
  CAIRN_RETURN_IF_ERROR(CheckHeaderOnParent(header, block, parent));
  if (static_cast<size_t>(block.evidence_size()) > kMaxEvidencePerBlock) {
    return Status::InvalidArgument("block carries " + std::to_string(block.evidence_size()) + " pieces of evidence, the limit is " +
                                   std::to_string(kMaxEvidencePerBlock));
  }
  std::vector<Offence> offences;
  for (int i = 0; i < block.evidence_size(); ++i) {
    auto offence = CheckBlockEvidence(block.evidence(i), parent, offences);
    if (!offence.ok()) return offence.status().Annotate("evidence " + std::to_string(i));
    offences.push_back(std::move(offence).value());
  }
  CAIRN_RETURN_IF_ERROR(ExpectRoot("evidence_root", header.evidence_root(), EvidenceRoot(chain_id(), block.evidence())));
  CAIRN_ASSIGN_OR_RETURN(auto txs, CheckTransactions(block.transactions(), nullptr));
  ExecutedBlock executed;
  executed.offences = std::move(offences);
  CAIRN_ASSIGN_OR_RETURN(Roots roots, Run(header, txs, parent, InvalidTxPolicy::kRejectBlock, &executed));
  CAIRN_RETURN_IF_ERROR(ExpectRoot("tx_root", header.tx_root(), roots.tx_root));
  CAIRN_RETURN_IF_ERROR(ExpectRoot("receipts_root", header.receipts_root(), roots.receipts_root));
  CAIRN_RETURN_IF_ERROR(ExpectRoot("state_root", header.state_root(), roots.state_root));
  CAIRN_RETURN_IF_ERROR(ExpectRoot("governance_hash", header.governance_hash(), roots.governance_hash));
  executed.hash = crypto::BlockHash(chain_id(), block.header());
  executed.block = std::move(block);
  return executed;
}

Result<ExecutedBlock> Ledger::ProposeBlock(const BlockTemplate& t, PendingChain pending) const {
  CAIRN_ASSIGN_OR_RETURN(Parent parent, ParentOf(pending));
  // After the last block of its epoch, a block carries nothing (CheckHeaderOnParent);
  // the template's transactions wait for the next epoch.
  const bool after_last = t.epoch < parent.governance.epoch();
  const google::protobuf::RepeatedPtrField<v1::Transaction> none;
  const auto& candidates = after_last ? none : t.transactions;
  std::vector<DroppedTx> stateless_dropped;
  CAIRN_ASSIGN_OR_RETURN(auto txs, CheckTransactions(candidates, t.drop_invalid_transactions
                                                                     ? &stateless_dropped
                                                                     : nullptr));
  v1::BlockHeader header;
  header.set_height(parent.header.height() + 1);
  header.set_parent_hash(ToBytes(parent.hash));
  header.set_round(t.round);
  header.set_epoch(t.epoch);
  header.set_proposer(t.proposer);
  header.set_timestamp_ms(t.timestamp_ms);
  for (uint32_t v : t.failed_proposers) header.add_failed_proposers(v);
  for (const auto& s : t.parent_qc.signatures()) header.add_parent_signers(s.validator_index());
  ExecutedBlock executed;
  // Evidence: the valid, new pieces, as many as a block takes (none after the last
  // block of an epoch); first, because the state records what they convict.
  for (const v1::Evidence& e : t.evidence) {
    if (after_last || executed.offences.size() == kMaxEvidencePerBlock) break;
    auto offence = CheckBlockEvidence(e, parent, executed.offences);
    if (!offence.ok()) continue;
    executed.offences.push_back(std::move(offence).value());
    *executed.block.add_evidence() = e;
  }
  const auto policy = t.drop_invalid_transactions ? InvalidTxPolicy::kDrop : InvalidTxPolicy::kRejectBlock;
  CAIRN_ASSIGN_OR_RETURN(Roots roots, Run(header, txs, parent, policy, &executed));
  header.set_tx_root(ToBytes(roots.tx_root));
  header.set_receipts_root(ToBytes(roots.receipts_root));
  header.set_state_root(ToBytes(roots.state_root));
  header.set_governance_hash(ToBytes(roots.governance_hash));
  header.set_evidence_root(ToBytes(EvidenceRoot(chain_id(), executed.block.evidence())));
  executed.header = header;
  executed.block.set_header(header.SerializeAsString());
  *executed.block.mutable_parent_qc() = t.parent_qc;
  // Positions in the template of the transactions that passed the stateless checks.
  std::vector<uint32_t> positions;
  for (uint32_t i = 0, next_dropped = 0; i < static_cast<uint32_t>(candidates.size()); ++i) {
    if (next_dropped < stateless_dropped.size() && stateless_dropped[next_dropped].input_index == i) {
      ++next_dropped;
    } else {
      positions.push_back(i);
    }
  }
  for (uint32_t input : executed.outcome.included) {
    *executed.block.add_transactions() = candidates[static_cast<int>(positions[input])];
  }
  // Report drops by position in the template, whichever check caught them.
  for (DroppedTx& d : executed.outcome.dropped) d.input_index = positions[d.input_index];
  for (DroppedTx& d : stateless_dropped) executed.outcome.dropped.push_back(std::move(d));
  // The template's round, epoch, timestamp and certificate must fit the parent too.
  CAIRN_RETURN_IF_ERROR(CheckHeaderOnParent(header, executed.block, parent).Annotate("block template"));
  executed.hash = crypto::BlockHash(chain_id(), executed.block.header());
  return executed;
}

Status Ledger::Commit(const ExecutedBlock& executed, const v1::QuorumCertificate& certificate,
                      const v1::QuorumCertificate* finality) {
  const BlockToCommit block{&executed, &certificate, finality};
  return CommitChain(std::span(&block, 1));
}

Status Ledger::CommitChain(std::span<const BlockToCommit> blocks) {
  if (blocks.empty()) return Status::Ok();
  WriteBatch batch;
  uint64_t height = this->height();
  Hash parent = head_hash();
  uint64_t epoch = this->epoch();
  for (const BlockToCommit& block : blocks) {
    CAIRN_RETURN_IF_ERROR(CheckCommit(block, height, parent, epoch));
    AddToBatch(block, &batch);
    height = block.executed->header.height();
    parent = block.executed->hash;
    epoch = block.executed->outcome.governance.epoch();
  }
  const ExecutedBlock& last = *blocks.back().executed;
  v1::ChainHead head;
  head.set_height(height);
  head.set_block_hash(ToBytes(last.hash));
  batch.Put(keys::kHead, head.SerializeAsString());

  // Readers keep the version they hold while the batch is written: they take the new
  // head only once it is durable.
  const std::string what = blocks.size() == 1 ? "committing block " + std::to_string(height)
                                              : "committing blocks " + std::to_string(blocks.front().executed->header.height()) +
                                                    "-" + std::to_string(height);
  CAIRN_RETURN_IF_ERROR(store_->Write(batch, Durability::kSync).Annotate(what));
  for (const BlockToCommit& block : blocks) tree_store_.MarkCommitted(block.executed->state_after);
  std::unique_lock lock(mu_);
  head_header_ = last.header;
  head_hash_ = last.hash;
  tree_ = last.state_after.Committed(&tree_store_);
  governance_ = last.outcome.governance;
  return Status::Ok();
}

Status Ledger::CheckCommit(const BlockToCommit& block, uint64_t parent_height, const Hash& parent_hash,
                           uint64_t epoch) const {
  const ExecutedBlock& executed = *block.executed;
  const v1::QuorumCertificate& certificate = *block.certificate;
  const v1::QuorumCertificate* finality = block.finality;
  const v1::BlockHeader& header = executed.header;
  const uint64_t height = header.height();
  if (certificate.block_hash() != AsView(executed.hash) || certificate.height() != height ||
      certificate.round() != header.round() || certificate.epoch() != header.epoch()) {
    return Status::InvalidArgument("certificate is not for block " + std::to_string(height));
  }
  if (height != parent_height + 1 || header.parent_hash() != AsView(parent_hash)) {
    return Status::FailedPrecondition("block " + std::to_string(height) +
                                      " was executed on another head");
  }
  if (finality != nullptr && finality->commit_hash() != AsView(executed.hash)) {
    return Status::InvalidArgument("finality certificate does not name block " + std::to_string(height));
  }
  if (header.epoch() != epoch) {
    return Status::InvalidArgument("block " + std::to_string(height) + " follows the last block of its epoch");
  }
  if (executed.ends_epoch() && (finality == nullptr || finality->epoch() != header.epoch())) {
    return Status::InvalidArgument("block " + std::to_string(height) +
                                   " ends its epoch and needs a finality certificate of that epoch");
  }
  return Status::Ok();
}

void Ledger::AddToBatch(const BlockToCommit& block, WriteBatch* batch) const {
  const ExecutedBlock& executed = *block.executed;
  const uint64_t height = executed.header.height();
  batch->Put(keys::Block(height), executed.block.SerializeAsString());
  batch->Put(keys::Certificate(height), block.certificate->SerializeAsString());
  if (block.finality != nullptr) batch->Put(keys::Finality(height), block.finality->SerializeAsString());
  batch->Put(keys::BlockHeight(executed.hash), U64Bytes(height));
  for (uint32_t i = 0; i < executed.tx_hashes.size(); ++i) {
    v1::TxLocation location;
    location.set_height(height);
    location.set_index(i);
    batch->Put(keys::TxLocation(executed.tx_hashes[i]), location.SerializeAsString());
    batch->Put(keys::Receipt(height, i), executed.outcome.receipts[i].SerializeAsString());
  }
  for (const auto& [address, index] : executed.outcome.touched) {
    v1::HistoryEntry entry;
    entry.set_tx_hash(ToBytes(executed.tx_hashes[index]));
    entry.set_height(height);
    entry.set_index(index);
    batch->Put(keys::History(address, height, index), entry.SerializeAsString());
  }
  for (const RecordWrite& write : executed.outcome.changes.record_writes) {
    batch->Put(keys::RecordHistory(write.account, write.key, height, write.index),
               RecordHistoryEntryOf(write, executed.tx_hashes[write.index], height).SerializeAsString());
  }
  const v1::GovernanceState& governance = executed.outcome.governance;
  batch->Put(keys::kGovernance, governance.SerializeAsString());
  for (uint32_t i = 0; i < executed.offences.size(); ++i) {
    v1::EvidenceRecord record = OffenceRecord(executed.offences[i], height, i);
    *record.mutable_evidence() = executed.block.evidence(static_cast<int>(i));
    batch->Put(keys::Evidence(height, i), record.SerializeAsString());
  }
  for (const v1::ChangeProposal& closed : executed.outcome.closed_proposals) {
    batch->Put(keys::Proposal(closed.id()), closed.SerializeAsString());
  }
  if (executed.ends_epoch()) {
    batch->Put(keys::ValidatorSet(governance.epoch()), governance.validators().SerializeAsString());
    batch->Put(keys::EpochRoot(governance.epoch()), U64Bytes(height));
    batch->Put(keys::EpochGovernance(governance.epoch()), governance.SerializeAsString());
  }
  tree_store_.AddToBatch(executed.state_after, batch);
}

Result<v1::ValidatorSet> Ledger::ValidatorSet(uint64_t epoch) const {
  return ReadRecord<v1::ValidatorSet>(*store_, keys::ValidatorSet(epoch),
                                      ("validator set of epoch " + std::to_string(epoch)).c_str());
}

Result<EpochRoot> Ledger::RootOfEpoch(uint64_t epoch) const {
  CAIRN_ASSIGN_OR_RETURN(auto bytes, store_->Get(keys::EpochRoot(epoch)));
  if (!bytes) return Status::NotFound("epoch " + std::to_string(epoch) + " has not started");
  if (bytes->size() != 8) return Status::Corruption("the root record of epoch " + std::to_string(epoch) + " is damaged");
  const uint64_t height = ReadU64(*bytes);
  CAIRN_ASSIGN_OR_RETURN(auto block, GetBlockHeader(height));
  return EpochRoot{height, block.hash};
}

Result<EpochChange> Ledger::EpochChangeTo(uint64_t epoch) const {
  if (epoch == 0) return Status::InvalidArgument("epoch 0 starts at genesis: the genesis file holds its set");
  const std::string what = "the change to epoch " + std::to_string(epoch);
  CAIRN_ASSIGN_OR_RETURN(auto bytes, store_->Get(keys::EpochRoot(epoch)));
  if (!bytes) return Status::NotFound("epoch " + std::to_string(epoch) + " has not started");
  if (bytes->size() != 8) return Status::Corruption("the root record of epoch " + std::to_string(epoch) + " is damaged");
  EpochChange change;
  CAIRN_ASSIGN_OR_RETURN(change.last_block, GetBlock(ReadU64(*bytes)));
  CAIRN_ASSIGN_OR_RETURN(auto finality, FinalityProof(change.last_block.header.height()));
  if (!finality) return Status::Corruption(what + " has no finality certificate");
  change.finality = std::move(*finality);
  CAIRN_ASSIGN_OR_RETURN(change.governance, ReadRecord<v1::GovernanceState>(*store_, keys::EpochGovernance(epoch),
                                                                            (what + ": its governance state").c_str()));
  return change;
}

uint64_t Ledger::epoch() const {
  std::shared_lock lock(mu_);
  return governance_.epoch();
}

v1::GovernanceState Ledger::Governance() const {
  std::shared_lock lock(mu_);
  return governance_;
}

Result<v1::ChangeProposal> Ledger::Proposal(uint64_t id) const {
  {
    std::shared_lock lock(mu_);
    for (const v1::ChangeProposal& p : governance_.open()) {
      if (p.id() == id) return p;
    }
  }
  return ReadRecord<v1::ChangeProposal>(*store_, keys::Proposal(id), "proposal " + std::to_string(id));
}

Result<std::vector<v1::EvidenceRecord>> Ledger::ListEvidence(uint64_t from_height, size_t limit) const {
  std::vector<v1::EvidenceRecord> records;
  Status bad;
  CAIRN_RETURN_IF_ERROR(store_->Scan(keys::kEvidencePrefix, keys::Evidence(from_height, 0), [&](ByteView, ByteView value) {
    v1::EvidenceRecord record;
    if (!record.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      bad = Status::Corruption("an evidence record does not parse");
      return false;
    }
    records.push_back(std::move(record));
    return records.size() < limit;
  }));
  if (!bad.ok()) return bad;
  return records;
}

Result<ConsensusStart> Ledger::StartOfConsensus() const {
  const v1::GovernanceState governance = Governance();
  CAIRN_ASSIGN_OR_RETURN(EpochRoot root, RootOfEpoch(governance.epoch()));
  CAIRN_ASSIGN_OR_RETURN(StoredBlock head, GetBlock(height()));
  v1::QuorumCertificate head_qc = head.header.height() == root.height || !head.certificate
                                      ? EpochStartCertificate(governance.epoch(), root.height, root.hash)
                                      : *head.certificate;
  return ConsensusStart{std::move(head), std::move(head_qc), governance.validators(), root};
}

Status Ledger::Reload() {
  CAIRN_RETURN_IF_ERROR(store_->Reopen());
  CAIRN_RETURN_IF_ERROR(LoadExisting());
  // Commits may resume only once a synced write goes through: the head record,
  // written again as it is.
  CAIRN_ASSIGN_OR_RETURN(auto head, store_->Get(keys::kHead));
  if (!head) return Status::Corruption("the reopened ledger has no chain head");
  WriteBatch probe;
  probe.Put(keys::kHead, *head);
  return store_->Write(probe, Durability::kSync).Annotate("a synced write to the reopened ledger");
}

Status Ledger::SaveSafetyRecord(const v1::SafetyRecord& record) {
  WriteBatch batch;
  batch.Put(keys::kSafetyRecord, record.SerializeAsString());
  return store_->Write(batch, Durability::kSync).Annotate("saving the safety record");
}

Result<std::optional<v1::SafetyRecord>> Ledger::LoadSafetyRecord() const {
  auto record = ReadRecord<v1::SafetyRecord>(*store_, keys::kSafetyRecord, "safety record");
  if (record.status().code() == StatusCode::kNotFound) return std::optional<v1::SafetyRecord>();
  if (!record.ok()) return record.status();
  return std::optional<v1::SafetyRecord>(std::move(record).value());
}

}  // namespace cairn::ledger
