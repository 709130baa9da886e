#include "node/process_metrics.h"

#include <unistd.h>

#include <functional>
#include <optional>

#include "node/metrics.h"
#include "node/proc_stats.h"

namespace cairn::node {

namespace {

constexpr double kMb = 1024.0 * 1024.0;

// One sample line "name value", or none when /proc cannot be read (the family then has
// no sample in this scrape, which Prometheus reads as absent rather than zero).
template <typename Reading, typename Read>
std::function<void(std::string*)> Sample(const char* name, Read read, std::function<double(const Reading&)> pick) {
  return [name, read, pick](std::string* out) {
    const std::optional<Reading> reading = read(getpid());
    if (reading) *out += std::string(name) + " " + FormatDouble(pick(*reading)) + "\n";
  };
}

}  // namespace

void AddProcessMetrics(MetricsRegistry& registry) {
  auto usage = [](pid_t pid) { return ReadProcessUsage(pid); };
  auto fds = [](pid_t pid) { return ReadFileDescriptors(pid); };
  registry.AddCollector("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
                        Sample<ProcessUsage>("process_cpu_seconds_total", usage, [](const ProcessUsage& u) { return u.cpu_seconds; }));
  registry.AddCollector("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
                        Sample<ProcessUsage>("process_resident_memory_bytes", usage,
                                             [](const ProcessUsage& u) { return u.rss_mb * kMb; }));
  registry.AddCollector("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
                        Sample<ProcessUsage>("process_virtual_memory_bytes", usage,
                                             [](const ProcessUsage& u) { return u.virtual_mb * kMb; }));
  registry.AddCollector("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
                        Sample<ProcessUsage>("process_start_time_seconds", usage,
                                             [](const ProcessUsage& u) { return u.start_time_seconds; }));
  registry.AddCollector("process_open_fds", "gauge", "Number of open file descriptors.",
                        Sample<FileDescriptors>("process_open_fds", fds,
                                                [](const FileDescriptors& f) { return static_cast<double>(f.open); }));
  registry.AddCollector("process_max_fds", "gauge", "Maximum number of open file descriptors.",
                        Sample<FileDescriptors>("process_max_fds", fds,
                                                [](const FileDescriptors& f) { return static_cast<double>(f.max); }));
}

}  // namespace cairn::node
