#include "node/cli/json_output.h"

#include <cstdio>
#include <ctime>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>

#include "crypto/bytes.h"

namespace cairn::cli {

namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr uint64_t kMaxExactInteger = uint64_t{1} << 53;

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// A point in time by the naming rule of our protos; durations (`*_timeout_ms`,
// `*_interval_ms`) stay numbers.
bool IsTimePoint(const FieldDescriptor& field) {
  return field.cpp_type() == FieldDescriptor::CPPTYPE_UINT64 &&
         (field.name() == "timestamp_ms" || EndsWith(field.name(), "_time_ms"));
}

Json SignedInteger(int64_t value) {
  const bool exact = value <= static_cast<int64_t>(kMaxExactInteger) && value >= -static_cast<int64_t>(kMaxExactInteger);
  return exact ? Json(value) : Json(std::to_string(value));
}

// One value of `field`; `index` < 0 for a singular field.
Json FieldValue(const Message& message, const FieldDescriptor& field, int index) {
  const Reflection& r = *message.GetReflection();
  const bool repeated = index >= 0;
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32: return repeated ? r.GetRepeatedInt32(message, &field, index) : r.GetInt32(message, &field);
    case FieldDescriptor::CPPTYPE_UINT32: return repeated ? r.GetRepeatedUInt32(message, &field, index) : r.GetUInt32(message, &field);
    case FieldDescriptor::CPPTYPE_INT64:
      return SignedInteger(repeated ? r.GetRepeatedInt64(message, &field, index) : r.GetInt64(message, &field));
    case FieldDescriptor::CPPTYPE_UINT64: {
      const uint64_t value = repeated ? r.GetRepeatedUInt64(message, &field, index) : r.GetUInt64(message, &field);
      return IsTimePoint(field) ? Json(Rfc3339(value)) : Integer(value);
    }
    case FieldDescriptor::CPPTYPE_DOUBLE: return repeated ? r.GetRepeatedDouble(message, &field, index) : r.GetDouble(message, &field);
    case FieldDescriptor::CPPTYPE_FLOAT: return repeated ? r.GetRepeatedFloat(message, &field, index) : r.GetFloat(message, &field);
    case FieldDescriptor::CPPTYPE_BOOL: return repeated ? r.GetRepeatedBool(message, &field, index) : r.GetBool(message, &field);
    case FieldDescriptor::CPPTYPE_ENUM: {
      const int number = repeated ? r.GetRepeatedEnumValue(message, &field, index) : r.GetEnumValue(message, &field);
      const auto* value = field.enum_type()->FindValueByNumber(number);
      return value ? Json(value->name()) : Json(number);
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string text = repeated ? r.GetRepeatedString(message, &field, index) : r.GetString(message, &field);
      return field.type() == FieldDescriptor::TYPE_BYTES ? Json(ToHex(text)) : Json(std::move(text));
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return MessageJson(repeated ? r.GetRepeatedMessage(message, &field, index) : r.GetMessage(message, &field));
  }
  return nullptr;
}

}  // namespace

Json Integer(uint64_t value) { return value <= kMaxExactInteger ? Json(value) : Json(std::to_string(value)); }

std::string Rfc3339(uint64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];
  const size_t n = std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + n, sizeof(text) - n, ".%03lluZ", static_cast<unsigned long long>(unix_ms % 1000));
  return text;
}

Json MessageJson(const Message& message) {
  Json json = Json::object();
  const auto& descriptor = *message.GetDescriptor();
  const Reflection& r = *message.GetReflection();
  for (int i = 0; i < descriptor.field_count(); ++i) {
    const FieldDescriptor& field = *descriptor.field(i);
    // A oneof member that is not set is left out: only the chosen case is meaningful.
    if (field.containing_oneof() != nullptr && !r.HasField(message, &field)) continue;
    std::string name = field.name();
    if (IsTimePoint(field)) name.resize(name.size() - 3);  // "_ms": the value is a time, not a count
    if (field.is_repeated()) {
      Json values = Json::array();
      for (int j = 0; j < r.FieldSize(message, &field); ++j) values.push_back(FieldValue(message, field, j));
      json[name] = std::move(values);
    } else if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !r.HasField(message, &field)) {
      json[name] = nullptr;
    } else {
      json[name] = FieldValue(message, field, -1);
    }
  }
  return json;
}

void PrintJson(const Json& json) {
  const std::string text = json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::printf("%s\n", text.c_str());
  std::fflush(stdout);
}

}  // namespace cairn::cli
