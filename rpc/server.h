// The gRPC server of a node: the services of api.proto on the client port, with limits.
#pragma once

#include <memory>
#include <string>

#include <grpcpp/server.h>

#include "rpc/node_api.h"
#include "rpc/services.h"

namespace cairn::rpc {

struct ServerLimits {
  int max_request_bytes = 4 << 20;  // a transaction is at most ~1 KiB
  int max_streams_per_client = 4;
};

class Server {
 public:
  explicit Server(NodeApi& node, ServerLimits limits = {});
  ~Server();
  // Listens on `address` (host:port); a clear error if it cannot.
  Status Start(const std::string& address);
  void Stop();

 private:
  TransactionsService transactions_;
  LedgerService ledger_;
  NodeService node_;
  ServerLimits limits_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace cairn::rpc
