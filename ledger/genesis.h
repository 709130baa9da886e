// The genesis file: the chain id, the first validator set, the first accounts. It is
// the one thing an auditor trusts; everything else is checked against it.
#pragma once

#include <string>
#include <vector>

#include "cairn/v1/block.pb.h"
#include "cairn/v1/genesis.pb.h"
#include "cairn/v1/governance.pb.h"
#include "cairn/v1/state.pb.h"
#include "crypto/bytes.h"
#include "ledger/kv_store.h"
#include "ledger/state_tree.h"

namespace cairn::ledger {

// Defaults for ConsensusParams fields left at zero.
constexpr uint32_t kDefaultMaxBlockTxs = 5000;
constexpr uint64_t kDefaultMaxBlockBytes = 8 << 20;

// Reads and validates a genesis JSON file.
Result<v1::Genesis> ReadGenesisFile(const std::string& path);

// Checks what JSON parsing cannot: chain id form, key lengths and hex, unique names,
// keys and assets, valid roles, at least one validator.
Status ValidateGenesis(const v1::Genesis& genesis);

// The genesis hash: DomainHash(kGenesis, chain_id, deterministic serialization). The
// genesis block's parent_hash, so the whole chain hangs from the genesis document.
Hash GenesisHash(const v1::Genesis& genesis);

// Height 0, derived from a valid genesis.
struct GenesisState {
  StateTree tree;               // the genesis accounts, version 0, in memory
  v1::ValidatorSet validators;  // epoch 0
  v1::GovernanceState governance;
  v1::Block block;              // height 0, no transactions, no certificate
  Hash block_hash;
};
GenesisState BuildGenesisState(const v1::Genesis& genesis);

// The records every data directory starts with, whether it replays from genesis or
// joined by state sync (state_base.h): the genesis document, block 0, epoch 0's set and
// root, and the store format. Not the genesis hash, which the caller writes last, nor
// the head and the state, which differ.
void AddGenesisRecords(const v1::Genesis& genesis, const GenesisState& state, WriteBatch* batch);
// The format record (keys.h: M) of the directories this build writes, and its number.
Bytes StoreFormatRecord();
uint32_t StoreFormatVersion();

// The certificate the first block of an epoch carries for its parent (the genesis block
// for epoch 0, the last block of the epoch before otherwise): no signatures, round 0.
// Accepted only for that block (consensus::IsEpochStartQc); the parent itself was
// proven final by the certificates of its own epoch.
v1::QuorumCertificate EpochStartCertificate(uint64_t epoch, uint64_t root_height, const Hash& root_hash);
inline v1::QuorumCertificate GenesisCertificate(const Hash& genesis_block_hash) {
  return EpochStartCertificate(0, 0, genesis_block_hash);
}

uint32_t MaxBlockTxs(const v1::Genesis& genesis);
uint64_t MaxBlockBytes(const v1::Genesis& genesis);

}  // namespace cairn::ledger
