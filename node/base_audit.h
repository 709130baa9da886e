// The audit of a node's data directory when the node joined by state sync
// (ledger/state_base.h): it holds no history below its base, so a replay from genesis
// cannot run, but everything it holds is still checked from the genesis file alone:
//  - the epoch changes from genesis to the base's epoch: each epoch's root block, its
//    certificate and finality certificate by the set before, and the governance state
//    (so the set) the epoch starts with the one that root's header commits to; the
//    stored sets must be those;
//  - the base block: certified and proven final by its epoch's set, its body and the
//    governance state after it the ones its header commits to (as a joining node
//    checks a target: node/state_target.h);
//  - the blocks it holds below the base for leader reputation: chained by hash to the
//    base, certified, parent certificates valid; any other block there is an error;
//  - the state at the base: the stored tree of that version is restored chunk by chunk
//    into a fresh store exactly as state sync restores it from peers, so every node and
//    leaf is checked against the base header's state root;
//  - then every block above the base is replayed on a ledger built from those checked
//    parts alone, and the node's records compared with the replay (ledger/audit.h).
// What it cannot check is what the node does not hold: the blocks below the base, their
// transactions and receipts, and that the state at the base is what executing them
// gives. That rests on the quorum of the base's epoch that certified its header (at most
// f of 3f+1 faulty); an auditor who needs more audits a node holding the whole chain.
#pragma once

#include "cairn/v1/genesis.pb.h"
#include "crypto/status.h"
#include "ledger/audit.h"
#include "ledger/kv_store.h"

namespace cairn::node {

// Audits `stored`, a base ledger. CORRUPTION "height H: <check>: detail" for the first
// failure; FAILED_PRECONDITION for a ledger that is not a base ledger.
Result<ledger::AuditReport> AuditBaseLedger(const v1::Genesis& genesis, const ledger::KvStore& stored);

// A node's data directory, as `cairn audit --data` audits it: from genesis, from its
// base when it joined by state sync, or header by header when it prunes
// (node/pruned_audit.h).
Result<ledger::AuditReport> AuditDataDirectory(const v1::Genesis& genesis, const ledger::KvStore& stored);

}  // namespace cairn::node
