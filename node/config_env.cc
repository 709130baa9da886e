#include "node/config_env.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <memory>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>

namespace cairn::node {

namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

std::string Upper(const std::string& name) {
  std::string out;
  for (char c : name) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Calls `visit(variable, message, field)` for each settable field under `prefix`.
template <typename Visit>
Status ForEachField(Message* message, const std::string& prefix, const Visit& visit) {
  const Descriptor& descriptor = *message->GetDescriptor();
  for (int i = 0; i < descriptor.field_count(); ++i) {
    const FieldDescriptor& field = *descriptor.field(i);
    if (field.is_repeated()) continue;
    const std::string variable = prefix + Upper(field.name());
    if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      // Into a copy, kept only if a variable set something: an unset variable must not
      // make an empty rpc_tls appear.
      const auto* r = message->GetReflection();
      std::unique_ptr<Message> child(r->GetMessage(*message, &field).New());
      child->CopyFrom(r->GetMessage(*message, &field));
      CAIRN_RETURN_IF_ERROR(ForEachField(child.get(), variable + "_", visit));
      if (r->HasField(*message, &field) || child->ByteSizeLong() > 0) r->SetAllocatedMessage(message, child.release(), &field);
    } else {
      CAIRN_RETURN_IF_ERROR(visit(variable, message, field));
    }
  }
  return Status::Ok();
}

Status SetField(Message* message, const FieldDescriptor& field, const std::string& variable, const std::string& value) {
  const auto* r = message->GetReflection();
  auto bad = [&](const char* what) { return Status::InvalidArgument(variable + "='" + value + "' is not " + what); };
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: r->SetString(message, &field, value); return Status::Ok();
    case FieldDescriptor::CPPTYPE_BOOL:
      if (value == "true" || value == "1") return r->SetBool(message, &field, true), Status::Ok();
      if (value == "false" || value == "0") return r->SetBool(message, &field, false), Status::Ok();
      return bad("true, false, 1 or 0");
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64: {
      if (value.empty() || !std::isdigit(static_cast<unsigned char>(value[0]))) return bad("a whole number");
      char* end = nullptr;
      errno = 0;
      const unsigned long long number = std::strtoull(value.c_str(), &end, 10);
      const bool fits = field.cpp_type() == FieldDescriptor::CPPTYPE_UINT64 || number <= UINT32_MAX;
      if (*end != '\0' || errno == ERANGE || !fits) return bad("a whole number in range");
      if (field.cpp_type() == FieldDescriptor::CPPTYPE_UINT32) {
        r->SetUInt32(message, &field, static_cast<uint32_t>(number));
      } else {
        r->SetUInt64(message, &field, number);
      }
      return Status::Ok();
    }
    default: return Status::Internal(variable + ": the config has a field type the environment cannot set");
  }
}

}  // namespace

Status ApplyEnvironment(v1::NodeConfig* config, const EnvLookup& lookup) {
  return ForEachField(config, "CAIRN_", [&](const std::string& variable, Message* message, const FieldDescriptor& field) {
    const char* value = lookup(variable.c_str());
    return value == nullptr ? Status::Ok() : SetField(message, field, variable, value);
  });
}

std::vector<std::string> EnvironmentVariableNames() {
  std::vector<std::string> names;
  v1::NodeConfig scratch;
  (void)ForEachField(&scratch, "CAIRN_", [&](const std::string& variable, Message*, const FieldDescriptor&) {
    names.push_back(variable);
    return Status::Ok();
  });
  return names;
}

}  // namespace cairn::node
