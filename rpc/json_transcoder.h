// The bodies of the HTTP gateway: which methods it serves, and protobuf's JSON
// mapping in both directions (the mapping Envoy's gRPC-JSON transcoder and grpc-gateway
// use without annotations: lowerCamelCase names, either spelling accepted on input,
// bytes as base64, 64-bit integers as strings, enums by name). Every field is printed,
// zeros too, so a reader never has to know the defaults.
#pragma once

#include <string>
#include <string_view>

#include <google/protobuf/descriptor.h>
#include <grpcpp/support/status.h>

#include "crypto/status.h"

namespace cairn::rpc {

// The method at an HTTP path "/cairn.v1.Ledger/GetBlock" (the gRPC path) of a public
// service (those of api.proto, and grpc.health.v1.Health), or null.
const google::protobuf::MethodDescriptor* FindPublicMethod(std::string_view path);

// A JSON request of `method`'s input type as protobuf bytes; an empty body is the empty
// message. A clear InvalidArgument for JSON that does not fit the type.
Result<std::string> RequestFromJson(const google::protobuf::MethodDescriptor& method, std::string_view json);
// Protobuf bytes sent as a request of `method` (application/x-protobuf): OK when they
// parse as its input type, a clear InvalidArgument otherwise.
Status CheckRequestBytes(const google::protobuf::MethodDescriptor& method, const std::string& bytes);
// Protobuf bytes of `method`'s output type as one line of JSON.
Result<std::string> ResponseToJson(const google::protobuf::MethodDescriptor& method, const std::string& bytes);

// The one error format of the gateway, grpc-gateway's: {"code": 3, "message": "...",
// "details": []}, with the gRPC code as a number.
std::string ErrorJson(const grpc::Status& status);
// The HTTP status for a gRPC code (grpc-gateway's table: INVALID_ARGUMENT 400,
// NOT_FOUND 404, RESOURCE_EXHAUSTED 429, UNAVAILABLE 503, ...).
unsigned HttpStatusOf(grpc::StatusCode code);

}  // namespace cairn::rpc
