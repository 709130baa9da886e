// The HTTP/JSON port: every method of the public services (rpc/json_transcoder.h) at
// POST /<package>.<Service>/<Method>, the path Envoy's transcoder and grpc-gateway use
// without annotations, with a JSON body in protobuf's JSON mapping. Server-streaming
// methods answer newline-delimited JSON, one {"result": ...} a message and an
// {"error": ...} line if the stream fails; SubmitStream takes a newline-delimited body
// of SubmitRequests and answers each in order. Errors are grpc-gateway's
// {"code", "message", "details"} with the HTTP status of the gRPC code. A unary call
// whose body is Content-Type application/x-protobuf is the request's protobuf bytes and
// is answered with the response's (errors stay JSON): a client that checks hashes and
// signatures over the answer's messages needs the bytes the node sent, not JSON.
//
// The calls go through the gRPC server's in-process channel, so they meet the same
// services, limits and answers as the gRPC port: request size, concurrency (the
// server's threads), and the per-client rate and stream limits, which count each HTTP
// client by its address (rpc/caller.h). A block stream is as back-pressured as over
// gRPC: the next message is read only once the last one is written to the socket.
// The gateway runs on its own threads, never the node's net or core thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <grpcpp/channel.h>

#include "cairn/v1/config.pb.h"
#include "crypto/status.h"

namespace cairn::rpc {

struct HttpLimits {
  size_t max_body_bytes = 4 << 20;  // as the gRPC port's request limit
  int max_connections = 256;
  // An address's connections at once: one client cannot take the whole gateway.
  int max_connections_per_client = 16;
  int threads = 2;
};

class HttpGateway {
 public:
  explicit HttpGateway(HttpLimits limits = {});
  ~HttpGateway();
  HttpGateway(const HttpGateway&) = delete;
  HttpGateway& operator=(const HttpGateway&) = delete;

  // Listens on `address` (host:port) and sends calls over `channel`; HTTPS when `tls`
  // names a certificate and key (PEM files). A clear error if it cannot.
  Status Start(const std::string& address, std::shared_ptr<grpc::Channel> channel,
               const v1::TlsConfig* tls = nullptr);
  // Stops accepting, cancels the calls in flight and waits for them (at most a few
  // seconds), then stops its threads. Idempotent.
  void Stop();
  uint16_t port() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn::rpc
