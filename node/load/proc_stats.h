// What a process has used, read from /proc (Linux): the load generator samples each
// validator's CPU time and memory while it measures.
#pragma once

#include <optional>
#include <sys/types.h>

namespace cairn::load {

struct ProcessUsage {
  double cpu_seconds = 0;  // user + system since the process started
  double rss_mb = 0;       // resident now
  double peak_rss_mb = 0;  // the highest resident size so far (VmHWM)
};

// Nothing when the process is gone or /proc cannot be read.
std::optional<ProcessUsage> ReadProcessUsage(pid_t pid);

}  // namespace cairn::load
