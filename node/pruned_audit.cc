#include "node/pruned_audit.h"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "cairn/v1/storage.pb.h"
#include "crypto/domain.h"
#include "crypto/merkle.h"
#include "ledger/genesis.h"
#include "ledger/keys.h"
#include "ledger/records.h"
#include "ledger/state_base.h"
#include "node/audit_parts.h"
#include "node/pruned_records_check.h"
#include "node/tree_versions_check.h"

namespace cairn::node {

namespace {

namespace keys = ledger::keys;
using ledger::AuditFailure;

// The highest epoch whose change the node records (keys.h E).
Result<uint64_t> LastRecordedEpoch(const ledger::KvStore& stored) {
  uint64_t last = 0;
  CAIRN_RETURN_IF_ERROR(stored.Scan(keys::kEpochRootPrefix, keys::kEpochRootPrefix, [&](ByteView key, ByteView) {
    if (key.size() == 9) last = std::max(last, ReadU64(key.substr(1)));
    return true;
  }));
  return last;
}

class PrunedCheck {
 public:
  PrunedCheck(const v1::Genesis& genesis, const ledger::KvStore& stored, crypto::SignatureVerifier& verifier)
      : genesis_(genesis), chain_id_(genesis.chain_id()), stored_(stored), verifier_(verifier) {}

  // `base`: the height a node that joined by state sync joined at (0: it holds the chain
  // from genesis).
  Status Run(uint64_t retained_from, uint64_t base, ledger::AuditReport* report) {
    auto head = ledger::ReadRecord<v1::ChainHead>(stored_, keys::kHead, "the head record");
    if (!head.ok()) return AuditFailure(0, "head record", head.status().message());
    CAIRN_ASSIGN_OR_RETURN(const uint64_t last_epoch, LastRecordedEpoch(stored_));
    CAIRN_RETURN_IF_ERROR(ProveStoredEpochs(genesis_, stored_, last_epoch, head->height(), verifier_, &epochs_, nullptr));
    PrunedRecordsCheck records(genesis_, stored_, verifier_);
    CAIRN_RETURN_IF_ERROR(records.CheckGenesisRecords());
    // The state versions the node keeps, whose roots the headers name.
    CAIRN_ASSIGN_OR_RETURN(auto oldest_kept, ledger::ReadU64Record(stored_, keys::kOldestStateVersion, "the oldest state version record"));
    const uint64_t oldest_version = std::max(oldest_kept.value_or(0), base);
    std::map<uint64_t, Hash> state_roots;
    if (oldest_version == 0) state_roots[0] = ledger::BuildGenesisState(genesis_).tree.root();
    // From genesis's hash; or, on a joined node, from the first block it holds below its
    // base, whose parent it does not hold (the base is proven by the certified chain
    // above it, as every header is).
    std::optional<Hash> parent;
    uint64_t first = 1;
    if (base > 0) {
      CAIRN_ASSIGN_OR_RETURN(first, FirstBlockBelowBase(base));
      for (const TrustedEpoch& epoch : epochs_) {
        if (epoch.root_height > 0 && epoch.root_height < first) {
          CAIRN_RETURN_IF_ERROR(records.CheckBlockIndex(epoch.root_height, epoch.root_hash, PrunedRecordsCheck::Indexed::kRequired));
        }
      }
    } else {
      parent = ledger::BuildGenesisState(genesis_).block_hash;
    }
    std::set<uint64_t> epoch_roots;
    for (const TrustedEpoch& epoch : epochs_) epoch_roots.insert(epoch.root_height);
    v1::BlockHeader header;
    for (uint64_t height = first; height <= head->height(); ++height) {
      CAIRN_ASSIGN_OR_RETURN(parent, CheckHeader(height, parent ? &*parent : nullptr, height < retained_from, &header));
      // Pruning keeps the epochs' last blocks whole; a joined node holds no receipts or
      // indexes of the blocks to its base, which it did not execute.
      using Held = PrunedRecordsCheck::Held;
      // (A joined node's base block itself is pruned like any other once the mark
      // passes it, unless it is an epoch's root; either way it was never executed here.)
      const bool pruned = height < retained_from && !epoch_roots.contains(height);
      const Held held = height < base || (height == base && !pruned) ? Held::kToBase
                        : pruned                                     ? Held::kPruned
                                                                     : Held::kWhole;
      CAIRN_RETURN_IF_ERROR(records.CheckBlock(height, *parent, header, block_.block(), held, epochs_));
      if (base > 0 && height == base) CAIRN_RETURN_IF_ERROR(records.CheckBaseGovernance(header));
      if (height >= oldest_version) {
        auto root = HashFromBytes(header.state_root());
        if (!root.ok()) return AuditFailure(height, "state root", root.status().message());
        state_roots[height] = *root;
      }
      report->transactions += static_cast<uint64_t>(block_.block().transactions_size());
      ++report->blocks;
      // A joined node holds no receipts of the blocks it did not execute: those to its base.
      if (height >= retained_from && height > base) CAIRN_RETURN_IF_ERROR(CheckRetainedRecords(height, header));
    }
    if (!parent || head->block_hash() != AsView(*parent)) {
      return AuditFailure(head->height(), "head record", "it does not name the last block");
    }
    auto finality = ledger::ReadRecord<v1::QuorumCertificate>(stored_, keys::Finality(head->height()), "");
    if (finality.ok() && finality->commit_hash() == AsView(*parent) && finality->epoch() < epochs_.size()) {
      report->head_proven_final = VerifyCertificateOf(chain_id_, epochs_[finality->epoch()], *finality, verifier_).ok();
    }
    report->epochs = epochs_.size();
    CAIRN_RETURN_IF_ERROR(records.Finish(header));
    report->unproven_closed_proposals = records.unproven_closed_proposals();

    auto root = HashFromBytes(header.state_root());
    if (!root.ok()) return AuditFailure(head->height(), "the state at the head", root.status().message());
    ledger::MemoryStore restored;
    CAIRN_ASSIGN_OR_RETURN(report->state_accounts,
                           RestoreStoredState(stored_, head->height(), *root, restored, "the state at the head"));
    // Then every version kept, record by record (after the head's, whose failure names
    // the state a reader gets).
    return CheckStoredTreeVersions(stored_, oldest_version, head->height(), [&](uint64_t version) -> Result<Hash> {
      auto kept = state_roots.find(version);
      if (kept == state_roots.end()) return AuditFailure(version, "state tree", "a version the node keeps has no header");
      return kept->second;
    });
  }

