// The ledger: the committed chain of blocks, the account state it produced, and the
// records clients and auditors read. One writer (the consensus thread) executes and
// commits; readers on any thread see a consistent committed state.
//
// Contract:
//  - Execute validates a block on its parent without changing anything: header fields,
//    parent link and certificate, every transaction's stateless checks, execution, and
//    the roots in the header (transactions, receipts, state, governance). Epochs: a
//    block is of its parent's next epoch (governance.h); the first block of an epoch
//    starts its rounds again and carries the epoch-start certificate of its parent;
//    blocks that a replica still builds in the old epoch on top of its last block are
//    empty and never commit. Any mismatch is an error naming it. The parent is
//    the committed head, or the newest of a chain of executed, not yet committed blocks
//    that reaches the head (pipelined consensus votes on blocks whose parents have not
//    committed yet).
//  - Commit writes an executed block, its certificate, its transactions' locations,
//    receipts, account changes, history and the new head as one WriteBatch with
//    sync = true (architecture rule 3). On error nothing in memory changes and, as the
//    store then refuses all writes, the node must stop committing and reopen.
//  - Commit does not verify the certificate's signatures: consensus or block sync did
//    that before deciding to commit, and the audit checks every one again. It checks
//    that the certificate is for this block.
//  - After a crash the ledger reopens at exactly its last committed block; Open reads
//    the state tree's root record for the head (tree_store.h) and refuses to start if
//    it disagrees with the head's state root.
//  - The state tree lives on disk, versioned by height: every committed height's
//    version stays readable (until pruning), and memory holds only the node cache and
//    the versions of blocks not yet committed.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <vector>

#include "cairn/v1/block.pb.h"
#include "cairn/v1/consensus.pb.h"
#include "cairn/v1/genesis.pb.h"
#include "cairn/v1/state.pb.h"
#include "cairn/v1/storage.pb.h"
#include "crypto/bytes.h"
#include "ledger/evidence.h"
#include "ledger/executor.h"
#include "ledger/governance.h"
#include "ledger/kv_store.h"
#include "ledger/state_entries.h"
#include "ledger/state_tree.h"
#include "ledger/tree_store.h"
#include "ledger/version_pins.h"

