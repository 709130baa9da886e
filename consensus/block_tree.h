// The tree of blocks a replica knows above its committed head, and the 2-chain commit
// rule over it. Every block in the tree has been executed (so validated) and carries a
// verified certificate of its parent.
//
// Bounded: at most `max_blocks` blocks; blocks at or below the committed height are
// dropped at every commit.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "cairn/v1/block.pb.h"
#include "consensus/safety_rules.h"
#include "crypto/bytes.h"

namespace cairn::consensus {

struct TreeBlock {
  v1::Block block;
  v1::BlockHeader header;
  Hash hash;
  Hash parent_hash;
};

// A block to commit with the certificate that certifies it.
struct CommittedBlock {
  const TreeBlock* block;
  v1::QuorumCertificate certificate;
};

class BlockTree {
 public:
  // `root` is the committed head and `root_qc` its certificate.
  BlockTree(TreeBlock root, v1::QuorumCertificate root_qc, size_t max_blocks);

  bool Contains(const Hash& hash) const;
  const TreeBlock* Get(const Hash& hash) const;
  const TreeBlock& root() const { return root_; }
  size_t size() const { return blocks_.size(); }

  // Adds a block whose parent is in the tree. RESOURCE_EXHAUSTED when full.
  Status Insert(TreeBlock block);

  // A newly known certificate: if it certifies a block whose parent has the round just
  // before (the 2-chain rule), returns the parent and its uncommitted ancestors, oldest
  // first, each with its certificate, and makes the last of them the new root. The
  // chain stops at the first block for which `ends_epoch` is true: what is above it
  // belongs to no epoch's chain. Empty when nothing new commits or a block of the chain
  // is missing.
  std::vector<CommittedBlock> Commit(const v1::QuorumCertificate& qc,
                                     const std::function<bool(const TreeBlock&)>& ends_epoch);

#ifdef CAIRN_SIM_BREAKS
  // Turns off kCommitConsecutive or kCommitParent (safety_rules.h); others are no-ops.
  void TEST_Break(SafetyRules::Rule rule) { broken_ = rule; }
#endif

 private:
  bool IsBroken(SafetyRules::Rule rule) const { return broken_ == rule; }
  void PruneAtOrBelow(uint64_t height);

  TreeBlock root_;
  v1::QuorumCertificate root_qc_;
  const size_t max_blocks_;
  std::map<Hash, TreeBlock> blocks_;
  // Blocks taken out of the tree by the last Commit, kept alive so that its returned
  // pointers stay valid until the next call.
  std::vector<TreeBlock> last_committed_;
  std::optional<SafetyRules::Rule> broken_;
};

}  // namespace cairn::consensus
