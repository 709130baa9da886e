#include "rpc/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server_builder.h>

namespace cairn::rpc {

Server::Server(NodeApi& node, ServerLimits limits)
    : transactions_(node), ledger_(node, limits.max_streams_per_client), node_(node), limits_(limits) {}

Server::~Server() { Stop(); }

Status Server::Start(const std::string& address) {
  // The standard health service and reflection, so that generic gRPC tools work.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(limits_.max_request_bytes);
  builder.RegisterService(&transactions_);
  builder.RegisterService(&ledger_);
  builder.RegisterService(&node_);
  server_ = builder.BuildAndStart();
  if (!server_ || port == 0) {
    server_.reset();
    return Status::Unavailable("cannot serve gRPC on " + address + " (address busy or invalid)");
  }
  return Status::Ok();
}

void Server::Stop() {
  if (!server_) return;
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server_.reset();
}

}  // namespace cairn::rpc
