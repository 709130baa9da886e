// The gRPC server of a node: the services of api.proto on the client port, with limits.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include <grpcpp/server.h>

#include "cairn/v1/config.pb.h"
#include "rpc/node_api.h"
#include "rpc/services.h"

namespace cairn::rpc {

struct ServerLimits {
  int max_request_bytes = 4 << 20;  // a transaction is at most ~1 KiB
  int max_streams_per_client = 4;
  // Per client (its address): transactions a second through Submit and SubmitStream,
  // bursts of twice that. Far above what one wallet sends, below what fills a mempool.
  double submits_per_second = 5'000;
  // Calls in progress on one connection (HTTP/2 streams), and threads serving the
  // synchronous methods: a client cannot hold more of the server than this.
  int max_concurrent_streams = 64;
  int max_threads = 32;
};

class Server {
 public:
  explicit Server(NodeApi& node, ServerLimits limits = {});
  ~Server();
  // Listens on `address` (host:port), with TLS when `tls` names a certificate and key
  // (PEM files); a clear error if it cannot.
  Status Start(const std::string& address, const v1::TlsConfig* tls = nullptr);
  void Stop();
  // What the standard health service answers, for the whole server ("") and for each
  // cairn.v1 service: NOT_SERVING while the node is halted. Any thread.
  void SetServing(bool serving);
  // A channel to these services inside the process (for the HTTP gateway); null
  // before Start.
  std::shared_ptr<grpc::Channel> InProcessChannel();

 private:
  TransactionsService transactions_;
  LedgerService ledger_;
  NodeService node_;
  ServerLimits limits_;
  std::mutex mu_;  // guards server_: the core thread sets the health while Stop may run
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace cairn::rpc
