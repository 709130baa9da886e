#include "consensus/equivocation_detector.h"

namespace cairn::consensus {

namespace {
bool SameStatement(const v1::Vote& a, const v1::Vote& b) {
  return a.epoch() == b.epoch() && a.height() == b.height() && a.block_hash() == b.block_hash() &&
         a.commit_hash() == b.commit_hash();
}
}  // namespace

std::optional<v1::Evidence> EquivocationDetector::OnProposal(const std::string& header, uint64_t round,
                                                             uint32_t proposer, const std::string& signature) {
  auto found = proposals_.find(round);
  if (found == proposals_.end() && proposals_.size() >= kMaxEntries) return std::nullopt;
  auto [it, first] = proposals_.try_emplace(round);
  if (first) {
    it->second.set_header(header);
    it->second.set_signature(signature);
    return std::nullopt;
  }
  if (it->second.header() == header || !reported_proposals_.insert({round, proposer}).second) return std::nullopt;
  v1::Evidence evidence;
  *evidence.mutable_double_proposal()->mutable_first() = it->second;
  v1::SignedProposal* second = evidence.mutable_double_proposal()->mutable_second();
  second->set_header(header);
  second->set_signature(signature);
  ++reported_;
  return evidence;
}

std::optional<v1::Evidence> EquivocationDetector::OnVote(const v1::Vote& vote) {
  const std::pair<uint64_t, uint32_t> key{vote.round(), vote.voter()};
  if (votes_.size() >= kMaxEntries && votes_.count(key) == 0) return std::nullopt;
  auto [it, first] = votes_.try_emplace(key, vote);
  if (first || SameStatement(it->second, vote) || !reported_votes_.insert(key).second) return std::nullopt;
  v1::Evidence evidence;
  *evidence.mutable_double_vote()->mutable_first() = it->second;
  *evidence.mutable_double_vote()->mutable_second() = vote;
  ++reported_;
  return evidence;
}

void EquivocationDetector::DropBelow(uint64_t round) {
  const uint64_t keep_from = round > kWindow ? round - kWindow : 0;
  proposals_.erase(proposals_.begin(), proposals_.lower_bound(keep_from));
  votes_.erase(votes_.begin(), votes_.lower_bound({keep_from, 0}));
  reported_votes_.erase(reported_votes_.begin(), reported_votes_.lower_bound({keep_from, 0}));
  reported_proposals_.erase(reported_proposals_.begin(), reported_proposals_.lower_bound({keep_from, 0}));
}

}  // namespace cairn::consensus
