#include "ledger/state_base.h"

#include <map>

#include "cairn/v1/storage.pb.h"
#include "crypto/domain.h"
#include "crypto/merkle.h"
#include "ledger/evidence.h"
#include "ledger/genesis.h"
#include "ledger/governance.h"
#include "ledger/keys.h"
#include "ledger/tx_check.h"
#include "ledger/records.h"

namespace cairn::ledger {

namespace {

Status Misfit(const std::string& why) { return Status::InvalidArgument("the state sync base: " + why); }

struct Parsed {
  const BaseBlock* stored = nullptr;
  v1::BlockHeader header;
  Hash hash{};
};

}  // namespace

Status CheckBlockBody(std::string_view chain_id, const v1::Block& block, const v1::BlockHeader& header) {
  std::vector<Hash> tx_hashes;
  tx_hashes.reserve(block.transactions_size());
  for (const v1::Transaction& tx : block.transactions()) {
    tx_hashes.push_back(TransactionHash(chain_id, tx));
  }
  const std::string what = "block " + std::to_string(header.height());
  if (header.tx_root() != AsView(crypto::MerkleRoot(tx_hashes))) {
    return Status::InvalidArgument(what + ": its transactions are not the ones its header commits to (tx_root)");
  }
  // The genesis header has no evidence root: it commits to no evidence.
  const bool genesis_without_root = header.height() == 0 && header.evidence_root().empty() && block.evidence().empty();
  if (!genesis_without_root && header.evidence_root() != AsView(EvidenceRoot(chain_id, block.evidence()))) {
    return Status::InvalidArgument(what + ": its evidence is not the one its header commits to (evidence_root)");
  }
  return Status::Ok();
}

Status InstallStateBase(KvStore& store, const v1::Genesis& genesis, const StateBase& base) {
  const std::string& chain_id = genesis.chain_id();
  std::map<uint64_t, Parsed> blocks;
  for (const BaseBlock& b : base.blocks) {
    Parsed parsed;
    parsed.stored = &b;
    if (!parsed.header.ParseFromString(b.block.header())) return Misfit("a block header does not parse");
    parsed.hash = crypto::BlockHash(chain_id, b.block.header());
    const std::string what = "block " + std::to_string(parsed.header.height());
    if (parsed.header.height() == 0) return Misfit("block 0 comes from the genesis file");
    CAIRN_RETURN_IF_ERROR(CheckBlockBody(chain_id, b.block, parsed.header));
    if (b.certificate.block_hash() != AsView(parsed.hash) || b.certificate.height() != parsed.header.height()) {
      return Misfit("the certificate of " + what + " is for another block");
    }
    if (b.finality && b.finality->commit_hash() != AsView(parsed.hash)) {
      return Misfit("the finality certificate of " + what + " names another block");
    }
    if (!blocks.emplace(parsed.header.height(), std::move(parsed)).second) return Misfit(what + " is given twice");
  }

  auto base_block = blocks.find(base.height);
  if (base_block == blocks.end()) return Misfit("the base block " + std::to_string(base.height) + " is not given");
  const v1::BlockHeader& header = base_block->second.header;
  if (!base_block->second.stored->finality) return Misfit("the base block has no finality certificate");
  CAIRN_ASSIGN_OR_RETURN(auto root, ReadRecord<v1::StateTreeRoot>(store, keys::StateRoot(base.height),
                                                                   "the restored state's root record"));
  if (header.state_root() != root.hash()) return Misfit("the restored state is not the one the base header commits to");
  if (header.governance_hash() != AsView(GovernanceHash(chain_id, base.governance))) {
    return Misfit("the governance state is not the one the base header commits to");
  }
  const uint64_t epochs = base.governance.epoch();
  if (base.epoch_starts.size() != epochs || base.epoch_roots.size() != epochs) {
    return Misfit("the base is of epoch " + std::to_string(epochs) + " but " + std::to_string(base.epoch_starts.size()) +
                  " epoch changes are given");
  }
  for (uint64_t e = 1; e <= epochs; ++e) {
    const v1::GovernanceState& start = base.epoch_starts[e - 1];
    auto root_block = blocks.find(base.epoch_roots[e - 1]);
    if (start.epoch() != e) return Misfit("the epoch changes are not in order");
    if (root_block == blocks.end()) return Misfit("the root block of epoch " + std::to_string(e) + " is not given");
    if (root_block->second.header.governance_hash() != AsView(GovernanceHash(chain_id, start))) {
      return Misfit("the governance state epoch " + std::to_string(e) + " starts with is not its root block's");
    }
    if (!root_block->second.stored->finality) return Misfit("the root block of epoch " + std::to_string(e) + " has no finality certificate");
  }

  WriteBatch batch;
  const GenesisState genesis_state = BuildGenesisState(genesis);
  AddGenesisRecords(genesis, genesis_state, &batch);
  for (uint64_t e = 1; e <= epochs; ++e) {
    const v1::GovernanceState& start = base.epoch_starts[e - 1];
    batch.Put(keys::ValidatorSet(e), start.validators().SerializeAsString());
    batch.Put(keys::EpochRoot(e), U64Bytes(base.epoch_roots[e - 1]));
    batch.Put(keys::EpochGovernance(e), start.SerializeAsString());
  }
  for (const auto& [height, parsed] : blocks) {
    batch.Put(keys::Block(height), parsed.stored->block.SerializeAsString());
    batch.Put(keys::Certificate(height), parsed.stored->certificate.SerializeAsString());
    if (parsed.stored->finality) batch.Put(keys::Finality(height), parsed.stored->finality->SerializeAsString());
    batch.Put(keys::BlockHeight(parsed.hash), U64Bytes(height));
  }
  batch.Put(keys::kGovernance, base.governance.SerializeAsString());
  batch.Put(keys::kBaseGovernance, base.governance.SerializeAsString());
  v1::ChainHead head;
  head.set_height(base.height);
  head.set_block_hash(ToBytes(base_block->second.hash));
  batch.Put(keys::kHead, head.SerializeAsString());
  batch.Put(keys::kBase, U64Bytes(base.height));
  batch.Delete(keys::kStateSyncTarget);
  // Last in the batch: a store with a genesis hash is a complete ledger.
  batch.Put(keys::kGenesisHash, AsView(GenesisHash(genesis)));
  return store.Write(batch, Durability::kSync).Annotate("installing the state sync base");
}

Result<std::optional<uint64_t>> ReadBase(const KvStore& store) {
  return ReadU64Record(store, keys::kBase, "the base record");
}

}  // namespace cairn::ledger
