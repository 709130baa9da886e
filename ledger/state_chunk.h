// State sync's unit of transfer, the serving side: a node answers a StateChunkRequest
// (p2p.proto) from any version of the state tree it still stores, straight from the
// tree's nodes: no snapshot to build, nothing that waits for or stalls a commit.
//
// An answer is the whole subtree at the asked path (its leaves) when it fits, otherwise
// the one node there, which names its children's hashes; the requester then asks for
// each child, perhaps of other peers. StateRestore (state_restore.h) checks each answer
// against the hash it already trusts for that path, so a chunk proves itself alone.
#pragma once

#include <cstddef>
#include <cstdint>

#include "cairn/v1/p2p.pb.h"
#include "crypto/bytes.h"
#include "crypto/status.h"
#include "ledger/state_tree.h"

namespace cairn::ledger {

// The most leaves an answer holds, whatever the request asks: about 0.6 MB of accounts.
inline constexpr uint32_t kMaxChunkLeaves = 4096;

// The wire form of a path: one nibble a byte.
Bytes EncodeNibblePath(const tree::NibblePath& path);
// INVALID_ARGUMENT for more than 64 bytes or a byte above 15.
Result<tree::NibblePath> DecodeNibblePath(ByteView bytes);

// The answer to `request` from `tree`, the version it names; at most `max_bytes` of
// leaves (an internal node's answer is always small).
v1::StateChunkResponse ServeStateChunk(const StateTree& tree, const v1::StateChunkRequest& request,
                                       size_t max_bytes);

}  // namespace cairn::ledger
