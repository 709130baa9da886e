// A ledger whose history starts at a base: what a node that joined by state sync
// (node/state_bootstrap.h) writes once its state is restored, so that the ledger opens
// at the base block as if it had committed it, and goes on by block sync from there.
//
// The caller has verified everything passed in (from genesis, by the chain of
// validator sets and the blocks' certificates); Install checks only that the parts fit
// each other: the restored state tree under the base header's state root, the
// governance state under its governance_hash, each block's body under its header,
// each epoch's root block stored. It writes every record in one synced batch with the
// genesis hash last, so a directory is either a complete ledger or still a state sync
// (keys.h: W, Y) that resumes.
//
// What a base ledger holds: the genesis block; the last block of every epoch (the
// epoch changes it serves to the next joining node) with its finality certificate and
// the sets and governance states each epoch started with; the last blocks before the
// base that leader reputation reads; the base block, its certificate and its finality
// certificate; the governance state after it (keys.h: K); the state at the base. Blocks in between, their receipts and
// transaction index, closed proposals and evidence recorded before the base are not
// held (GetBlock says so, naming the base).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "cairn/v1/block.pb.h"
#include "cairn/v1/consensus.pb.h"
#include "cairn/v1/genesis.pb.h"
#include "cairn/v1/governance.pb.h"
#include "crypto/status.h"
#include "ledger/kv_store.h"

namespace cairn::ledger {

struct BaseBlock {
  v1::Block block;
  v1::QuorumCertificate certificate;             // its own
  std::optional<v1::QuorumCertificate> finality;  // one whose commit_hash names it
};

struct StateBase {
  uint64_t height = 0;             // the base block's
  v1::GovernanceState governance;  // after the base block
  // The governance state each epoch 1, 2, ... started with, in order (keys.h: L; its
  // set and root height are e and E).
  std::vector<v1::GovernanceState> epoch_starts;
  std::vector<uint64_t> epoch_roots;  // the height of each such epoch's root, in order
  // The base block (with its finality certificate), every epoch's root, and the blocks
  // before the base that leader reputation reads; any order.
  std::vector<BaseBlock> blocks;
};

// Whether a block's transactions and evidence are the ones its header commits to
// (tx_root, evidence_root): a body can be checked against a header trusted by hash.
Status CheckBlockBody(std::string_view chain_id, const v1::Block& block, const v1::BlockHeader& header);

// Writes `base` into `store`, which holds the restored state tree of version
// base.height (its root record) and no ledger yet. Deletes the state sync's target
// record (keys.h: W). INVALID_ARGUMENT when the parts do not fit, naming which.
Status InstallStateBase(KvStore& store, const v1::Genesis& genesis, const StateBase& base);

// The base of a ledger that joined by state sync; nullopt for one that holds every
// block from genesis.
Result<std::optional<uint64_t>> ReadBase(const KvStore& store);

}  // namespace cairn::ledger
