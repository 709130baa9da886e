#include "node/base_audit.h"

#include <chrono>
#include <memory>
#include <set>

#include "cairn/v1/storage.pb.h"
#include "crypto/domain.h"
#include "ledger/genesis.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/records.h"
#include "ledger/state_base.h"
#include "node/audit_parts.h"
#include "node/certificate_check.h"
#include "node/pruned_audit.h"
#include "node/epoch_chain.h"
#include "node/state_target.h"

namespace cairn::node {

namespace {

namespace keys = ledger::keys;
using ledger::AuditFailure;
using ledger::ReadRecord;

// An error of reading or checking what the node holds at `height`, as an audit failure.
Status At(uint64_t height, const std::string& check, const Status& status) {
  return status.ok() ? status : AuditFailure(height, check, status.message());
}

// The parts of a base ledger, each checked from genesis before the next is trusted.
class BaseCheck {
 public:
  BaseCheck(const v1::Genesis& genesis, const ledger::KvStore& stored, crypto::SignatureVerifier& verifier)
      : genesis_(genesis), chain_id_(genesis.chain_id()), stored_(stored), verifier_(verifier) {}

  Status Run(uint64_t base, ledger::KvStore& restored, ledger::AuditReport* report) {
    base_.height = base;
    auto governance = ReadRecord<v1::GovernanceState>(stored_, keys::kBaseGovernance, "its record");
    if (!governance.ok()) return AuditFailure(base, "the governance state after the base", governance.status().message());
    base_.governance = std::move(governance).value();
    CAIRN_RETURN_IF_ERROR(ProveEpochs());
    CAIRN_RETURN_IF_ERROR(CheckBaseBlock());
    CAIRN_RETURN_IF_ERROR(CheckBlocksBelow());
    CAIRN_RETURN_IF_ERROR(RestoreState(restored, report));
    return At(base, "the base", ledger::InstallStateBase(restored, genesis_, base_));
  }

 private:
  // Epochs 1 .. the base's, each from the one before.
  Status ProveEpochs() {
    std::vector<StoredEpochChange> changes;
    CAIRN_RETURN_IF_ERROR(
        ProveStoredEpochs(genesis_, stored_, base_.governance.epoch(), base_.height, verifier_, &epochs_, &changes));
    for (StoredEpochChange& change : changes) {
      base_.epoch_starts.push_back(change.governance);
      base_.epoch_roots.push_back(change.root);
      base_.blocks.push_back({std::move(*change.block.mutable_block()), std::move(*change.block.mutable_certificate()),
                              std::move(change.finality)});
    }
    return Status::Ok();
  }

  // The base block, as a joining node checks its target.
  Status CheckBaseBlock() {
    const uint64_t height = base_.height;
    v1::StateTargetResponse target;
    auto head = ReadCertifiedBlock(stored_, height);
    auto finality = ReadRecord<v1::QuorumCertificate>(stored_, keys::Finality(height), "its finality certificate");
    if (!head.ok()) return AuditFailure(height, "the base block", head.status().message());
    if (!finality.ok()) return AuditFailure(height, "the base block", finality.status().message());
    *target.mutable_head() = *head;
    *target.mutable_finality() = *finality;
    *target.mutable_governance() = base_.governance;
    if (!header_.ParseFromString(head->block().header())) return AuditFailure(height, "the base block", "the header does not parse");
    const uint64_t e = header_.epoch();
    if (e >= epochs_.size()) {
      return AuditFailure(height, "the base block", "it is of epoch " + std::to_string(e) + " but the node holds changes up to epoch " +
                                                        std::to_string(epochs_.size() - 1));
    }
    // The root of the next epoch is certified by its own epoch, and checked as the root.
    const bool is_root = e + 1 < epochs_.size() && epochs_[e + 1].root_height == height;
    epoch_ = is_root ? e + 1 : e;
    auto verified = VerifyStateTarget(chain_id_, epochs_[epoch_], epoch_ > 0 ? &epochs_[epoch_ - 1] : nullptr, target, verifier_);
    if (!verified.ok()) return AuditFailure(height, "the base block", verified.status().message());
    if (!is_root) base_.blocks.push_back({head->block(), head->certificate(), *finality});
    return Status::Ok();
  }

