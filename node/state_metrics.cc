#include "node/state_metrics.h"

#include <string>

namespace cairn::node {

namespace {

void Line(std::string* out, const char* name, uint64_t value) { *out += std::string(name) + " " + std::to_string(value) + "\n"; }

}  // namespace

void AddStateTreeMetrics(MetricsRegistry& registry, const ledger::Ledger& ledger) {
  const ledger::Ledger* l = &ledger;
  registry.AddCollector("cairn_state_accounts", "gauge", "Accounts in the state at the committed head.",
                        [l](std::string* out) { Line(out, "cairn_state_accounts", l->account_count()); });
  registry.AddCollector("cairn_state_cache_bytes", "gauge", "Memory the state tree's node cache holds (state_cache_mb bounds it).",
                        [l](std::string* out) { Line(out, "cairn_state_cache_bytes", l->state_cache_stats().bytes); });
  registry.AddCollector("cairn_state_cache_hits_total", "counter", "State tree node reads the cache answered.",
                        [l](std::string* out) { Line(out, "cairn_state_cache_hits_total", l->state_cache_stats().hits); });
  registry.AddCollector("cairn_state_cache_misses_total", "counter", "State tree node reads that went to disk.",
                        [l](std::string* out) { Line(out, "cairn_state_cache_misses_total", l->state_cache_stats().misses); });
}

void AddStateServingMetrics(MetricsRegistry& registry, const StateServer& server) {
  const StateServer* s = &server;
  registry.AddCollector("cairn_state_chunks_served_total", "counter", "State sync chunks this node answered for peers.",
                        [s](std::string* out) { Line(out, "cairn_state_chunks_served_total", s->stats().served); });
  registry.AddCollector("cairn_state_chunks_refused_total", "counter",
                        "State sync requests answered with an error (busy, or a version not held).",
                        [s](std::string* out) { Line(out, "cairn_state_chunks_refused_total", s->stats().refused); });
  registry.AddCollector("cairn_state_served_bytes_total", "counter", "Bytes of state sync chunks sent to peers.",
                        [s](std::string* out) { Line(out, "cairn_state_served_bytes_total", s->stats().bytes_out); });
}

}  // namespace cairn::node
