#include "node/load/proc_stats.h"

#include <sstream>
#include <string>
#include <unistd.h>

#include "ledger/json_file.h"

namespace cairn::load {

namespace {

constexpr size_t kMaxProcFileBytes = 64 << 10;

// "VmRSS:     1234 kB" -> 1234 / 1024.
std::optional<double> StatusFieldMb(const std::string& status, const std::string& field) {
  const size_t at = status.find(field + ":");
  if (at == std::string::npos) return std::nullopt;
  std::istringstream in(status.substr(at + field.size() + 1));
  double kb = 0;
  if (!(in >> kb)) return std::nullopt;
  return kb / 1024.0;
}

}  // namespace

std::optional<ProcessUsage> ReadProcessUsage(pid_t pid) {
  const std::string base = "/proc/" + std::to_string(pid);
  auto stat_text = ledger::ReadSmallFile(base + "/stat", kMaxProcFileBytes);
  auto status = ledger::ReadSmallFile(base + "/status", kMaxProcFileBytes);
  if (!stat_text.ok() || !status.ok()) return std::nullopt;
  const std::string& stat = *stat_text;
  // Fields after the command name, which is in parentheses and may hold spaces:
  // state(3) ... utime(14) stime(15).
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  if (!fields) return std::nullopt;
  auto rss = StatusFieldMb(*status, "VmRSS");
  auto peak = StatusFieldMb(*status, "VmHWM");
  if (!rss || !peak) return std::nullopt;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  return ProcessUsage{.cpu_seconds = (utime + stime) / ticks, .rss_mb = *rss, .peak_rss_mb = *peak};
}

}  // namespace cairn::load
