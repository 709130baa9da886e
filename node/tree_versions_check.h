// The state tree versions a node keeps (every version from the oldest it keeps to its
// head) checked record by record, for the audits that cannot replay the chain (a node
// that prunes: node/pruned_audit.h). Each version's tree is re-derived from the version
// before by the leaves it wrote, and its records (nodes, stale list, root) must be
// those, byte for byte; the oldest version's tree is walked whole, every node by the
// hash its parent names, and it must hold no node its tree does not read (older
// versions' leftovers of an interrupted pruning step are allowed, as reads below the
// mark are refused). What this
// leaves to the header chain: that each version's leaves are what executing its block
// writes (that needs the replay), and that the roots are the headers' (the caller's
// `state_root_of`).
#pragma once

#include <cstdint>
#include <functional>

#include "crypto/bytes.h"
#include "crypto/status.h"
#include "ledger/kv_store.h"

namespace cairn::node {

// Versions `oldest` .. `head` of `stored`'s tree. Accounts are never removed (no
// operation does it), so a version's changes are the leaves it wrote. An audit failure
// naming the version and what differs.
Status CheckStoredTreeVersions(const ledger::KvStore& stored, uint64_t oldest, uint64_t head,
                               const std::function<Result<Hash>(uint64_t version)>& state_root_of);

}  // namespace cairn::node
