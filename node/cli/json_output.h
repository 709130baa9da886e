// The CLI's one JSON convention, for every `--json` output (README, "Machine-readable
// output"): built with nlohmann::json, so strings are always escaped; keys, hashes,
// addresses and signatures in lowercase hex; heights, nonces, counts and amounts as
// numbers, except integers above 2^53 (beyond what a JSON reader's double holds exactly)
// as decimal strings; enums by name; points in time (`timestamp_ms`, `*_time_ms`) as
// RFC 3339 UTC strings under the name without `_ms`. One object per line.
#pragma once

#include <cstdint>
#include <string>

#include <google/protobuf/message.h>
#include <nlohmann/json.hpp>

namespace cairn::cli {

using Json = nlohmann::ordered_json;

// A number when a double holds it exactly (<= 2^53), else its decimal string.
Json Integer(uint64_t value);
// Milliseconds since the Unix epoch as RFC 3339 UTC: 2026-12-02T13:46:02.123Z.
std::string Rfc3339(uint64_t unix_ms);
// A protobuf message under the convention above, every field present (zero values too),
// proto field names.
Json MessageJson(const google::protobuf::Message& message);
// One line on stdout; bytes that are not UTF-8 are replaced, never a broken document.
void PrintJson(const Json& json);

}  // namespace cairn::cli
