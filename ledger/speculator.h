// Speculative execution for pipelined consensus: blocks are executed (and so validated)
// before they commit, each on its parent, which may itself be waiting to commit. The
// Speculator keeps those executed-but-uncommitted blocks by hash, builds proposals on
// any of them, and commits them in order when consensus says so.
//
// Single-threaded: the consensus thread is its only user. Bounded: at most
// `max_pending` blocks wait; more is an error, never unbounded growth.
#pragma once

#include <map>
#include <set>
#include <vector>

#include "ledger/ledger.h"

namespace cairn::ledger {

class Speculator {
 public:
  Speculator(Ledger& ledger, size_t max_pending);

  // Validates and executes `block` on its parent (the committed head or a pending
  // block) and keeps it. OK at once for a block already pending or committed.
  // NOT_FOUND when the parent is neither.
  Status Execute(const v1::Block& block);

  // Builds the next block on `parent_hash` from `t` (invalid transactions are dropped)
  // and keeps it pending. `dropped`, when given, receives the transactions left out.
  Result<v1::Block> Propose(BlockTemplate t, const Hash& parent_hash,
                            std::vector<DroppedTx>* dropped = nullptr);

  // Commits pending block `block_hash`, whose parent must be the committed head, with
  // the certificate that finalised it; then forgets pending blocks that can no longer
  // commit (at or below the new height).
  Status Commit(const Hash& block_hash, const v1::QuorumCertificate& certificate,
                const v1::QuorumCertificate* finality = nullptr);

  // True for a pending block or the committed head.
  bool IsKnown(const Hash& block_hash) const;
  // The hashes of the transactions in the pending blocks from the head up to and
  // including `block_hash` (empty for the head): what a block on it must not repeat.
  Result<std::set<Hash>> PendingTxHashes(const Hash& block_hash) const;
  // A pending block, or null.
  const ExecutedBlock* FindPending(const Hash& block_hash) const;
  size_t pending_count() const { return pending_.size(); }

 private:
  // The pending chain ending at `parent_hash` (newest first); empty for the head.
  Result<std::vector<const ExecutedBlock*>> ChainTo(const Hash& parent_hash) const;
  Status Keep(ExecutedBlock executed);

  Ledger& ledger_;
  const size_t max_pending_;
  std::map<Hash, ExecutedBlock> pending_;
};

}  // namespace cairn::ledger
