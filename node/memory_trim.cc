#include "node/memory_trim.h"

#include <malloc.h>

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
    const size_t free_bytes = mallinfo2().fordblks;
    if (free_bytes < min_free_bytes_) continue;
    malloc_trim(0);
    LogInfo("memory", "returned the pages of " + std::to_string(free_bytes >> 20) +
                          " MiB of freed memory to the system");
  }
}

}  // namespace cairn::node
