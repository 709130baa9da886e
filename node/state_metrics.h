// Metrics of the on-disk state tree: its node cache (is the budget big enough?) and how
// many accounts the state holds; and state sync served to peers.
#pragma once

#include "ledger/ledger.h"
#include "node/metrics.h"
#include "node/state_server.h"

namespace cairn::node {

// `ledger` must outlive `registry`'s scrapes.
void AddStateTreeMetrics(MetricsRegistry& registry, const ledger::Ledger& ledger);
// What this node served to peers that state-sync; `server` must outlive the scrapes.
void AddStateServingMetrics(MetricsRegistry& registry, const StateServer& server);

}  // namespace cairn::node
