// Metrics of the on-disk state tree: its node cache (is the budget big enough?) and how
// many accounts the state holds; state sync served to peers, and the one a joining node
// runs; retention (what the node keeps, and why no less).
#pragma once

#include "ledger/ledger.h"
#include "node/metrics.h"
#include "node/pruner.h"
#include "node/state_bootstrap.h"
#include "node/state_server.h"

namespace cairn::node {

// `ledger` must outlive `registry`'s scrapes.
void AddStateTreeMetrics(MetricsRegistry& registry, const ledger::Ledger& ledger);
// What this node served to peers that state-sync; `server` must outlive the scrapes.
void AddStateServingMetrics(MetricsRegistry& registry, const StateServer& server);
// A state sync this node runs to join (its phase, progress and what each peer gave);
// `bootstrap` must outlive the scrapes.
void AddStateSyncMetrics(MetricsRegistry& registry, const StateBootstrap& bootstrap);
// Retention: the earliest height whose body the node holds, the oldest state version,
// and the prune point's terms; `pruner` must outlive the scrapes.
void AddRetentionMetrics(MetricsRegistry& registry, const Pruner& pruner);

}  // namespace cairn::node
