#include "node/load/report.h"

#include <algorithm>
#include <cmath>

namespace cairn::load {

double CeilingTps(const BenchFacts& facts) {
  return facts.validators == 0 ? 0 : facts.cores * facts.verify_per_s_one_core / static_cast<double>(facts.validators);
}

double Quantile(std::vector<double>& values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(values.size())));
  return values[std::clamp<size_t>(rank, 1, values.size()) - 1];
}

namespace {

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out + "\"";
}

}  // namespace

void PrintReport(std::FILE* out, const BenchFacts& facts, LoadResult result) {
  const double ceiling = CeilingTps(facts);
  const double offered = facts.seconds > 0 ? result.submitted_in_window / facts.seconds : 0;
  const double committed = facts.seconds > 0 ? result.committed_in_window / facts.seconds : 0;
  const double p50 = Quantile(result.latencies_ms, 0.50);
  const double p99 = Quantile(result.latencies_ms, 0.99);
  const double max_latency = result.latencies_ms.empty() ? 0 : result.latencies_ms.back();
  double rss_max = 0, cpu_total = 0;
  for (const ValidatorUsage& u : result.usage) {
    rss_max = std::max({rss_max, u.rss_mb_max, u.peak_rss_mb});
    cpu_total += u.cpu_seconds;
  }
  const double cpu_percent_of_core = facts.seconds > 0 ? 100.0 * cpu_total / facts.seconds : 0;

  std::fprintf(out, "\n%s, %zu validators, %zu accounts, %u cores, %.0f s measured\n", facts.mode.c_str(),
               facts.validators, facts.accounts, facts.cores, facts.seconds);
  std::fprintf(out, "  %-34s %12.0f\n", "Ed25519 verify/s (one core)", facts.verify_per_s_one_core);
  std::fprintf(out, "  %-34s %12.0f\n", "signature ceiling (tx/s)", ceiling);
  if (facts.mode != "idle") {
    std::fprintf(out, "  %-34s %12.0f\n", "offered (tx/s)", offered);
    std::fprintf(out, "  %-34s %12.0f  (%.2f of the ceiling)\n", "committed (tx/s, from the chain)", committed,
                 ceiling > 0 ? committed / ceiling : 0);
    std::fprintf(out, "  %-34s %9.1f ms\n", "commit latency p50", p50);
    std::fprintf(out, "  %-34s %9.1f ms\n", "commit latency p99", p99);
    std::fprintf(out, "  %-34s %9.1f ms\n", "commit latency max", max_latency);
    std::fprintf(out, "  %-34s %12llu / %llu / %llu\n", "submitted / failed / lost",
                 static_cast<unsigned long long>(result.submitted), static_cast<unsigned long long>(result.failed),
                 static_cast<unsigned long long>(result.lost));
    std::fprintf(out, "  %-34s %12llu / %llu\n", "refused for capacity / unsent at end", static_cast<unsigned long long>(result.refused),
                 static_cast<unsigned long long>(result.unsent));
  }
  std::fprintf(out, "  %-34s %12llu (%llu empty)\n", "blocks in the window",
               static_cast<unsigned long long>(result.blocks_in_window),
               static_cast<unsigned long long>(result.empty_blocks_in_window));
  std::fprintf(out, "  %-34s %9.1f ms\n", "longest wait between blocks", result.longest_commit_gap_ms);
  if (facts.down > 0) {
    std::fprintf(out, "  %-34s %12zu (%s)\n", "validators down", facts.down,
                 facts.down_at_seconds >= 0 ? "killed in the window" : "killed before the warm-up");
  }
  if (facts.down_at_seconds >= 0) {
    std::fprintf(out, "  %-34s %9.1f s after the kill at %.0f s\n", "back within 20% of before", result.recovery_s,
                 facts.down_at_seconds);
  }
  std::fprintf(out, "  %-34s %11.1f%%\n", "validators' CPU (of one core, all)", cpu_percent_of_core);
  for (size_t i = 0; i < result.usage.size(); ++i) {
    std::fprintf(out, "    node%-2zu cpu %7.2f s   rss max %6.1f MB   peak %6.1f MB\n", i, result.usage[i].cpu_seconds,
                 result.usage[i].rss_mb_max, result.usage[i].peak_rss_mb);
  }
  for (const auto& [reason, count] : result.failures) {
    std::fprintf(out, "  refused %llu x %s\n", static_cast<unsigned long long>(count), reason.c_str());
  }
  if (result.ran_out) std::fprintf(out, "  note: every pre-signed transaction was sent before the window ended\n");
  if (!result.error.empty()) std::fprintf(out, "  error: %s\n", result.error.c_str());

  std::string cpu_list;
  for (const ValidatorUsage& u : result.usage) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%.2f", cpu_list.empty() ? "" : ",", u.cpu_seconds);
    cpu_list += buf;
  }
  std::fprintf(out,
               "{\"mode\":%s,\"validators\":%zu,\"accounts\":%zu,\"cores\":%u,\"seconds\":%.0f,\"inflight\":%zu,"
               "\"offered_tps\":%.1f,\"committed_tps\":%.1f,\"latency_ms_p50\":%.1f,\"latency_ms_p99\":%.1f,"
               "\"latency_ms_max\":%.1f,\"verify_per_s_one_core\":%.0f,\"ceiling_tps\":%.1f,\"ratio_to_ceiling\":%.3f,"
               "\"rss_mb_max\":%.1f,\"cpu_s\":[%s],\"cpu_percent_of_one_core\":%.2f,\"blocks\":%llu,"
               "\"empty_blocks\":%llu,\"submitted\":%llu,\"failed\":%llu,\"refused\":%llu,\"unsent\":%llu,\"lost\":%llu,\"chain_height\":%llu,"
               "\"chain_txs\":%llu,\"down\":%zu,\"down_at_s\":%.1f,\"longest_commit_gap_ms\":%.1f,"
               "\"recovery_s\":%.1f,\"error\":%s}\n",
               JsonString(facts.mode).c_str(), facts.validators, facts.accounts, facts.cores, facts.seconds,
               facts.inflight, offered, committed, p50, p99, max_latency, facts.verify_per_s_one_core, ceiling,
               ceiling > 0 ? committed / ceiling : 0, rss_max, cpu_list.c_str(), cpu_percent_of_core,
               static_cast<unsigned long long>(result.blocks_in_window),
               static_cast<unsigned long long>(result.empty_blocks_in_window),
               static_cast<unsigned long long>(result.submitted), static_cast<unsigned long long>(result.failed),
               static_cast<unsigned long long>(result.refused), static_cast<unsigned long long>(result.unsent),
               static_cast<unsigned long long>(result.lost),
               static_cast<unsigned long long>(result.chain_height),
               static_cast<unsigned long long>(result.chain_txs), facts.down, facts.down_at_seconds,
               result.longest_commit_gap_ms, result.recovery_s, JsonString(result.error).c_str());
}

}  // namespace cairn::load
