// JSON files read through protobuf's JSON mapping (genesis, node config). Unknown
// fields are errors that name the field, so that a typo in a config is never silently
// ignored.
#pragma once

#include <string>
#include <string_view>

#include <google/protobuf/message.h>

#include "crypto/status.h"

namespace cairn::ledger {

// Bounded so that a wrong path (a disk image, /dev/zero) is an error, not a hang.
constexpr size_t kMaxJsonFileBytes = 16 << 20;

Result<std::string> ReadSmallFile(const std::string& path, size_t max_bytes);
Status ParseJson(std::string_view json, google::protobuf::Message* message);
Status ReadJsonFile(const std::string& path, google::protobuf::Message* message);
// Pretty JSON with the proto field names (snake_case), as people write them.
std::string ToJson(const google::protobuf::Message& message);

}  // namespace cairn::ledger
