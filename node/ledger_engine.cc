#include "node/ledger_engine.h"

#include <algorithm>

#include "crypto/domain.h"

namespace cairn::node {

LedgerEngine::LedgerEngine(ledger::Ledger& ledger, ledger::Speculator& speculator,
                           TransactionSource& source, size_t max_block_txs, const EvidencePool* evidence)
    : ledger_(ledger), speculator_(speculator), source_(source), max_block_txs_(max_block_txs), evidence_(evidence) {}

Status LedgerEngine::Execute(const v1::Block& block) { return speculator_.Execute(block); }

Result<v1::Block> LedgerEngine::Propose(const ProposalRequest& request) {
  ledger::BlockTemplate t;
  t.round = request.round;
  t.epoch = request.epoch;
  t.proposer = request.proposer;
  t.timestamp_ms = request.timestamp_ms;
  t.failed_proposers = request.failed_proposers;
  t.parent_qc = request.parent_qc;
  CAIRN_ASSIGN_OR_RETURN(std::set<Hash> in_pending_blocks, speculator_.PendingTxHashes(request.parent_hash));
  const size_t max_txs = proposal_limit_ ? std::min(max_block_txs_, proposal_limit_()) : max_block_txs_;
  std::vector<v1::Transaction> candidates = source_.Candidates(max_txs, in_pending_blocks);
  for (const auto& tx : candidates) *t.transactions.Add() = tx;
  if (evidence_ != nullptr) t.evidence = evidence_->Candidates();
  std::vector<ledger::DroppedTx> dropped;
  auto block = speculator_.Propose(std::move(t), request.parent_hash, &dropped);
  if (!block.ok()) return block.status();
  for (const ledger::DroppedTx& d : dropped) source_.LeftOut(candidates[d.input_index], d.reason);
  return block;
}

std::optional<v1::Block> LedgerEngine::FindCommitted(const Hash& block_hash) {
  auto stored = ledger_.GetBlockByHash(block_hash);
  if (!stored.ok()) return std::nullopt;
  return std::move(stored->block);
}

bool LedgerEngine::EndsEpoch(const Hash& block_hash) {
  if (const ledger::ExecutedBlock* pending = speculator_.FindPending(block_hash)) return pending->ends_epoch();
  // The committed head (the root of the consensus tree) is asked about at every
  // certificate: answer from memory, not with a read of the block (5% of a validator's
  // CPU at a few hundred blocks a second). As for a pending block, it ended its epoch
  // when the governance state after it is of a later epoch.
  if (block_hash == ledger_.head_hash()) return ledger_.epoch() > ledger_.head_header().epoch();
  auto committed = ledger_.GetBlockByHash(block_hash);
  if (!committed.ok()) return false;
  auto next_root = ledger_.RootOfEpoch(committed->header.epoch() + 1);
  return next_root.ok() && next_root->hash == block_hash;
}

bool LedgerEngine::HasWork(const Hash& parent_hash) {
  // The last block of an epoch waits to commit: the blocks after it are what commits it.
  for (const ledger::ExecutedBlock* b = speculator_.FindPending(parent_hash); b != nullptr;) {
    if (b->ends_epoch()) return true;
    auto grandparent = HashFromBytes(b->header.parent_hash());
    b = grandparent.ok() ? speculator_.FindPending(*grandparent) : nullptr;
  }
  // The parent and the grandparent, pending or committed: if either carries
  // transactions, the next blocks are what commits them everywhere.
  std::optional<Hash> hash = parent_hash;
  for (int level = 0; level < 2 && hash; ++level) {
    v1::BlockHeader header;
    if (const ledger::ExecutedBlock* pending = speculator_.FindPending(*hash)) {
      if (!pending->block.transactions().empty()) return true;
      header = pending->header;
    } else {
      auto committed = ledger_.GetBlockByHash(*hash);
      if (!committed.ok()) break;
      if (!committed->block.transactions().empty()) return true;
      header = committed->header;
    }
    hash.reset();
    if (header.height() > 0) {
      if (auto parent = HashFromBytes(header.parent_hash()); parent.ok()) hash = *parent;
    }
  }
  auto in_pending_blocks = speculator_.PendingTxHashes(parent_hash);
  return in_pending_blocks.ok() && source_.HasCandidates(*in_pending_blocks);
}

Status LedgerEngine::Commit(const consensus::CommitAction& action) {
  for (size_t i = 0; i < action.blocks.size(); ++i) {
    const auto& [block, certificate] = action.blocks[i];
    Hash hash = crypto::BlockHash(ledger_.chain_id(), block.header());
    const bool last = i + 1 == action.blocks.size();
    CAIRN_RETURN_IF_ERROR(speculator_.Commit(hash, certificate, last ? &action.finality : nullptr));
  }
  return Status::Ok();
}

}  // namespace cairn::node
