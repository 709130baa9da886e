#include "node/memory_trim.h"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "node/log.h"
#include "node/proc_stats.h"

namespace cairn::node {

MemoryTrimmer::MemoryTrimmer(std::chrono::milliseconds period, size_t min_free_bytes)
    : period_(period), min_free_bytes_(min_free_bytes), thread_([this] { Run(); }) {}

MemoryTrimmer::~MemoryTrimmer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void MemoryTrimmer::Run() {
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, period_, [&] { return stop_; })) {
    // Memory freed and resident: the allocator holds at least min_free_bytes free, and
    // either more lies free than after the last trim (a burst ended) or the process is
    // larger than after it (a burst reused chunks the last trim left in the allocator's
    // bins, only their pages gone: once freed again they leave the free total where it
    // was, resident all the same). Both by at least min_free_bytes.
    const size_t free_bytes = mallinfo2().fordblks;
    const size_t resident = ResidentBytes();
    const bool freed = free_bytes >= free_after_trim_ + min_free_bytes_;
    const bool grew = resident >= resident_after_trim_ + min_free_bytes_;
    if (free_bytes < min_free_bytes_ || (!freed && !grew)) {
      free_after_trim_ = std::min(free_after_trim_, free_bytes);
      resident_after_trim_ = std::min(resident_after_trim_, resident);
      continue;
    }
    malloc_trim(0);
    free_after_trim_ = mallinfo2().fordblks;
    resident_after_trim_ = ResidentBytes();
    LogInfo("memory", "returned " + std::to_string((resident - std::min(resident, resident_after_trim_)) >> 20) +
                          " MiB of freed memory to the system (" + std::to_string(free_bytes >> 20) +
                          " MiB free in the allocator)");
  }
}

size_t MemoryTrimmer::ResidentBytes() {
  const auto usage = ReadProcessUsage(::getpid());
  return usage ? static_cast<size_t>(usage->rss_mb * (1 << 20)) : 0;
}

}  // namespace cairn::node
