#include "consensus/block_tree.h"

#include <algorithm>

namespace cairn::consensus {

BlockTree::BlockTree(TreeBlock root, v1::QuorumCertificate root_qc, size_t max_blocks)
    : root_(std::move(root)), root_qc_(std::move(root_qc)), max_blocks_(max_blocks) {}

bool BlockTree::Contains(const Hash& hash) const { return hash == root_.hash || blocks_.count(hash) > 0; }

const TreeBlock* BlockTree::Get(const Hash& hash) const {
  if (hash == root_.hash) return &root_;
  auto it = blocks_.find(hash);
  return it == blocks_.end() ? nullptr : &it->second;
}

Status BlockTree::Insert(TreeBlock block) {
  if (Contains(block.hash)) return Status::Ok();
  if (!Contains(block.parent_hash)) return Status::NotFound("parent of the block is not in the tree");
  if (blocks_.size() >= max_blocks_) {
    return Status::ResourceExhausted("block tree holds " + std::to_string(max_blocks_) + " blocks");
  }
  Hash hash = block.hash;
  blocks_.emplace(hash, std::move(block));
  return Status::Ok();
}

std::vector<CommittedBlock> BlockTree::Commit(const v1::QuorumCertificate& qc,
                                              const std::function<bool(const TreeBlock&)>& ends_epoch) {
  std::vector<CommittedBlock> committed;
  auto certified_hash = HashFromBytes(qc.block_hash());
  if (!certified_hash.ok()) return committed;
  const TreeBlock* certified = Get(*certified_hash);
  // Once the last block of the epoch has committed, nothing above it ever does.
  if (certified == nullptr || certified == &root_ || ends_epoch(root_)) return committed;
  const TreeBlock* parent = Get(certified->parent_hash);
  // The 2-chain rule: the certified block's parent commits when their rounds are
  // consecutive.
  const bool consecutive = IsBroken(SafetyRules::Rule::kCommitConsecutive) ||
                           (parent != nullptr && certified->header.round() == parent->header.round() + 1);
  if (parent == nullptr || parent == &root_ || !consecutive) return committed;
  // Walk from the certified block down to the root; each block's certificate is the
  // parent certificate its child carries.
  std::vector<std::pair<const TreeBlock*, const v1::QuorumCertificate*>> chain;
  if (IsBroken(SafetyRules::Rule::kCommitParent)) chain.emplace_back(certified, &qc);
  const TreeBlock* child = certified;
  for (const TreeBlock* b = parent; b != &root_; b = Get(b->parent_hash)) {
    if (b == nullptr) return committed;  // a gap: cannot happen, parents are inserted first
    chain.emplace_back(b, &child->block.parent_qc());
    child = b;
  }
  std::reverse(chain.begin(), chain.end());
  auto last = std::find_if(chain.begin(), chain.end(), [&](const auto& link) { return ends_epoch(*link.first); });
  if (last != chain.end()) chain.erase(last + 1, chain.end());

  last_committed_.clear();
  last_committed_.reserve(chain.size());
  for (const auto& [block, certificate] : chain) {
    last_committed_.push_back(*block);
    committed.push_back({nullptr, *certificate});
  }
  for (size_t i = 0; i < committed.size(); ++i) committed[i].block = &last_committed_[i];
  root_ = last_committed_.back();
  root_qc_ = committed.back().certificate;
  PruneAtOrBelow(root_.header.height());
  return committed;
}

void BlockTree::PruneAtOrBelow(uint64_t height) {
  for (auto it = blocks_.begin(); it != blocks_.end();) {
    it = it->second.header.height() <= height ? blocks_.erase(it) : std::next(it);
  }
}

}  // namespace cairn::consensus
