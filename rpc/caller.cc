#include "rpc/caller.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>
#include <cstdio>

namespace cairn::rpc {

namespace {

constexpr char kClientKey[] = "cairn-http-client";
constexpr char kTokenKey[] = "cairn-http-gateway";

const std::string& GatewayToken() {
  static const std::string token = [] {
    std::array<unsigned char, 16> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) std::abort();  // no randomness: nothing is safe
    std::string hex;
    char two[3];
    for (unsigned char b : bytes) {
      std::snprintf(two, sizeof(two), "%02x", b);
      hex += two;
    }
    return hex;
  }();
  return token;
}

}  // namespace

void SpeakFor(grpc::ClientContext& context, const std::string& peer) {
  context.AddMetadata(kClientKey, peer);
  context.AddMetadata(kTokenKey, GatewayToken());
}

std::string CallerOf(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  auto client = metadata.find(kClientKey);
  auto token = metadata.find(kTokenKey);
  if (client == metadata.end() || token == metadata.end()) return context.peer();
  const std::string& expected = GatewayToken();
  const bool genuine = token->second.size() == expected.size() &&
                       CRYPTO_memcmp(token->second.data(), expected.data(), expected.size()) == 0;
  return genuine ? std::string(client->second.data(), client->second.size()) : context.peer();
}

}  // namespace cairn::rpc