namespace cairn::ledger {

// The most headers a CommitProof carries (block.proto): the blocks committed only as
// ancestors of one a certificate names are a few after a timeout, not dozens.
inline constexpr size_t kMaxCommitProofHeaders = 64;

// A block that passed Execute, with everything Commit needs to write it.
struct ExecutedBlock {
  v1::Block block;
  v1::BlockHeader header;
  Hash hash;
  std::vector<Hash> tx_hashes;
  ExecutionOutcome outcome;  // its governance state is the one after this block
  StateTree state_after;
  std::vector<Offence> offences;  // what each piece of Block.evidence proves, in order
  // The block applied a validator-set change: it is the last of its epoch, and only a
  // certificate of its own epoch that names it in commit_hash proves it final.
  bool ends_epoch() const { return outcome.governance.epoch() > header.epoch(); }
};

// One block of a chain to commit (Ledger::CommitChain): the certificate that finalised
// it and, optionally, the one whose commit_hash names it.
struct BlockToCommit {
  const ExecutedBlock* executed = nullptr;
  const v1::QuorumCertificate* certificate = nullptr;
  const v1::QuorumCertificate* finality = nullptr;
};

// Executed blocks not yet committed that a new block builds on: its parent first, then
// the parent's parent, down to a block whose parent is the committed head. Empty when
// the new block's parent is the head itself.
using PendingChain = std::span<const ExecutedBlock* const>;

// What a proposer puts around its transactions; ProposeBlock fills in the rest.
struct BlockTemplate {
  uint64_t round = 0;
  uint64_t epoch = 0;
  uint32_t proposer = 0;
  uint64_t timestamp_ms = 0;
  std::vector<uint32_t> failed_proposers;  // BlockHeader.failed_proposers, from consensus
  v1::QuorumCertificate parent_qc;
  google::protobuf::RepeatedPtrField<v1::Transaction> transactions;
  // Leave out transactions that cannot enter the block (they are reported in
  // ExecutedBlock::outcome.dropped) instead of failing.
  bool drop_invalid_transactions = false;
  // Evidence to include: the valid, new ones, up to kMaxEvidencePerBlock; the others
  // are left out.
  std::vector<v1::Evidence> evidence;
};

struct StoredBlock {
  v1::Block block;
  v1::BlockHeader header;
  Hash hash;
  // The certificate that finalised it; absent for the genesis block.
  std::optional<v1::QuorumCertificate> certificate;
};

struct StoredTransaction {
  v1::Transaction transaction;
  v1::Receipt receipt;
  v1::BlockHeader header;  // of the block that holds it
  Hash block_hash;
  uint32_t block_tx_count = 0;
  // RFC 6962 inclusion proof of the transaction hash under header.tx_root.
  std::vector<Hash> inclusion_proof;
  // The same of the receipt's hash (crypto::ReceiptHash) under header.receipts_root: what
  // proves its result.
  std::vector<Hash> receipt_proof;
};

struct AccountView {
  uint64_t height = 0;        // the committed height the view is at
  Hash state_root{};          // the state root of that block
  Bytes account_bytes;        // serialized Account; empty when there is none
  std::optional<v1::Account> account;
  StateProof proof;           // of account_bytes (or absence) under state_root
};

// An epoch's root: the block its first block builds on (genesis for epoch 0, the last
// block of the epoch before otherwise).
struct EpochRoot {
  uint64_t height = 0;
  Hash hash{};
};

// A validator-set change: the last block of epoch E - 1, the certificate of that epoch
// that proves it final, and the governance state after it (its header's
// governance_hash), which holds epoch E and its set. Checked against E - 1's set alone,
// it proves E's: how a node that joins late, or a light client, trusts from genesis.
struct EpochChange {
  StoredBlock last_block;
  v1::QuorumCertificate finality;
  v1::GovernanceState governance;
};

// What a consensus replica starts from: the committed head, the certificate it holds for
// it (its own, or the epoch-start certificate when the head is the current epoch's
// root), and the current epoch's set and root.
struct ConsensusStart {
  StoredBlock head;
  v1::QuorumCertificate head_qc;
  v1::ValidatorSet validators;
  EpochRoot root;
};

template <typename Entry>
struct Page {
  std::vector<Entry> entries;  // oldest first
  // Pass back as `after` to get the next page; nullopt when this page is the last.
  std::optional<Entry> next_after;
};
// An account's transactions; the writes of one record of an account.
using HistoryPage = Page<v1::HistoryEntry>;
using RecordHistoryPage = Page<v1::RecordHistoryEntry>;

// One entry of the head's state (an asset definition, a record: state_entries.h) with
// its proof, like AccountView.
struct StateEntryView {
  uint64_t height = 0;
  Hash state_root{};
  Bytes value;  // serialized as the tree holds it; empty when absent
  StateProof proof;
};

struct LedgerOptions {
  // The state tree node cache. The default holds every internal node of a tree of a few
  // million accounts (about 40 MB a million); leaves are read from disk.
  size_t state_cache_bytes = size_t{64} << 20;
};

// What Open found and did.
struct OpenReport {
  // A data directory of format 1 (the state tree kept in memory, rebuilt at every
  // start) was converted: its tree was built once and stored.
  bool converted_state_tree = false;
  uint64_t accounts = 0;  // in the state tree at the head
};

class Ledger {
 public:
  // Opens the ledger in `store`. An empty store is initialised with `genesis` (which
  // must be valid); a store of another genesis is refused with FAILED_PRECONDITION.
  // Transaction signatures go through `verifier` (nullptr: verify directly), which must
  // outlive the ledger.
  // A data directory of format 1 is converted in place (OpenReport says so).
  static Result<std::unique_ptr<Ledger>> Open(std::unique_ptr<KvStore> store,
                                              const v1::Genesis& genesis,
                                              crypto::SignatureVerifier* verifier = nullptr,
                                              const LedgerOptions& options = {});
  const OpenReport& open_report() const { return open_report_; }
  NodeCache::Stats state_cache_stats() const { return tree_store_.cache_stats(); }
  // Leaves of the state at the committed head: its accounts, and the offences it
  // recorded (evidence.h; a handful, if any).
  uint64_t account_count() const;

  const std::string& chain_id() const { return genesis_.chain_id(); }
  const v1::Genesis& genesis() const { return genesis_; }
  const Hash& genesis_hash() const { return genesis_hash_; }

