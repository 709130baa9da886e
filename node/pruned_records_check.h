// The records of a pruning node that the header chain alone does not cover
// (node/pruned_audit.h), each re-derived or checked against what covers it:
//  - the records every directory starts with (genesis document, block 0, epoch 0's set
//    and root, the store format): as the genesis file writes them;
//  - the governance state after the head: the one the head's header commits to;
//  - the block-hash index: each entry names a block that hashes to it, and every
//    retained block has its entry;
//  - the account history index: each entry is a retained transaction's, under its
//    sender or the account it names when it succeeded, and each of those has its entry;
//  - every finality record: a certificate of its block's epoch naming the block;
//  - the closed governance proposals (keys.h p), on a chain whose governance state
//    commits to them (GovernanceState.closed_digest): folded in the order they closed,
//    from genesis's digest (or the base's) to the one the head commits to. On a chain
//    whose genesis predates that digest only a replay derives them: the report counts
//    them as not checked.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cairn/v1/block.pb.h"
#include "cairn/v1/genesis.pb.h"
#include "crypto/bytes.h"
#include "crypto/status.h"
#include "crypto/verifier.h"
#include "ledger/kv_store.h"
#include "node/epoch_chain.h"

namespace cairn::node {

class PrunedRecordsCheck {
 public:
  PrunedRecordsCheck(const v1::Genesis& genesis, const ledger::KvStore& stored, crypto::SignatureVerifier& verifier)
      : genesis_(genesis), chain_id_(genesis.chain_id()), stored_(stored), verifier_(verifier) {}

  Status CheckGenesisRecords();
  // How the node holds a block: whole (the retained range, and epochs' last blocks
  // below it), pruned, or as a joined node holds a block to its base (not executed: no
  // receipts or history).
  enum class Held { kWhole, kPruned, kToBase };
  // Block `height` as the header chain read it (`hash`, `header`); `epochs` the proven
  // sets.
  Status CheckBlock(uint64_t height, const Hash& hash, const v1::BlockHeader& header, const v1::Block& block, Held held,
                    const std::vector<TrustedEpoch>& epochs);
  // Whether a block's hash index entry must be there: a block kept whole or held to a
  // joined node's base has one, pruning deleted a pruned block's. That pins the pruning
  // mark and the base: either moved meets a block with the wrong one.
  enum class Indexed { kRequired, kAbsent };
  // The block-hash index entry of block `height` (`hash`). CheckBlock does it for the
  // blocks it sees; a joined node's epoch roots below its base need it alone.
  Status CheckBlockIndex(uint64_t height, const Hash& hash, Indexed indexed);
  // A joined node's record of the governance state after its base block (keys.h K):
  // the one that block's header commits to.
  Status CheckBaseGovernance(const v1::BlockHeader& base_header);
  // After the last block: the governance state after `head`, the closed proposals, and
  // no index entry that no block accounts for.
  Status Finish(const v1::BlockHeader& head);

  // After Finish: the closed proposals held that no digest covers (a chain whose genesis
  // predates it), which the audit could not check.
  uint64_t unproven_closed_proposals() const { return unproven_closed_proposals_; }

 private:
  // Every entry of a block kept whole (a pruned one holds no transactions).
  Status CheckHistory(uint64_t height, const v1::Block& block);
  // The proposal records against `head_state`'s digest, folded from closed_start_.
  Status CheckClosedProposals(const v1::BlockHeader& head, const v1::GovernanceState& head_state);

  const v1::Genesis& genesis_;
  const std::string& chain_id_;
  const ledger::KvStore& stored_;
  crypto::SignatureVerifier& verifier_;
  uint64_t block_index_entries_ = 0;  // found by CheckBlock
  uint64_t history_entries_ = 0;
  uint64_t record_history_entries_ = 0;
  // Where the fold of closed proposals starts: genesis's digest, or the base's on a
  // joined node (which holds no proposal that closed at or below its base).
  uint64_t closed_after_ = 0;
  Bytes closed_start_;
  uint64_t unproven_closed_proposals_ = 0;
};

}  // namespace cairn::node
