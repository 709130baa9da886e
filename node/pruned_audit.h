// The audit of a node's data directory when the node prunes (node/pruner.h): it holds
// every block's header and certificates, but bodies, receipts and indexes only from its
// retained range on, so a replay from genesis cannot run. Checked from the genesis file
// alone:
//  - the epoch changes from genesis, and the stored sets (as for a base ledger:
//    node/audit_parts.h);
//  - the header chain from genesis to the head: each header the parent of the next,
//    certified by a quorum of its epoch's proven set, with a valid parent certificate;
//    the head proven final when the node holds the certificate that says so;
//  - every body the node holds (the retained range, and epochs' last blocks): the one
//    its header commits to; in the retained range, the receipts the header's receipts
//    root names and each transaction's index entry pointing at it;
//  - the state at the head: the stored tree, node by node, under the head header's state
//    root (as state sync restores it).
// Not checked, and the report says so (AuditReport::retained_from): the bodies the node
// pruned, and that each state follows from executing the blocks (a replay needs the state
// and governance before the retained range, which a pruning node does not keep). Those
// rest on the quorums that certified the headers; an auditor who needs the replay audits
// an archive node or an export.
#pragma once

#include "cairn/v1/genesis.pb.h"
#include "crypto/status.h"
#include "ledger/audit.h"
#include "ledger/kv_store.h"

namespace cairn::node {

// Audits `stored`, a ledger that pruned (keys.h P). CORRUPTION "height H: <check>:
// detail" for the first failure; FAILED_PRECONDITION for one that did not prune.
// A ledger that also joined by state sync is checked from its base: the epoch changes
// from genesis, the blocks it holds below the base (the epochs' last blocks, and the run
// leader reputation reads, chained to the base), then header by header from there as
// above; the state at the base is not checked (its version may be pruned), the state at
// the head is.
Result<ledger::AuditReport> AuditPrunedLedger(const v1::Genesis& genesis, const ledger::KvStore& stored);

}  // namespace cairn::node