  // The height this ledger's history starts at: 0 for one that holds every block from
  // genesis, the base block's for one that joined by state sync (state_base.h), which
  // holds no block below it but the epochs' last blocks and the few before the base.
  uint64_t base_height() const { return base_height_; }

  // Retention (pruning.cc). The lowest height whose block body, receipts and
  // transaction and history index entries this ledger holds: its base, or higher once
  // it prunes. Headers, certificates, epoch changes and evidence are kept at every
  // height.
  uint64_t retained_from() const;
  // The oldest version of the state tree it holds (StateAt answers from it on).
  uint64_t oldest_state_version() const { return state_pins_.floor(); }
  // Prunes the bodies, receipts and index entries of the blocks below `below` (capped
  // at the head), at most `max_blocks` of them from retained_from() on, in one batch
  // that also records the new retained_from(); an epoch's last block keeps its body
  // (the epoch change it proves is served to joining nodes and light clients). A block's
  // own finality certificate goes too where its child's certificate says the same.
  // Returns how many heights it pruned. Readers refuse the heights of a step before
  // the step writes (GetBlock answers FAILED_PRECONDITION naming retained_from()).
  // May run on a thread of its own beside the writer: it touches no record a commit
  // writes.
  Result<uint64_t> PruneBlocks(uint64_t below, uint64_t max_blocks);
  // Deletes the state tree versions below `oldest_kept` (capped at the head and at the
  // oldest version a reader holds: StateAt, GetAccount), at most `max_versions` of
  // them: the nodes only they read (the stale lists of the versions after them) and
  // their root records. The caller keeps the versions a state sync target may still
  // need. Returns how many versions it deleted.
  Result<uint64_t> PruneStateVersions(uint64_t oldest_kept, uint64_t max_versions);
  // Has the store rewrite the ranges pruning deleted records from once at least
  // `min_pruned` heights or versions were pruned since the last time, so the disk is
  // reclaimed and not only the keys: bodies and receipts by height, the transaction and
  // history indexes whole (their keys are hashes and addresses, spread over the range),
  // the tree's versions from 0. Seconds of I/O at a large window: from the pruner's
  // thread. Returns whether it compacted.
  Result<bool> CompactPruned(uint64_t min_pruned);

  // The committed head.
  uint64_t height() const;
  Hash head_hash() const;
  v1::BlockHeader head_header() const;
  Hash state_root() const;

  // Validates `block` as the next block on the committed head (see the contract). By
  // value: a caller done with the block (block sync) moves it in, and the result holds
  // it without a copy.
  Result<ExecutedBlock> Execute(v1::Block block, PendingChain pending = {}) const;
  // Commits a block Execute returned, with the certificate that finalised it.
  // `finality`, when given, is the certificate whose commit_hash names this block (the
  // one that committed it); it is kept so that the head's finality can be proven to a
  // node that syncs or audits. The last block of an epoch must have one. A block after
  // the last of its epoch (which only helped commit it) never commits.
  Status Commit(const ExecutedBlock& executed, const v1::QuorumCertificate& certificate,
                const v1::QuorumCertificate* finality = nullptr);
  // Commits consecutive blocks at once, each executed on the one before it (the first
  // on the head), as one synced WriteBatch: block sync's window costs one sync, not one
  // a block. Each is checked as Commit checks it; on any error nothing is written.
  Status CommitChain(std::span<const BlockToCommit> blocks);

  // Builds the next block on the committed head from a leader's template: runs the
  // stateless checks and execution, fills in the roots, and returns the block already
  // executed (the leader does not execute it twice). Fails like Execute when a
  // transaction cannot enter the block or the template does not fit the head.
  Result<ExecutedBlock> ProposeBlock(const BlockTemplate& block_template,
                                     PendingChain pending = {}) const;

  Result<v1::ValidatorSet> ValidatorSet(uint64_t epoch) const;
  Result<EpochRoot> RootOfEpoch(uint64_t epoch) const;
  // The change into `epoch` (at least 1). NOT_FOUND before it started.
  Result<EpochChange> EpochChangeTo(uint64_t epoch) const;
  // The governance state after the committed head: its epoch and set are the next
  // block's, its open proposals are those still collecting votes or waiting for a
  // boundary.
  v1::GovernanceState Governance() const;
  uint64_t epoch() const;  // Governance().epoch(), without the copy
  const GovernanceRules& governance_rules() const { return rules_; }
  // A proposal by id, open or closed. NOT_FOUND for an id never used.
  Result<v1::ChangeProposal> Proposal(uint64_t id) const;
  Result<ConsensusStart> StartOfConsensus() const;
  // Committed evidence from `from_height` on, oldest first, at most `limit`.
  Result<std::vector<v1::EvidenceRecord>> ListEvidence(uint64_t from_height, size_t limit) const;
  // Whether evidence could enter a block on the committed head now (valid, of a recent
  // epoch, not recorded yet): the check gossip gets before it spreads.
  Result<Offence> CheckNewEvidence(const v1::Evidence& evidence) const;

