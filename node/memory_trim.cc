#include "node/memory_trim.h"

#include <malloc.h>

#include <algorithm>
#include <string>

#include "node/log.h"

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
    // Free chunks stay in the allocator's bins after a trim (only their pages go), so
    // what counts is how much more lies free than at the last trim.
    const size_t free_bytes = mallinfo2().fordblks;
    if (free_bytes < trimmed_at_ + min_free_bytes_) {
      trimmed_at_ = std::min(trimmed_at_, free_bytes);
      continue;
    }
    malloc_trim(0);
    LogInfo("memory", "returned the pages of up to " + std::to_string((free_bytes - trimmed_at_) >> 20) +
                          " MiB of freed memory to the system");
    trimmed_at_ = free_bytes;
  }
}

}  // namespace cairn::node
