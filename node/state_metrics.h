// Metrics of the on-disk state tree: its node cache (is the budget big enough?) and how
// many accounts the state holds.
#pragma once

#include "ledger/ledger.h"
#include "node/metrics.h"

namespace cairn::node {

// `ledger` must outlive `registry`'s scrapes.
void AddStateTreeMetrics(MetricsRegistry& registry, const ledger::Ledger& ledger);

}  // namespace cairn::node
