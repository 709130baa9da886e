// The blocks this validator voted for, on disk until they are committed, so that a
// restarted validator still holds every block it helped certify: it can serve the block
// to the others and extend it (consensus/interfaces.h, PersistSafetyAction::voted_block).
// Without them, a certified block whose honest voters all restarted is lost, and no
// leader can extend the highest certificate again.
//
// Two segment files, `folder`/voted-blocks.0 and .1. Entries are appended to the active
// one: the block's height (u64), its length (u32), the serialized block and a SHA-256 of
// those; each append is synced (fdatasync) before the vote it goes with is signed. An
// entry that does not check ends its segment (an append torn by a crash). Once the
// active segment holds more than kSegmentBytes and every block in the other is at or
// below the committed head, the other is emptied and takes the appends, so the files
// hold about two segments however long the chain. Open keeps what is above the head
// and writes it into a fresh segment 0 (and an empty segment 1), so an append never
// follows a torn entry.
//
// Not part of the ledger: nothing here is served as history or checked by the audit;
// a block from here goes through execution again, like one fetched from a peer.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cairn/v1/block.pb.h"
#include "crypto/status.h"

namespace cairn::node {

class VotedBlockLog {
 public:
  static constexpr uint64_t kSegmentBytes = 4 << 20;
  static constexpr std::array<const char*, 2> kSegmentNames = {"voted-blocks.0", "voted-blocks.1"};

  // Reads the segments (a torn last entry is dropped), keeps the blocks above
  // `head_height` and rewrites the pair holding only those.
  static Result<std::unique_ptr<VotedBlockLog>> Open(std::string folder, uint64_t head_height);
  ~VotedBlockLog();
  VotedBlockLog(const VotedBlockLog&) = delete;
  VotedBlockLog& operator=(const VotedBlockLog&) = delete;

  // Stores `block`, durably when it returns Ok. `committed_height` is the node's head
  // now: blocks at or below it are no longer needed.
  Status Append(v1::Block block, uint64_t committed_height);
  // The stored blocks above `height`, lowest first.
  std::vector<v1::Block> Above(uint64_t height) const;

 private:
  struct Segment {
    int fd = -1;
    uint64_t bytes = 0;
    uint64_t max_height = 0;  // of the blocks it holds; 0 when empty
  };
  explicit VotedBlockLog(std::string folder) : folder_(std::move(folder)) {}
  std::string PathOf(int segment) const { return folder_ + "/" + kSegmentNames[segment]; }

  const std::string folder_;
  std::array<Segment, 2> segments_;
  int active_ = 0;
  std::vector<std::pair<uint64_t, v1::Block>> kept_;  // (height, block) above the last committed height seen
};

}  // namespace cairn::node
