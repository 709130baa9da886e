// What a process has used, read from /proc (Linux): the load generator samples each
// validator's CPU time and memory while it measures, and a node exports its own as the
// standard process_* metrics.
#pragma once

#include <cstdint>
#include <optional>
#include <sys/types.h>

namespace cairn::node {

struct ProcessUsage {
  double cpu_seconds = 0;         // user + system since the process started
  double rss_mb = 0;              // resident now
  double peak_rss_mb = 0;         // the highest resident size so far (VmHWM)
  double virtual_mb = 0;          // the address space
  double start_time_seconds = 0;  // when it started, since the Unix epoch
};

// Nothing when the process is gone or /proc cannot be read.
std::optional<ProcessUsage> ReadProcessUsage(pid_t pid);

struct FileDescriptors {
  uint64_t open = 0;
  uint64_t max = 0;  // the soft limit (RLIMIT_NOFILE)
};

std::optional<FileDescriptors> ReadFileDescriptors(pid_t pid);

}  // namespace cairn::node
