#include "node/audit_parts.h"

#include <map>

#include "crypto/domain.h"
#include "crypto/merkle.h"
#include "ledger/audit.h"
#include "ledger/keys.h"
#include "ledger/records.h"
#include "ledger/state_base.h"
#include "ledger/state_chunk.h"
#include "ledger/state_restore.h"
#include "ledger/tree_store.h"
#include "node/state_target.h"

namespace cairn::node {

namespace {

namespace keys = ledger::keys;
using ledger::AuditFailure;
using ledger::ReadRecord;

// An answer's bytes when the audit serves the node's tree to itself: large, since
// nothing travels.
constexpr size_t kChunkBytes = 4u << 20;

Status At(uint64_t height, const std::string& check, const Status& status) {
  return status.ok() ? status : AuditFailure(height, check, status.message());
}

}  // namespace

Result<v1::CertifiedBlock> ReadCertifiedBlock(const ledger::KvStore& store, uint64_t height) {
  v1::CertifiedBlock out;
  const std::string what = "block " + std::to_string(height);
  CAIRN_ASSIGN_OR_RETURN(*out.mutable_block(), ReadRecord<v1::Block>(store, keys::Block(height), what));
  CAIRN_ASSIGN_OR_RETURN(*out.mutable_certificate(),
                         ReadRecord<v1::QuorumCertificate>(store, keys::Certificate(height), "its certificate"));
  return out;
}

Status ProveStoredEpochs(const v1::Genesis& genesis, const ledger::KvStore& stored, uint64_t last,
                         uint64_t audit_height, crypto::SignatureVerifier& verifier, std::vector<TrustedEpoch>* epochs,
                         std::vector<StoredEpochChange>* changes) {
  const std::string& chain_id = genesis.chain_id();
  epochs->push_back(GenesisEpoch(genesis));
  for (uint64_t e = 1; e <= last; ++e) {
    const std::string check = "the change to epoch " + std::to_string(e);
    CAIRN_ASSIGN_OR_RETURN(auto root_bytes, stored.Get(keys::EpochRoot(e)));
    if (!root_bytes || root_bytes->size() != 8) return AuditFailure(audit_height, check, "no root height recorded");
    StoredEpochChange change;
    change.root = ReadU64(*root_bytes);
    auto block = ReadCertifiedBlock(stored, change.root);
    if (!block.ok()) return AuditFailure(change.root, check, block.status().message());
    change.block = std::move(block).value();
    auto finality = ReadRecord<v1::QuorumCertificate>(stored, keys::Finality(change.root), "its finality certificate");
    auto governance = ReadRecord<v1::GovernanceState>(stored, keys::EpochGovernance(e), "the governance state it starts");
    if (!finality.ok()) return AuditFailure(change.root, check, finality.status().message());
    if (!governance.ok()) return AuditFailure(change.root, check, governance.status().message());
    change.finality = std::move(finality).value();
    change.governance = std::move(governance).value();
    v1::EpochChangeProof proof;
    proof.set_header(change.block.block().header());
    *proof.mutable_finality() = change.finality;
    *proof.mutable_governance() = change.governance;
    auto next = VerifyEpochChange(chain_id, epochs->back(), proof, verifier);
    if (!next.ok()) return AuditFailure(change.root, check, next.status().message());
    CAIRN_RETURN_IF_ERROR(At(change.root, check, CheckEpochRoot(chain_id, epochs->back(), *next, change.block, verifier)));
    CAIRN_ASSIGN_OR_RETURN(auto set, stored.Get(keys::ValidatorSet(e)));
    if (!set || *set != next->validators.SerializeAsString()) {
      return AuditFailure(change.root, check, "the stored validator set is not the one the change proves");
    }
    epochs->push_back(std::move(next).value());
    if (changes != nullptr) changes->push_back(std::move(change));
  }
  return Status::Ok();
}

Result<std::vector<uint64_t>> BlocksHeldBelowBase(const ledger::KvStore& stored, uint64_t base,
                                                  const std::set<uint64_t>& roots) {
  std::vector<uint64_t> heights;
  Status bad = Status::Ok();
  CAIRN_RETURN_IF_ERROR(stored.Scan("b", "b", [&](ByteView key, ByteView) {
    if (key.size() != 9) {
      bad = AuditFailure(base, "a block below the base", "a block record's key is damaged");
      return false;
    }
    const uint64_t height = ReadU64(key.substr(1));
    if (height >= base) return false;
    if (height != 0 && !roots.contains(height)) heights.push_back(height);
    return true;
  }));
  CAIRN_RETURN_IF_ERROR(bad);
  return heights;
}

Result<Hash> CheckChainedBlock(std::string_view chain_id, const std::vector<TrustedEpoch>& epochs,
                               const v1::CertifiedBlock& block, uint64_t height, const Hash* parent,
                               crypto::SignatureVerifier& verifier, v1::BlockHeader* header,
                               const v1::QuorumCertificate* pruned_parent_certificate) {
  if (!header->ParseFromString(block.block().header()) || header->height() != height) {
    return AuditFailure(height, "header", "it does not parse or names another height");
  }
  if (parent != nullptr && header->parent_hash() != AsView(*parent)) {
    return AuditFailure(height, "hash chain", "the parent hash is not the hash of block " + std::to_string(height - 1));
  }
  const Hash hash = crypto::BlockHash(chain_id, block.block().header());
  const v1::QuorumCertificate& qc = block.certificate();
  if (qc.block_hash() != AsView(hash) || qc.height() != height || qc.round() != header->round() ||
      qc.epoch() != header->epoch()) {
    return AuditFailure(height, "certificate", "it is not for this block");
  }
  if (header->epoch() >= epochs.size()) {
    return AuditFailure(height, "certificate", "epoch " + std::to_string(header->epoch()) + " has no proven change");
  }
  const TrustedEpoch& epoch = epochs[header->epoch()];
  if (height <= epoch.root_height) return AuditFailure(height, "epoch", "the block is below its epoch's root");
  if (Status valid = VerifyCertificateOf(chain_id, epoch, qc, verifier); !valid.ok()) {
    return AuditFailure(height, "certificate", valid.message());
  }
  const v1::QuorumCertificate& parent_qc = block.block().parent_qc();
  const bool signatures_pruned = pruned_parent_certificate != nullptr && parent_qc.signatures_size() == 0 &&
                                 parent_qc.height() != epoch.root_height;  // an epoch-start certificate has none
  if (signatures_pruned) {
    // Every field but the signatures, byte for byte: any quorum's certificate of a block
    // makes the same statement.
    v1::QuorumCertificate statement = *pruned_parent_certificate;
    statement.clear_signatures();
    if (parent_qc.block_hash() != header->parent_hash() || parent_qc.SerializeAsString() != statement.SerializeAsString()) {
      return AuditFailure(height, "parent certificate",
                          "its signatures are pruned and it is not the statement the parent's own certificate makes");
    }
  } else if (Status valid = CheckParentQc(chain_id, epoch, block.block(), *header, verifier); !valid.ok()) {
    return AuditFailure(height, "parent certificate", valid.message());
  }
  // The body, where there is one: the one the header commits to.
  if (block.block().transactions_size() > 0 || header->tx_root() == AsView(crypto::MerkleRoot({}))) {
    if (Status body = ledger::CheckBlockBody(chain_id, block.block(), *header); !body.ok()) {
      return AuditFailure(height, "body", body.message());
    }
  }
  return hash;
}

Result<uint64_t> RestoreStoredState(const ledger::KvStore& stored, uint64_t version, const Hash& root,
                                    ledger::KvStore& restored, const std::string& check) {
  ledger::TreeStore nodes(stored, 0);
  auto tree = nodes.Load(version);
  if (!tree.ok()) return At(version, check, tree.status());
  auto opened = ledger::StateRestore::Open(restored, version, root);
  if (!opened.ok()) return At(version, check, opened.status());
  auto restore = std::move(opened).value();
  while (!restore->finished()) {
    const std::map<Bytes, Hash> wanted = restore->wanted();
    for (const auto& [path, hash] : wanted) {
      v1::StateChunkRequest request;
      request.set_version(version);
      request.set_path(path);
      request.set_expected_hash(ToBytes(hash));
      request.set_max_leaves(ledger::kMaxChunkLeaves);
      auto applied = restore->Apply(ledger::ServeStateChunk(*tree, request, kChunkBytes));
      if (!applied.ok()) return AuditFailure(version, check, applied.status().message());
      if (*applied != ledger::StateRestore::Applied::kStored) return AuditFailure(version, check, "the node does not hold all of it");
    }
  }
  return restore->accounts();
}

}  // namespace cairn::node
