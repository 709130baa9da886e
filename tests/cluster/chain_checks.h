// The invariants a fault run ends with, checked only through the API and the audit
// tool, as an outside observer would: no two nodes' chains differ at any height both
// hold, every transaction the API acknowledged as committed is in every node's ledger,
// and every node's data passes `cairn audit`.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/cluster/cluster.h"

namespace cairn::cluster {

// The highest committed height any validator reports (0 when none answers).
uint64_t MaxHeight(Cluster& cluster);

struct ChainComparison {
  uint64_t heights = 0;  // heights compared on every node
  uint64_t forks = 0;    // heights where two nodes hold different blocks
  std::string first;     // the first disagreement, for the failure message
  // Along node 0's chain: blocks stamped earlier than their parent, and the furthest
  // any block was stamped ahead of this machine's clock when it was read.
  uint64_t timestamp_regressions = 0;
  int64_t max_ahead_ms = 0;
};
// Compares the block hashes of heights 1..`height` on every validator (a node that
// cannot serve a height counts as a disagreement) and reads node 0's block times.
ChainComparison CompareChains(Cluster& cluster, uint64_t height);

// How many of `tx_hashes` node `i` does not report as COMMITTED.
size_t CountMissing(Cluster& cluster, int i, const std::vector<std::string>& tx_hashes);

// Node i's height grows by `blocks` within `limit`.
bool Advances(Cluster& cluster, uint64_t blocks, std::chrono::seconds limit, int i = 0);
// Read-your-writes across nodes: of the (hash, receipt) pairs a node acknowledged, how
// many node i does not hold committed with that same receipt.
size_t CountNotAsAcknowledged(Cluster& cluster, int i, const std::vector<std::pair<std::string, std::string>>& acknowledged);

// How many of the validators' logs hold any validator's private key material (the PEM
// body of its key file, or the 32-byte seed in hex): must be none.
int LogsWithKeyMaterial(Cluster& cluster);

// Runs `cairn audit` on node i's data directory (the node must be stopped); true when
// the audit passes. Its output goes to DIR/audit-nodeI.log.
bool AuditPasses(Cluster& cluster, int i);

}  // namespace cairn::cluster
