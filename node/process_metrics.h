// The standard process_* metrics every Prometheus client library exports (CPU seconds,
// resident and virtual memory, open and maximum file descriptors, start time), read
// from /proc/self at scrape time, so that the usual dashboards and alerts work on a node.
#pragma once

#include "node/metrics.h"

namespace cairn::node {

void AddProcessMetrics(MetricsRegistry& registry);

}  // namespace cairn::node