 private:
  // Block `height`, read and checked (audit_parts.h); its hash. Below the mark
  // (`pruned`) its parent certificate may have lost its signatures to pruning: then the
  // parent's own certificate, checked the step before, is what proves the parent.
  // `parent` is null for the first block held, whose parent is not.
  Result<Hash> CheckHeader(uint64_t height, const Hash* parent, bool pruned, v1::BlockHeader* header) {
    auto block = ReadCertifiedBlock(stored_, height);
    if (!block.ok()) return AuditFailure(height, "block record", block.status().message());
    v1::QuorumCertificate parent_certificate = block_.certificate();
    block_ = std::move(block).value();
    const bool have_parent_certificate = height > 1 && pruned && parent != nullptr;
    return CheckChainedBlock(chain_id_, epochs_, block_, height, parent, verifier_, header,
                             have_parent_certificate ? &parent_certificate : nullptr);
  }

  // A joined node holds, below its base, the epochs' last blocks (which the epoch
  // changes proved) and the run of blocks just below the base that leader reputation
  // reads: the first of that run (or the base when there is none). Any other block
  // there is an error.
  Result<uint64_t> FirstBlockBelowBase(uint64_t base) {
    std::set<uint64_t> roots;
    for (const TrustedEpoch& epoch : epochs_) roots.insert(epoch.root_height);
    CAIRN_ASSIGN_OR_RETURN(const std::vector<uint64_t> run, BlocksHeldBelowBase(stored_, base, roots));
    for (size_t i = 0; i < run.size(); ++i) {
      if (run[i] + (run.size() - i) != base) {
        return AuditFailure(run[i], "a block below the base", "it is neither an epoch's root nor one leader reputation reads");
      }
    }
    return run.empty() ? base : run.front();
  }

  // In the retained range: the body is held, the receipts are the ones the header's
  // receipts root names, and each transaction's index entry points at it.
  Status CheckRetainedRecords(uint64_t height, const v1::BlockHeader& header) {
    const v1::Block& block = block_.block();
    if (block.transactions_size() == 0 && header.tx_root() != AsView(crypto::MerkleRoot({}))) {
      return AuditFailure(height, "body", "the node prunes from a later height but holds no body here");
    }
    std::vector<Hash> receipts;
    for (int i = 0; i < block.transactions_size(); ++i) {
      const auto index = static_cast<uint32_t>(i);
      CAIRN_ASSIGN_OR_RETURN(auto receipt, stored_.Get(keys::Receipt(height, index)));
      if (!receipt) return AuditFailure(height, "receipt " + std::to_string(i), "missing");
      receipts.push_back(crypto::ReceiptHash(chain_id_, *receipt));
      const v1::Transaction& tx = block.transactions(i);
      CAIRN_ASSIGN_OR_RETURN(auto location, stored_.Get(keys::TxLocation(
                                                ledger::TransactionHash(chain_id_, tx))));
      v1::TxLocation expected;
      expected.set_height(height);
      expected.set_index(index);
      if (!location || *location != expected.SerializeAsString()) {
        return AuditFailure(height, "transaction index " + std::to_string(i), "the stored location differs");
      }
    }
    if (header.receipts_root() != AsView(crypto::MerkleRoot(receipts))) {
      return AuditFailure(height, "receipts", "they are not the ones the header's receipts root names");
    }
    return Status::Ok();
  }

  const v1::Genesis& genesis_;
  const std::string& chain_id_;
  const ledger::KvStore& stored_;
  crypto::SignatureVerifier& verifier_;
  std::vector<TrustedEpoch> epochs_;
  v1::CertifiedBlock block_;  // the block CheckHeader read last
};

}  // namespace

Result<ledger::AuditReport> AuditPrunedLedger(const v1::Genesis& genesis, const ledger::KvStore& stored) {
  const auto start = std::chrono::steady_clock::now();
  CAIRN_ASSIGN_OR_RETURN(auto pruned, ledger::ReadU64Record(stored, keys::kPrunedBelow, "the pruned-below record"));
  if (!pruned) return Status::FailedPrecondition("this ledger holds every block's body: audit it from genesis");
  CAIRN_ASSIGN_OR_RETURN(auto base, ledger::ReadBase(stored));
  CAIRN_ASSIGN_OR_RETURN(auto genesis_hash, stored.Get(keys::kGenesisHash));
  if (!genesis_hash || *genesis_hash != AsView(ledger::GenesisHash(genesis))) {
    return Status::FailedPrecondition("this data directory is of another genesis");
  }
  crypto::CachingVerifier signatures(1 << 16);
  ledger::AuditReport report;
  report.retained_from = *pruned;
  report.base_height = base.value_or(0);
  CAIRN_RETURN_IF_ERROR(PrunedCheck(genesis, stored, signatures).Run(*pruned, base.value_or(0), &report));
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace cairn::node
