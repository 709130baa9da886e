#include "node/load/proc_stats.h"

#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

namespace cairn::load {

namespace {

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
  std::ifstream stat_file(base + "/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
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
  std::ifstream status_file(base + "/status");
  std::string status((std::istreambuf_iterator<char>(status_file)), std::istreambuf_iterator<char>());
  auto rss = StatusFieldMb(status, "VmRSS");
  auto peak = StatusFieldMb(status, "VmHWM");
  if (!rss || !peak) return std::nullopt;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  return ProcessUsage{.cpu_seconds = (utime + stime) / ticks, .rss_mb = *rss, .peak_rss_mb = *peak};
}

}  // namespace cairn::load
