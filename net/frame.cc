#include "net/frame.h"

namespace cairn::net {

Bytes EncodeFrame(const v1::PeerMessage& message) {
  const size_t size = message.ByteSizeLong();
  Bytes frame(kFrameHeaderBytes + size, '\0');
  for (size_t i = 0; i < kFrameHeaderBytes; ++i) frame[i] = static_cast<char>((size >> (8 * (3 - i))) & 0xff);
  message.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(frame.data() + kFrameHeaderBytes));
  return frame;
}

Result<uint32_t> ReadFrameLength(const uint8_t header[kFrameHeaderBytes], uint32_t max_frame_bytes) {
  uint32_t length = 0;
  for (size_t i = 0; i < kFrameHeaderBytes; ++i) length = (length << 8) | header[i];
  if (length == 0) return Status::InvalidArgument("empty frame");
  if (length > max_frame_bytes) {
    return Status::ResourceExhausted("frame of " + std::to_string(length) + " bytes is over the maximum of " +
                                     std::to_string(max_frame_bytes));
  }
  return length;
}

Result<v1::PeerMessage> DecodeFrameBody(ByteView body) {
  v1::PeerMessage message;
  if (!message.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return Status::InvalidArgument("frame does not parse as a peer message");
  }
  if (message.kind_case() == v1::PeerMessage::KIND_NOT_SET) return Status::InvalidArgument("peer message of no kind");
  return message;
}

const char* MessageKind(const v1::PeerMessage& message) {
  switch (message.kind_case()) {
    case v1::PeerMessage::kHello: return "hello";
    case v1::PeerMessage::kStatus: return "status";
    case v1::PeerMessage::kTransactions: return "transactions";
    case v1::PeerMessage::kSyncRequest: return "sync_request";
    case v1::PeerMessage::kSyncResponse: return "sync_response";
    case v1::PeerMessage::kEvidence: return "evidence";
    case v1::PeerMessage::kStateRequest: return "state_request";
    case v1::PeerMessage::kStateResponse: return "state_response";
    case v1::PeerMessage::kEpochChangesRequest: return "epoch_changes_request";
    case v1::PeerMessage::kEpochChangesResponse: return "epoch_changes_response";
    case v1::PeerMessage::kStateTargetRequest: return "state_target_request";
    case v1::PeerMessage::kStateTargetResponse: return "state_target_response";
    case v1::PeerMessage::kConsensus:
      switch (message.consensus().kind_case()) {
        case v1::ConsensusMessage::kProposal: return "proposal";
        case v1::ConsensusMessage::kVote: return "vote";
        case v1::ConsensusMessage::kTimeout: return "timeout";
        case v1::ConsensusMessage::kBlockRequest: return "block_request";
        case v1::ConsensusMessage::kBlockResponse: return "block_response";
        case v1::ConsensusMessage::KIND_NOT_SET: return "consensus_empty";
      }
      break;
    case v1::PeerMessage::KIND_NOT_SET: break;
  }
  return "none";
}

}  // namespace cairn::net
