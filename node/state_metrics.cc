#include "node/state_metrics.h"

#include <string>

namespace cairn::node {

void AddStateTreeMetrics(MetricsRegistry& registry, const ledger::Ledger& ledger) {
  const ledger::Ledger* l = &ledger;
  auto line = [](std::string* out, const char* name, uint64_t value) {
    *out += std::string(name) + " " + std::to_string(value) + "\n";
  };
  registry.AddCollector("cairn_state_accounts", "gauge", "Accounts in the state at the committed head.",
                        [l, line](std::string* out) { line(out, "cairn_state_accounts", l->account_count()); });
  registry.AddCollector("cairn_state_cache_bytes", "gauge", "Memory the state tree's node cache holds (state_cache_mb bounds it).",
                        [l, line](std::string* out) { line(out, "cairn_state_cache_bytes", l->state_cache_stats().bytes); });
  registry.AddCollector("cairn_state_cache_hits_total", "counter", "State tree node reads the cache answered.",
                        [l, line](std::string* out) { line(out, "cairn_state_cache_hits_total", l->state_cache_stats().hits); });
  registry.AddCollector("cairn_state_cache_misses_total", "counter", "State tree node reads that went to disk.",
                        [l, line](std::string* out) { line(out, "cairn_state_cache_misses_total", l->state_cache_stats().misses); });
}

}  // namespace cairn::node
