// Gives memory the process freed back to the operating system. A burst on the client
// port (tens of thousands of HTTP/2 streams opened and reset: gRPC 1.51 queues each
// one's call state until a server thread takes it) takes hundreds of MiB that glibc
// frees into its per-thread arenas and keeps; each later burst lands in other arenas, so
// without this the resident size ratchets up burst after burst (measured: 55 MiB to
// 1.2 GiB over four bursts of 40,000 resets; with it, back to 44 MiB).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace cairn::node {

class MemoryTrimmer {
 public:
  // Every `period`, trims when the arenas hold at least `min_free_bytes` free and either
  // the free total or the resident size has grown by as much since the last trim: a
  // trim walks every arena under its lock, which a steady node should not pay for.
  MemoryTrimmer(std::chrono::milliseconds period, size_t min_free_bytes);
  ~MemoryTrimmer();
  MemoryTrimmer(const MemoryTrimmer&) = delete;
  MemoryTrimmer& operator=(const MemoryTrimmer&) = delete;

 private:
  void Run();
  static size_t ResidentBytes();

  const std::chrono::milliseconds period_;
  const size_t min_free_bytes_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;  // guarded by mu_
  // After the last trim (or the lowest since): the allocator's free bytes and the
  // resident size. Run only.
  size_t free_after_trim_ = 0;
  size_t resident_after_trim_ = 0;
  std::thread thread_;
};

}  // namespace cairn::node
