#include "rpc/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/server_builder.h>

#include "ledger/json_file.h"

namespace cairn::rpc {

namespace {
constexpr size_t kMaxPemBytes = 1 << 20;
}  // namespace

Server::Server(NodeApi& node, ServerLimits limits)
    : transactions_(node, limits.max_streams_per_client, limits.submits_per_second),
      ledger_(node, limits.max_streams_per_client),
      node_(node),
      limits_(limits) {}

Server::~Server() { Stop(); }

Status Server::Start(const std::string& address, const v1::TlsConfig* tls) {
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (tls != nullptr) {
    CAIRN_ASSIGN_OR_RETURN(Bytes cert, ledger::ReadSmallFile(tls->cert_file(), kMaxPemBytes));
    CAIRN_ASSIGN_OR_RETURN(Bytes key, ledger::ReadSmallFile(tls->key_file(), kMaxPemBytes));
    grpc::SslServerCredentialsOptions options;
    options.pem_key_cert_pairs.push_back({key, cert});
    credentials = grpc::SslServerCredentials(options);
  }
  // The standard health service and reflection, so that generic gRPC tools work.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(address, credentials, &port);
  builder.SetMaxReceiveMessageSize(limits_.max_request_bytes);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, limits_.max_concurrent_streams);
  grpc::ResourceQuota quota("cairn-rpc");
  quota.SetMaxThreads(limits_.max_threads);
  builder.SetResourceQuota(quota);
  builder.RegisterService(&transactions_);
  builder.RegisterService(&ledger_);
  builder.RegisterService(&node_);
  std::lock_guard lock(mu_);
  server_ = builder.BuildAndStart();
  if (!server_ || port == 0) {
    server_.reset();
    return Status::Unavailable("cannot serve gRPC on " + address + " (address busy or invalid" +
                               (tls ? ", or the TLS certificate and key do not match)" : ")"));
  }
  // The health service knows only the overall status ("") until told of the others.
  for (const char* service : {v1::Transactions::service_full_name(), v1::Ledger::service_full_name(),
                              v1::Node::service_full_name()}) {
    server_->GetHealthCheckService()->SetServingStatus(service, true);
  }
  return Status::Ok();
}

void Server::SetServing(bool serving) {
  std::lock_guard lock(mu_);
  if (server_) server_->GetHealthCheckService()->SetServingStatus(serving);
}

std::shared_ptr<grpc::Channel> Server::InProcessChannel() {
  std::lock_guard lock(mu_);
  if (!server_) return nullptr;
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);  // answers are bounded by the services, as for any client
  return server_->InProcessChannel(args);
}

void Server::Stop() {
  std::lock_guard lock(mu_);
  if (!server_) return;
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server_.reset();
}

}  // namespace cairn::rpc
