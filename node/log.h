// The node's log: one line per event, "2026-11-27T09:00:00.123Z INFO  consensus: ...",
// to stderr. Thread-safe; lines below the level are not formatted at all.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/status.h"

namespace cairn::node {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

// "debug", "info", "warn" or "error".
Result<LogLevel> ParseLogLevel(std::string_view name);
void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);
void Log(LogLevel level, std::string_view component, std::string_view message);

inline void LogInfo(std::string_view component, std::string_view message) { Log(LogLevel::kInfo, component, message); }
inline void LogWarn(std::string_view component, std::string_view message) { Log(LogLevel::kWarn, component, message); }
inline void LogError(std::string_view component, std::string_view message) { Log(LogLevel::kError, component, message); }

// At most one report per `interval`, for a failure that repeats every round (a token
// that is down): Note runs `report` with how many it held back since the last report.
class LogThrottle {
 public:
  explicit LogThrottle(std::chrono::steady_clock::duration interval) : interval_(interval) {}
  template <typename Report>
  void Note(std::chrono::steady_clock::time_point now, Report&& report) {
    if (reported_ && now - last_ < interval_) {
      ++held_;
      return;
    }
    report(held_);
    held_ = 0;
    last_ = now;
    reported_ = true;
  }

 private:
  const std::chrono::steady_clock::duration interval_;
  std::chrono::steady_clock::time_point last_{};
  bool reported_ = false;
  uint64_t held_ = 0;
};

}  // namespace cairn::node
