// The node's log: one line per event, "2026-11-27T09:00:00.123Z INFO  consensus: ...",
// to stderr. Thread-safe; lines below the level are not formatted at all.
#pragma once

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

}  // namespace cairn::node
