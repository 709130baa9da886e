#include "node/state_metrics.h"

#include <string>

namespace cairn::node {

namespace {

void Line(std::string* out, const char* name, uint64_t value) { *out += std::string(name) + " " + std::to_string(value) + "\n"; }

// One sample per peer, labelled with the start of its key.
void PerPeer(std::string* out, const char* name, const std::map<std::string, uint64_t>& values) {
  for (const auto& [peer, value] : values) {
    *out += std::string(name) + "{peer=\"" + peer.substr(0, 16) + "\"} " + std::to_string(value) + "\n";
  }
}

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

void AddStateSyncMetrics(MetricsRegistry& registry, const StateBootstrap& bootstrap) {
  const StateBootstrap* b = &bootstrap;
  registry.AddCollector("cairn_state_sync_phase", "gauge",
                        "The phase of the state sync this node runs to join (1 for the current one).",
                        [b](std::string* out) { *out += "cairn_state_sync_phase{phase=\"" + b->Progress().phase + "\"} 1\n"; });
  registry.AddCollector("cairn_state_sync_target_height", "gauge", "The block whose state it restores (0 before it is chosen).",
                        [b](std::string* out) { Line(out, "cairn_state_sync_target_height", b->Progress().height); });
  registry.AddCollector("cairn_state_sync_accounts_fetched", "gauge", "Accounts of the target state stored by this run.",
                        [b](std::string* out) { Line(out, "cairn_state_sync_accounts_fetched", b->Progress().leaves_fetched); });
  registry.AddCollector("cairn_state_sync_bad_answers_total", "counter",
                        "Answers that failed their proof (the peer is not asked again).",
                        [b](std::string* out) { Line(out, "cairn_state_sync_bad_answers_total", b->Progress().lies); });
  registry.AddCollector("cairn_state_sync_bytes_total", "counter", "Bytes of state chunks taken, by peer.",
                        [b](std::string* out) { PerPeer(out, "cairn_state_sync_bytes_total", b->Progress().bytes_by_peer); });
  registry.AddCollector("cairn_state_sync_chunks_total", "counter", "State chunks taken, by peer.",
                        [b](std::string* out) { PerPeer(out, "cairn_state_sync_chunks_total", b->Progress().chunks_by_peer); });
}

void AddRetentionMetrics(MetricsRegistry& registry, const Pruner& pruner) {
  const Pruner* p = &pruner;
  registry.AddCollector("cairn_retained_from_height", "gauge",
                        "The earliest height whose body, receipts and indexes this node holds.",
                        [p](std::string* out) { Line(out, "cairn_retained_from_height", p->Report().retained_from()); });
  registry.AddCollector("cairn_oldest_state_version", "gauge", "The oldest version of the state tree this node holds.",
                        [p](std::string* out) { Line(out, "cairn_oldest_state_version", p->Report().oldest_state_version()); });
  registry.AddCollector("cairn_prune_point_height", "gauge",
                        "Where retention prunes to: the lowest of its terms (cairn_prune_term_height).",
                        [p](std::string* out) { Line(out, "cairn_prune_point_height", p->Report().prune_point()); });
  registry.AddCollector("cairn_prune_term_height", "gauge",
                        "Each term of the prune point: the window alone, and the state sync floor while a joining node "
                        "may restore a state this node offered.",
                        [p](std::string* out) {
                          const v1::RetentionStatus r = p->Report();
                          *out += "cairn_prune_term_height{term=\"window\"} " + std::to_string(r.window_below()) + "\n";
                          if (r.has_state_sync_floor()) {
                            *out += "cairn_prune_term_height{term=\"state_sync\"} " + std::to_string(r.state_sync_floor()) + "\n";
                          }
                        });
}

}  // namespace cairn::node