  // Every block held below the base is an epoch's root (checked already) or one of the
  // run leader reputation reads, chained to the base.
  Status CheckBlocksBelow() {
    const std::set<uint64_t> roots(base_.epoch_roots.begin(), base_.epoch_roots.end());
    CAIRN_ASSIGN_OR_RETURN(const std::vector<uint64_t> run, BlocksHeldBelowBase(stored_, base_.height, roots));
    for (uint64_t height : run) {
      if (height <= epochs_[epoch_].root_height) {
        return AuditFailure(height, "a block below the base", "it is neither an epoch's root nor one leader reputation reads");
      }
    }
    std::vector<v1::CertifiedBlock> blocks;
    for (uint64_t height : run) {
      auto block = ReadCertifiedBlock(stored_, height);
      if (!block.ok()) return AuditFailure(height, "a block below the base", block.status().message());
      blocks.push_back(std::move(block).value());
    }
    CAIRN_RETURN_IF_ERROR(At(base_.height, "the blocks below the base",
                             CheckChainBelow(chain_id_, epochs_[epoch_], header_.parent_hash(), blocks, verifier_)));
    for (v1::CertifiedBlock& b : blocks) base_.blocks.push_back({std::move(*b.mutable_block()), std::move(*b.mutable_certificate()), std::nullopt});
    return Status::Ok();
  }

  // The stored tree of the base's version, served to a StateRestore under the header's
  // state root: what the node holds must prove itself as a peer's chunks must.
  Status RestoreState(ledger::KvStore& restored, ledger::AuditReport* report) {
    auto root = HashFromBytes(header_.state_root());
    if (!root.ok()) return At(base_.height, "the state at the base", root.status());
    CAIRN_ASSIGN_OR_RETURN(report->base_accounts,
                           RestoreStoredState(stored_, base_.height, *root, restored, "the state at the base"));
    return Status::Ok();
  }

  const v1::Genesis& genesis_;
  const std::string& chain_id_;
  const ledger::KvStore& stored_;
  crypto::SignatureVerifier& verifier_;
  std::vector<TrustedEpoch> epochs_;
  uint64_t epoch_ = 0;  // the proven epoch the base block is checked in
  v1::BlockHeader header_;
  ledger::StateBase base_;
};

}  // namespace

Result<ledger::AuditReport> AuditBaseLedger(const v1::Genesis& genesis, const ledger::KvStore& stored) {
  const auto start = std::chrono::steady_clock::now();
  CAIRN_ASSIGN_OR_RETURN(auto base, ledger::ReadBase(stored));
  if (!base) return Status::FailedPrecondition("this ledger holds the whole chain: audit it from genesis");
  CAIRN_ASSIGN_OR_RETURN(auto genesis_hash, stored.Get(keys::kGenesisHash));
  if (!genesis_hash || *genesis_hash != AsView(ledger::GenesisHash(genesis))) {
    return Status::FailedPrecondition("this data directory is of another genesis");
  }
  crypto::CachingVerifier signatures(1 << 16);
  ledger::AuditReport report;
  report.base_height = *base;
  auto restored = std::make_unique<ledger::MemoryStore>();
  const ledger::MemoryStore* replayed = restored.get();
  CAIRN_RETURN_IF_ERROR(BaseCheck(genesis, stored, signatures).Run(*base, *restored, &report));
  CAIRN_ASSIGN_OR_RETURN(auto replay, ledger::Ledger::Open(std::move(restored), genesis, &signatures));
  report.epochs = replay->Governance().epoch() + 1;
  ledger::StoreAuditSource source(stored);
  const auto check = MakeCertificateCheck(genesis.chain_id(), ledger::BuildGenesisState(genesis).block_hash, signatures);
  CAIRN_RETURN_IF_ERROR(ledger::ReplayBlocks(genesis, *replay, *replayed, source, check, signatures, &stored, &report));
  CAIRN_RETURN_IF_ERROR(ledger::CompareWholeStore(stored, *replayed, *replay, check, /*joined=*/true));
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

Result<ledger::AuditReport> AuditDataDirectory(const v1::Genesis& genesis, const ledger::KvStore& stored) {
  CAIRN_ASSIGN_OR_RETURN(auto pruned, ledger::ReadU64Record(stored, keys::kPrunedBelow, "the pruned-below record"));
  if (pruned) return AuditPrunedLedger(genesis, stored);
  CAIRN_ASSIGN_OR_RETURN(auto base, ledger::ReadBase(stored));
  if (base) return AuditBaseLedger(genesis, stored);
  ledger::StoreAuditSource source(stored);
  crypto::CachingVerifier verifier(1 << 16);  // a block's parent certificate repeats its parent's
  const auto check = MakeCertificateCheck(genesis.chain_id(), ledger::BuildGenesisState(genesis).block_hash, verifier);
  return ledger::AuditChain(genesis, source, check, &stored);
}

}  // namespace cairn::node