  // Reads. NOT_FOUND when absent (below the base: naming it); FAILED_PRECONDITION below
  // retained_from() on a ledger that prunes, naming it.
  Result<StoredBlock> GetBlock(uint64_t height) const;
  // The block at `height` as every height keeps it: header, parent certificate,
  // evidence and its own certificate; its transactions are absent when pruned. What the
  // header chain, leader reputation and finality proofs read.
  Result<StoredBlock> GetBlockHeader(uint64_t height) const;
  Result<StoredBlock> GetBlockByHash(const Hash& block_hash) const;
  // The hash of the committed block at `height`, read from its certificate (which
  // names it) rather than from the block: what block sync compares a peer's blocks
  // against where they overlap ours, without reading and parsing each body.
  Result<Hash> CommittedBlockHash(uint64_t height) const;
  // A certificate whose commit_hash names the committed block at `height`: the one that
  // committed it, or its child's certificate when the child is of the next round.
  // nullopt for a block committed only as an ancestor (a later block's proof covers it
  // through the hash chain) and for genesis.
  Result<std::optional<v1::QuorumCertificate>> FinalityProof(uint64_t height) const;
  // What proves the committed block at `height` committed to a client that trusts only
  // the validator sets (block.proto CommitProof): the first FinalityProof at or after
  // it in its epoch, with the headers between. NOT_FOUND for genesis (the genesis file
  // is the proof) and when none is within kMaxCommitProofHeaders.
  Result<v1::CommitProof> CommitProofOf(uint64_t height) const;
  Result<StoredTransaction> GetTransaction(const Hash& tx_hash) const;
  Result<AccountView> GetAccount(ByteView address) const;
  // The head's entry under `key` (AssetStateKey, RecordStateKey) with its proof.
  Result<StateEntryView> ProveStateEntry(const Hash& key) const;
  // The state after the committed block at `height`, while it is retained (state sync
  // serves it, state_chunk.h), pinned: pruning keeps it while the tree lives. NOT_FOUND
  // above the head or for a version not stored (pruned: naming the oldest kept).
  Result<StateTree> StateAt(uint64_t height) const;
  // The nonce of the account's last committed transaction (0 without an account): the
  // mempool's question, answered from the head's state tree, without a proof.
  Result<uint64_t> CommittedNonce(ByteView address) const;
  // Admission's question for a checked transaction, answered from the committed head:
  // its sender's committed nonce, or FAILED_PRECONDITION when the head already refuses
  // it: it expired before the head's time, an account that performs one of its
  // operations does not exist, or its signatures miss the quorum of an account it acts
  // for. (A sender that does not exist yet passes with nonce 0: a pending transaction
  // may create it; the block's execution decides.)
  Result<uint64_t> AdmissionNonce(const CheckedTx& tx) const;
  // At most `limit` (1 to kMaxHistoryPage) entries after `after` (or from the start).
  static constexpr size_t kMaxHistoryPage = 1000;
  Result<HistoryPage> GetAccountHistory(ByteView address, const std::optional<v1::HistoryEntry>& after,
                                        size_t limit) const;
  // At most `limit` writes of record `key` of `account` after `after` (or from the first).
  Result<RecordHistoryPage> GetRecordHistory(ByteView account, std::string_view key,
                                             const std::optional<v1::RecordHistoryEntry>& after, size_t limit) const;

  // The consensus safety record, written on its own with sync = true (rule 2).
  Status SaveSafetyRecord(const v1::SafetyRecord& record);

  // After a failed write (a full disk, say) every later write fails. Reload reopens
  // the store, reads the head and the state again from what the disk holds (the failed
  // block may or may not have landed) and checks that a synced write goes through. Ok
  // means the ledger takes commits again, from the head it now reports; an error means
  // not yet (try again later). The caller must not commit or execute meanwhile.
  Status Reload();
  Result<std::optional<v1::SafetyRecord>> LoadSafetyRecord() const;

