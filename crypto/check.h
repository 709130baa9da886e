// CAIRN_CHECK: an invariant that stays on in Release builds. A failed check is a
// programmer error and stops the process; bad input must never reach one (it gets a
// Status instead).
#pragma once

namespace cairn::internal {
[[noreturn]] void CheckFailed(const char* file, int line, const char* condition);
}

#define CAIRN_CHECK(condition)                                                       \
  do {                                                                               \
    if (!(condition)) ::cairn::internal::CheckFailed(__FILE__, __LINE__, #condition); \
  } while (0)
