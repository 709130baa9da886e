// Seeds for randomised tests: CAIRN_TEST_SEED replays a run; otherwise a fresh seed.
// Either way the seed is printed, so a failure can be replayed exactly.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>

namespace cairn::test {

inline uint64_t TestSeed(const char* test_name) {
  uint64_t seed;
  if (const char* fixed = std::getenv("CAIRN_TEST_SEED")) {
    seed = std::strtoull(fixed, nullptr, 10);
  } else {
    seed = (static_cast<uint64_t>(std::random_device{}()) << 32) | std::random_device{}();
  }
  std::printf("%s: seed %llu (replay with CAIRN_TEST_SEED=%llu)\n", test_name,
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
  std::fflush(stdout);
  return seed;
}

}  // namespace cairn::test
