#include "node/proc_stats.h"

#include <filesystem>
#include <sstream>
#include <string>
#include <unistd.h>

#include "ledger/json_file.h"

namespace cairn::node {

namespace {

constexpr size_t kMaxProcFileBytes = 64 << 10;

// The number after "name" in a /proc text file ("VmRSS:     1234 kB", "btime 1700000000").
std::optional<double> NumberAfter(const std::string& text, const std::string& name) {
  const size_t at = text.find(name);
  if (at == std::string::npos) return std::nullopt;
  std::istringstream in(text.substr(at + name.size()));
  double value = 0;
  if (!(in >> value)) return std::nullopt;
  return value;
}

// When the machine booted, since the Unix epoch: /proc/<pid>/stat counts from there.
std::optional<double> BootTime() {
  auto stat = ledger::ReadSmallFile("/proc/stat", kMaxProcFileBytes);
  if (!stat.ok()) return std::nullopt;
  return NumberAfter(*stat, "\nbtime ");
}

}  // namespace

std::optional<ProcessUsage> ReadProcessUsage(pid_t pid) {
  const std::string base = "/proc/" + std::to_string(pid);
  auto stat_text = ledger::ReadSmallFile(base + "/stat", kMaxProcFileBytes);
  auto status = ledger::ReadSmallFile(base + "/status", kMaxProcFileBytes);
  if (!stat_text.ok() || !status.ok()) return std::nullopt;
  const std::string& stat = *stat_text;
  // Fields after the command name, which is in parentheses and may hold spaces:
  // state(3) ... utime(14) stime(15) ... starttime(22) vsize(23), proc(5).
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0, start_ticks = 0, vsize = 0;
  for (int i = 3; i <= 23 && fields >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
    if (i == 22) start_ticks = std::stod(field);
    if (i == 23) vsize = std::stod(field);
  }
  if (!fields) return std::nullopt;
  auto rss_kb = NumberAfter(*status, "VmRSS:");
  auto peak_kb = NumberAfter(*status, "VmHWM:");
  auto boot = BootTime();
  if (!rss_kb || !peak_kb || !boot) return std::nullopt;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  return ProcessUsage{.cpu_seconds = (utime + stime) / ticks,
                      .rss_mb = *rss_kb / 1024.0,
                      .peak_rss_mb = *peak_kb / 1024.0,
                      .virtual_mb = vsize / (1024.0 * 1024.0),
                      .start_time_seconds = *boot + start_ticks / ticks};
}

std::optional<FileDescriptors> ReadFileDescriptors(pid_t pid) {
  const std::string base = "/proc/" + std::to_string(pid);
  std::error_code ec;
  FileDescriptors fds;
  for (std::filesystem::directory_iterator it(base + "/fd", ec), end; !ec && it != end; it.increment(ec)) ++fds.open;
  if (ec) return std::nullopt;
  auto limits = ledger::ReadSmallFile(base + "/limits", kMaxProcFileBytes);
  if (!limits.ok()) return std::nullopt;
  auto max = NumberAfter(*limits, "Max open files");
  if (!max) return std::nullopt;
  fds.max = static_cast<uint64_t>(*max);
  return fds;
}

}  // namespace cairn::node