 private:
  // A page of at most `limit` entries of an index under `prefix` (an account's), from
  // just after `after_key` (empty: the first); `what` names an entry in errors.
  template <typename Entry>
  Result<Page<Entry>> ReadPage(ByteView address, const Bytes& prefix, const Bytes& after_key, size_t limit,
                               const std::string& what) const;
  Ledger(std::unique_ptr<KvStore> store, v1::Genesis genesis, crypto::SignatureVerifier* verifier,
         const LedgerOptions& options);
  Status Initialise();
  Status LoadExisting();
  // Converts a format-1 directory at `head_height` (see ledger.cc).
  Status ConvertFromFormat1(uint64_t head_height);
  // A directory of another format than format 1 or this build's: refused, saying why.
  Status CheckFormat(ByteView record) const;
  // CommitChain's checks of one block on the one before it (`parent_height`,
  // `parent_hash`, whose governance state is of `epoch`), and what it writes of it.
  Status CheckCommit(const BlockToCommit& block, uint64_t parent_height, const Hash& parent_hash,
                     uint64_t epoch) const;
  void AddToBatch(const BlockToCommit& block, WriteBatch* batch) const;
  // The committed head's version of the state tree, pinned.
  StateTree HeadTree() const;
  // The block a new block builds on: the newest pending block, or the committed head.
  struct Parent {
    v1::BlockHeader header;
    Hash hash;
    StateTree tree;
    v1::GovernanceState governance;  // after the parent: its epoch is the next block's
  };
  Result<Parent> ParentOf(PendingChain pending) const;
  Status CheckHeaderOnParent(const v1::BlockHeader& header, const v1::Block& block,
                             const Parent& parent) const;
  // One piece of evidence for a block on `parent`, of an offence neither its state nor
  // `earlier` (the block's pieces before it) records.
  Result<Offence> CheckBlockEvidence(const v1::Evidence& evidence, const Parent& parent,
                                     const std::vector<Offence>& earlier) const;
  // Stateless checks; with `dropped`, failing transactions are left out and recorded
  // there instead of failing the call.
  Result<std::vector<CheckedTx>> CheckTransactions(
      const google::protobuf::RepeatedPtrField<v1::Transaction>& txs,
      std::vector<DroppedTx>* dropped) const;
  // Executes checked transactions as the block described by `header` on `parent`;
  // fills everything in `executed` but the block and its hash, and returns the roots
  // the header should carry.
  struct Roots {
    Hash tx_root, receipts_root, state_root, governance_hash;
  };
  Result<Roots> Run(const v1::BlockHeader& header, const std::vector<CheckedTx>& txs,
                    const Parent& parent, InvalidTxPolicy policy,
                    ExecutedBlock* executed) const;

  const std::unique_ptr<KvStore> store_;
  const v1::Genesis genesis_;
  const Hash genesis_hash_;
  const GovernanceRules rules_;
  crypto::DirectVerifier direct_verifier_;
  crypto::SignatureVerifier& verifier_;
  TreeStore tree_store_;
  OpenReport open_report_;
  uint64_t base_height_ = 0;  // read at open; a ledger never moves its base
  // Raised by a pruning step before it writes, so readers never see a body the step is
  // clearing; read at open (keys.h: P).
  std::atomic<uint64_t> pruned_below_{0};
  // The versions readers hold and the oldest version kept (keys.h: Q).
  mutable VersionPins state_pins_;
  std::mutex prune_mu_;  // one pruning step at a time
  // What CompactPruned last compacted up to (under prune_mu_); a restart compacts again.
  uint64_t compacted_blocks_below_ = 0;
  uint64_t compacted_versions_below_ = 0;

  // The committed head and state tree, swapped under mu_ by Commit.
  mutable std::shared_mutex mu_;
  v1::BlockHeader head_header_;
  Hash head_hash_{};
  StateTree tree_;
  v1::GovernanceState governance_;
};

// Checks an account proof from GetAccount against a state root alone: what a client
// does with the root from a block header it trusts.
bool VerifyAccountProof(const Hash& state_root, ByteView address, ByteView account_bytes,
                        const StateProof& proof);

}  // namespace cairn::ledger
