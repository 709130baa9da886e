// Bytes from a peer's socket: the 4-byte length header, then the body as a PeerMessage
// (net/frame.h). Whatever arrives, decoding returns a value or an error, never more.
#include <cstddef>
#include <cstdint>

#include "net/frame.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn;
  if (size < net::kFrameHeaderBytes) return 0;
  auto length = net::ReadFrameLength(data, 1u << 20);
  if (!length.ok()) return 0;
  const ByteView body(reinterpret_cast<const char*>(data) + net::kFrameHeaderBytes, size - net::kFrameHeaderBytes);
  auto message = net::DecodeFrameBody(body.substr(0, *length));
  if (message.ok()) (void)net::MessageKind(*message);
  return 0;
}
