// Who a call speaks for, for the per-client limits (rate, streams). A call over the
// client port speaks for its connection's peer. A call the node's HTTP gateway makes
// over the in-process channel speaks for the HTTP client, whose address the gateway
// puts in the call's metadata, beside a token drawn at random when the process starts
// that only code inside the process knows: so HTTP clients are limited one by one, an
// address shares one budget across both ports, and no outside client can claim another
// address. (gRPC 1.51 names every in-process peer "unknown", which is no proof.)
#pragma once

#include <string>

#include <grpcpp/client_context.h>
#include <grpcpp/server_context.h>

namespace cairn::rpc {

// Marks `context` as the gateway's call on behalf of the HTTP client at `peer`, named
// as grpc::ServerContext::peer() names a client ("ipv4:10.0.0.1:5000", "ipv6:[::1]:5000").
void SpeakFor(grpc::ClientContext& context, const std::string& peer);

// The peer a call speaks for.
std::string CallerOf(const grpc::ServerContextBase& context);

}  // namespace cairn::rpc
