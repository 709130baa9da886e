// Checks of a data directory's parts that the audits of a ledger that does not hold the
// whole chain share (node/base_audit.h: joined by state sync; node/pruned_audit.h:
// pruned): each reads the node's records, trusts none, and answers an audit failure
// (ledger::AuditFailure) naming the height and the check.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/v1/genesis.pb.h"
#include "cairn/v1/p2p.pb.h"
#include "crypto/status.h"
#include "crypto/verifier.h"
#include "ledger/kv_store.h"
#include "node/epoch_chain.h"

namespace cairn::node {

// A block as stored: the block record and its certificate.
Result<v1::CertifiedBlock> ReadCertifiedBlock(const ledger::KvStore& store, uint64_t height);

// An epoch change as the node stores it, proven.
struct StoredEpochChange {
  uint64_t root = 0;  // the height of the last block of the epoch before
  v1::CertifiedBlock block;
  v1::QuorumCertificate finality;
  v1::GovernanceState governance;  // the state the epoch starts with
};

// Epochs 1 .. `last` from the node's records (keys.h E, b, c, F, L), each change proven
// by the set before it, from genesis's; and the node's stored set of each (e) must be
// the one its change proves. `epochs` gets genesis's epoch and each proven one, in
// order; `changes` (if given) what proved them. `audit_height` names the failure of a
// change the node does not record.
Status ProveStoredEpochs(const v1::Genesis& genesis, const ledger::KvStore& stored, uint64_t last,
                         uint64_t audit_height, crypto::SignatureVerifier& verifier, std::vector<TrustedEpoch>* epochs,
                         std::vector<StoredEpochChange>* changes);

// The heights of the blocks a ledger that joined by state sync holds below its `base`,
// other than genesis's and `roots` (the epochs' last blocks): the run leader reputation
// reads, as the caller checks it. In height order; an audit failure for a damaged key.
Result<std::vector<uint64_t>> BlocksHeldBelowBase(const ledger::KvStore& stored, uint64_t base,
                                                  const std::set<uint64_t>& roots);

// Block `height` (`block`, as stored or archived) as the header chain checks it: its
// header at that height and chained to `parent` (not checked when null: the first block
// of a range), certified by a quorum of its epoch's proven set (`epochs`, from genesis's
// on), with a valid parent certificate, and the body it holds the one its header commits
// to (a body without its transactions, pruned, is not checked). Returns its hash and
// fills `header`; an audit failure names the check.
// `pruned_parent_certificate`: for a block below a node's pruning mark, its parent's own
// certificate, checked already. Pruning drops the signatures of such a block's parent
// certificate (they repeat that one's); without them, it must certify what the parent's
// does, in the same round and epoch.
Result<Hash> CheckChainedBlock(std::string_view chain_id, const std::vector<TrustedEpoch>& epochs,
                               const v1::CertifiedBlock& block, uint64_t height, const Hash* parent,
                               crypto::SignatureVerifier& verifier, v1::BlockHeader* header,
                               const v1::QuorumCertificate* pruned_parent_certificate = nullptr);

// The node's stored state tree of `version`, served chunk by chunk into a StateRestore
// on `restored` under `root` (what the node's header says): every node and leaf is
// checked as a peer's chunk is. Returns the accounts restored; a failure names `check`.
Result<uint64_t> RestoreStoredState(const ledger::KvStore& stored, uint64_t version, const Hash& root,
                                    ledger::KvStore& restored, const std::string& check);

}  // namespace cairn::node
