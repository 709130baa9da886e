#include "rpc/json_transcoder.h"

#include <memory>

#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>
#include <nlohmann/json.hpp>

#include "cairn/v1/api.pb.h"
#include "grpc/health/v1/health.pb.h"

namespace cairn::rpc {

namespace {

namespace pb = google::protobuf;

std::unique_ptr<pb::Message> NewMessage(const pb::Descriptor& type) {
  const pb::Message* prototype = pb::MessageFactory::generated_factory()->GetPrototype(&type);
  return std::unique_ptr<pb::Message>(prototype->New());
}

}  // namespace

const pb::MethodDescriptor* FindPublicMethod(std::string_view path) {
  // Named through generated messages, so that the linker keeps both files' descriptors.
  static const pb::FileDescriptor* const kPublicFiles[] = {v1::SubmitRequest::descriptor()->file(),
                                                            grpc::health::v1::HealthCheckRequest::descriptor()->file()};
  // "/<service>/<method>", nothing else.
  if (path.size() < 4 || path[0] != '/') return nullptr;
  const size_t slash = path.find('/', 1);
  if (slash == std::string_view::npos || path.find('/', slash + 1) != std::string_view::npos) return nullptr;
  const std::string service(path.substr(1, slash - 1));
  const std::string method(path.substr(slash + 1));
  for (const pb::FileDescriptor* file : kPublicFiles) {
    for (int i = 0; i < file->service_count(); ++i) {
      if (file->service(i)->full_name() == service) return file->service(i)->FindMethodByName(method);
    }
  }
  return nullptr;
}

Result<std::string> RequestFromJson(const pb::MethodDescriptor& method, std::string_view json) {
  auto request = NewMessage(*method.input_type());
  if (json.find_first_not_of(" \t\r\n") != std::string_view::npos) {
    pb::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;  // a misspelt field is an error, not a default
    const pb::util::Status parsed = pb::util::JsonStringToMessage(pb::StringPiece(json.data(), json.size()), request.get(), options);
    if (!parsed.ok()) {
      return Status::InvalidArgument("the body is not a " + method.input_type()->full_name() + " in JSON: " +
                                     std::string(parsed.message()));
    }
  }
  return request->SerializeAsString();
}

Status CheckRequestBytes(const pb::MethodDescriptor& method, const std::string& bytes) {
  if (!NewMessage(*method.input_type())->ParseFromString(bytes)) {
    return Status::InvalidArgument("the body is not a " + method.input_type()->full_name() + " in protobuf");
  }
  return Status::Ok();
}

Result<std::string> ResponseToJson(const pb::MethodDescriptor& method, const std::string& bytes) {
  auto response = NewMessage(*method.output_type());
  if (!response->ParseFromString(bytes)) return Status::Internal("the service answered bytes that are no " + method.output_type()->full_name());
  pb::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string json;
  const pb::util::Status printed = pb::util::MessageToJsonString(*response, &json, options);
  if (!printed.ok()) return Status::Internal("cannot print the answer as JSON: " + std::string(printed.message()));
  return json;
}

std::string ErrorJson(const grpc::Status& status) {
  const nlohmann::ordered_json error = {
      {"code", static_cast<int>(status.error_code())}, {"message", status.error_message()}, {"details", nlohmann::json::array()}};
  return error.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

unsigned HttpStatusOf(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return 200;
    case grpc::StatusCode::CANCELLED: return 499;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE: return 400;
    case grpc::StatusCode::DEADLINE_EXCEEDED: return 504;
    case grpc::StatusCode::NOT_FOUND: return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED: return 409;
    case grpc::StatusCode::PERMISSION_DENIED: return 403;
    case grpc::StatusCode::UNAUTHENTICATED: return 401;
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return 429;
    case grpc::StatusCode::UNIMPLEMENTED: return 501;
    case grpc::StatusCode::UNAVAILABLE: return 503;
    default: return 500;
  }
}

}  // namespace cairn::rpc
