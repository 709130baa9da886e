// Frames on a peer connection: a 4-byte big-endian length, then one PeerMessage. The
// length is checked against the maximum before a byte of the body is allocated, so a
// peer cannot make us reserve more than that by lying about it.
#pragma once

#include <cstdint>

#include "cairn/v1/p2p.pb.h"
#include "crypto/bytes.h"
#include "crypto/status.h"

namespace cairn::net {

constexpr size_t kFrameHeaderBytes = 4;
// The largest block (genesis caps it at 8 MiB) with its certificate fits, with room to
// spare; a sync response packs blocks up to kSyncResponseBudgetBytes.
constexpr uint32_t kDefaultMaxFrameBytes = 12u << 20;

// The frame of `message`: header and body.
Bytes EncodeFrame(const v1::PeerMessage& message);

// The body length that a header announces. Refuses a zero length (no message is empty
// on the wire: a oneof is always set) and one above `max_frame_bytes`.
Result<uint32_t> ReadFrameLength(const uint8_t header[kFrameHeaderBytes], uint32_t max_frame_bytes);

// Parses a body. Refuses bytes that do not parse and a message with no kind set.
Result<v1::PeerMessage> DecodeFrameBody(ByteView body);

// "consensus.vote", "transactions", ...: the message's kind, for logs and metrics.
const char* MessageKind(const v1::PeerMessage& message);

}  // namespace cairn::net
