#include "ledger/speculator.h"

#include "crypto/domain.h"

namespace cairn::ledger {

Speculator::Speculator(Ledger& ledger, size_t max_pending) : ledger_(ledger), max_pending_(max_pending) {}

Result<std::set<Hash>> Speculator::PendingTxHashes(const Hash& block_hash) const {
  CAIRN_ASSIGN_OR_RETURN(auto chain, ChainTo(block_hash));
  std::set<Hash> hashes;
  for (const ExecutedBlock* block : chain) hashes.insert(block->tx_hashes.begin(), block->tx_hashes.end());
  return hashes;
}

const ExecutedBlock* Speculator::FindPending(const Hash& block_hash) const {
  auto it = pending_.find(block_hash);
  return it == pending_.end() ? nullptr : &it->second;
}

bool Speculator::IsKnown(const Hash& block_hash) const {
  return pending_.count(block_hash) > 0 || block_hash == ledger_.head_hash();
}

Result<std::vector<const ExecutedBlock*>> Speculator::ChainTo(const Hash& parent_hash) const {
  std::vector<const ExecutedBlock*> chain;
  const Hash head = ledger_.head_hash();
  Hash at = parent_hash;
  while (at != head) {
    auto it = pending_.find(at);
    if (it == pending_.end()) return Status::NotFound("parent block " + ToHex(at) + " is not known");
    chain.push_back(&it->second);
    at = HashFromBytes(it->second.header.parent_hash()).value();
    // A chain longer than the pending set would mean a cycle: impossible for hashes.
    if (chain.size() > pending_.size()) return Status::Internal("pending blocks form a cycle");
  }
  return chain;
}

Status Speculator::Keep(ExecutedBlock executed) {
  if (pending_.size() >= max_pending_) {
    return Status::ResourceExhausted(std::to_string(max_pending_) + " blocks are already pending");
  }
  Hash hash = executed.hash;
  pending_.emplace(hash, std::move(executed));
  return Status::Ok();
}

Status Speculator::Execute(const v1::Block& block) {
  Hash hash = crypto::BlockHash(ledger_.chain_id(), block.header());
  if (IsKnown(hash)) return Status::Ok();
  v1::BlockHeader header;
  if (!header.ParseFromString(block.header())) return Status::InvalidArgument("block header does not parse");
  if (header.height() <= ledger_.height()) {
    return Status::FailedPrecondition("block " + std::to_string(header.height()) +
                                      " is at or below the committed height");
  }
  auto parent = HashFromBytes(header.parent_hash());
  if (!parent.ok()) return parent.status().Annotate("block parent hash");
  CAIRN_ASSIGN_OR_RETURN(auto chain, ChainTo(*parent));
  CAIRN_ASSIGN_OR_RETURN(ExecutedBlock executed, ledger_.Execute(block, chain));
  return Keep(std::move(executed));
}

Result<v1::Block> Speculator::Propose(BlockTemplate t, const Hash& parent_hash,
                                      std::vector<DroppedTx>* dropped) {
  CAIRN_ASSIGN_OR_RETURN(auto chain, ChainTo(parent_hash));
  t.drop_invalid_transactions = true;
  CAIRN_ASSIGN_OR_RETURN(ExecutedBlock executed, ledger_.ProposeBlock(t, chain));
  if (dropped) *dropped = executed.outcome.dropped;
  v1::Block block = executed.block;
  CAIRN_RETURN_IF_ERROR(Keep(std::move(executed)));
  return block;
}

Status Speculator::Commit(const Hash& block_hash, const v1::QuorumCertificate& certificate,
                          const v1::QuorumCertificate* finality) {
  auto it = pending_.find(block_hash);
  if (it == pending_.end()) return Status::NotFound("block " + ToHex(block_hash) + " is not pending");
  CAIRN_RETURN_IF_ERROR(ledger_.Commit(it->second, certificate, finality));
  const uint64_t height = ledger_.height();
  for (auto p = pending_.begin(); p != pending_.end();) {
    p = p->second.header.height() <= height ? pending_.erase(p) : std::next(p);
  }
  return Status::Ok();
}

}  // namespace cairn::ledger
