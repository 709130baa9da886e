// Retention: pruning block bodies, receipts, the transaction and history index, and
// old versions of the state tree, in bounded steps.
//
// Blocks: each step is one batch of the main store that records how far it got
// (keys.h: P) with what it deleted, so a crash anywhere leaves a store that says exactly
// what it holds. Not synced: a step lost in a crash is lost with its mark and done
// again, and the next commit's synced batch makes every earlier step durable.
// State versions: their records live in the tree's own store (split_store.h), so the
// mark (keys.h: Q) is synced first and the deletes follow.
#include <algorithm>
#include <set>

#include "crypto/domain.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/records.h"

namespace cairn::ledger {
namespace {

// The heights of every epoch's root (its first block's parent: genesis, or the last
// block of the epoch before), whose bodies are kept: the epoch change each proves is
// what joining nodes and light clients check the next set by. A handful of records.
Result<std::set<uint64_t>> EpochRootHeights(const KvStore& store) {
  std::set<uint64_t> heights{0};
  Status bad = Status::Ok();
  CAIRN_RETURN_IF_ERROR(store.Scan(keys::kEpochRootPrefix, keys::kEpochRootPrefix, [&](ByteView key, ByteView value) {
    if (key.size() != 9 || value.size() != 8) {
      bad = Status::Corruption("an epoch root record is damaged");
      return false;
    }
    heights.insert(ReadU64(value));
    return true;
  }));
  CAIRN_RETURN_IF_ERROR(bad);
  return heights;
}

// Adds the deletes of everything `block` (at `height`) wrote beside its header: its
// receipts, its transactions' locations, the history entries of their accounts and the
// history of the records they wrote.
void DeleteBodyRecords(std::string_view chain_id, uint64_t height, const v1::Block& block, WriteBatch* batch) {
  for (int i = 0; i < block.transactions_size(); ++i) {
    const v1::Transaction& tx = block.transactions(i);
    const auto index = static_cast<uint32_t>(i);
    batch->Delete(keys::TxLocation(TransactionHash(chain_id, tx)));
    batch->Delete(keys::Receipt(height, index));
    v1::TxBody body;
    if (!body.ParseFromString(tx.body())) continue;  // a committed body parses; nothing else to find
    const Bytes sender = SenderOf(tx, body);
    for (const Bytes& address : AccountsNamedBy(sender, body)) batch->Delete(keys::History(address, height, index));
    for (const RecordWrite& write : RecordWritesOf(sender, body, index)) {
      batch->Delete(keys::RecordHistory(write.account, write.key, height, index));
    }
  }
}

// Adds the delete of block `height`'s own finality certificate (keys.h F) when its
// child's certificate names it committed as well (FinalityProof then answers with that
// one): the two are one quorum's statement, and a pruned block keeps one of them.
Status DropRepeatedFinality(const KvStore& store, uint64_t height, WriteBatch* batch) {
  CAIRN_ASSIGN_OR_RETURN(auto own, store.Get(keys::Finality(height)));
  if (!own) return Status::Ok();
  auto certificate = ReadRecord<v1::QuorumCertificate>(store, keys::Certificate(height), "a certificate");
  auto child = ReadRecord<v1::QuorumCertificate>(store, keys::Certificate(height + 1), "a certificate");
  if (!certificate.ok() || !child.ok()) return Status::Ok();  // kept: nothing else proves it
  if (child->commit_hash() == certificate->block_hash()) batch->Delete(keys::Finality(height));
  return Status::Ok();
}

}  // namespace

uint64_t Ledger::retained_from() const {
  return std::max(base_height_, pruned_below_.load(std::memory_order_acquire));
}

Result<uint64_t> Ledger::PruneBlocks(uint64_t below, uint64_t max_blocks) {
  std::lock_guard lock(prune_mu_);
  const uint64_t from = retained_from();
  const uint64_t to = std::min({below, height(), from + max_blocks});
  if (to <= from) return uint64_t{0};
  CAIRN_ASSIGN_OR_RETURN(std::set<uint64_t> kept, EpochRootHeights(*store_));
  // Raised before the batch lands: a reader that finds a cleared body then finds the
  // heights refused too (GetBlock checks after its read).
  pruned_below_.store(to, std::memory_order_release);
  WriteBatch batch;
  for (uint64_t h = from; h < to; ++h) {
    if (kept.contains(h)) continue;
    CAIRN_RETURN_IF_ERROR(DropRepeatedFinality(*store_, h, &batch));
    CAIRN_ASSIGN_OR_RETURN(auto bytes, store_->Get(keys::Block(h)));
    if (!bytes) continue;  // below a base: never held
    v1::Block block;
    if (!block.ParseFromString(*bytes)) return Status::Corruption("block " + std::to_string(h) + " does not parse");
    DeleteBodyRecords(chain_id(), h, block, &batch);
    block.clear_transactions();
    // The parent certificate's signatures repeat what the parent's own certificate
    // (c <h-1>, kept) proves: the same block certified by a quorum of the same epoch.
    // Its round, epoch and hash stay (leader election reads the round), and so does the
    // header, whose parent_signers name who signed.
    block.mutable_parent_qc()->clear_signatures();
    batch.Put(keys::Block(h), block.SerializeAsString());
    // The hash index serves reads by hash, which a pruned body no longer answers.
    batch.Delete(keys::BlockHeight(crypto::BlockHash(chain_id(), block.header())));
  }
  batch.Put(keys::kPrunedBelow, U64Bytes(to));
  // On error the raised mark stays: refusing reads of bodies still on disk is harmless,
  // and the store refuses every later write until the node reloads it.
  CAIRN_RETURN_IF_ERROR(store_->Write(batch, Durability::kNoSync)
                            .Annotate("pruning blocks " + std::to_string(from) + "-" + std::to_string(to - 1)));
  return to - from;
}

Result<uint64_t> Ledger::PruneStateVersions(uint64_t oldest_kept, uint64_t max_versions) {
  std::lock_guard lock(prune_mu_);
  const uint64_t from = oldest_state_version();
  // From here readers are refused the versions below `to`; none holds one.
  const uint64_t to = state_pins_.RaiseFloor(std::min({oldest_kept, height(), from + max_versions}));
  if (to <= from) return uint64_t{0};
  // SplitStore applies a batch's tree records first: the mark that nothing reads these
  // versions goes first, synced, in a batch of its own, so no crash leaves a store that
  // names a version whose nodes are gone. A crash after it leaves at most one step's
  // nodes undeleted, never a missing one.
  WriteBatch mark;
  mark.Put(keys::kOldestStateVersion, U64Bytes(to));
  CAIRN_RETURN_IF_ERROR(store_->Write(mark, Durability::kSync).Annotate("recording the oldest state version kept"));
  WriteBatch batch;
  for (uint64_t v = from; v < to; ++v) {
    // Version v goes: its root record, and the nodes version v + 1 replaced, which no
    // version from v + 1 on reads (a replaced node is never in a later tree).
    batch.Delete(keys::StateRoot(v));
    CAIRN_ASSIGN_OR_RETURN(std::vector<Bytes> stale, tree_store_.StaleNodes(v + 1));
    for (const Bytes& key : stale) batch.Delete(key);
    batch.Delete(keys::StaleNodes(v + 1));
  }
  CAIRN_RETURN_IF_ERROR(store_->Write(batch, Durability::kNoSync)
                            .Annotate("pruning state versions " + std::to_string(from) + "-" + std::to_string(to - 1)));
  return to - from;
}

Result<bool> Ledger::CompactPruned(uint64_t min_pruned) {
  std::lock_guard lock(prune_mu_);
  const uint64_t blocks_below = retained_from(), versions_below = oldest_state_version();
  const bool blocks = blocks_below >= compacted_blocks_below_ + std::max<uint64_t>(min_pruned, 1);
  const bool versions = versions_below >= compacted_versions_below_ + std::max<uint64_t>(min_pruned, 1);
  if (blocks) {
    for (char tag : {'b', 'r'}) {
      CAIRN_RETURN_IF_ERROR(store_->Compact(keys::WithU64(tag, compacted_blocks_below_), keys::WithU64(tag, blocks_below)));
    }
    for (ByteView index : {ByteView("t"), ByteView("x"), ByteView("y")}) {
      CAIRN_RETURN_IF_ERROR(store_->Compact(index, Bytes(1, static_cast<char>(index[0] + 1))));
    }
    compacted_blocks_below_ = blocks_below;
  }
  if (versions) {
    // A pruned node may have been written by any version below: the range starts at 0.
    CAIRN_RETURN_IF_ERROR(store_->Compact(keys::kNodePrefix, keys::WithU64(tree::kNodeTag, versions_below)));
    compacted_versions_below_ = versions_below;
  }
  return blocks || versions;
}

}  // namespace cairn::ledger
