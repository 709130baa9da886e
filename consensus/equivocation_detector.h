// Catching a validator that signs two conflicting messages for one round: the first
// proposal of each round and the first vote of each validator in each round are kept,
// and a later, different one (its signature already checked) makes evidence
// (proto/cairn/v1/evidence.proto) that any node can verify. Each offence is reported
// once.
//
// Bounded: rounds more than kWindow below the replica's round are forgotten, and at
// most kMaxEntries proposals and votes are kept (messages for rounds far ahead, which
// the replica accepts within its round window, could otherwise fill it).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <utility>

#include "cairn/v1/evidence.pb.h"
#include "cairn/v1/vote.pb.h"

namespace cairn::consensus {

class EquivocationDetector {
 public:
  static constexpr uint64_t kWindow = 64;
  static constexpr size_t kMaxEntries = 4096;

  // A proposal whose signature was checked: `header` as it travelled, its round and
  // proposer index.
  std::optional<v1::Evidence> OnProposal(const std::string& header, uint64_t round, uint32_t proposer,
                                         const std::string& signature);
  // A vote whose signature was checked.
  std::optional<v1::Evidence> OnVote(const v1::Vote& vote);
  // Forgets rounds below `round`.
  void DropBelow(uint64_t round);
  uint64_t reported() const { return reported_; }

 private:
  std::map<uint64_t, v1::SignedProposal> proposals_;                   // by round
  std::map<std::pair<uint64_t, uint32_t>, v1::Vote> votes_;            // by (round, voter)
  std::set<std::pair<uint64_t, uint32_t>> reported_votes_, reported_proposals_;
  uint64_t reported_ = 0;
};

}  // namespace cairn::consensus
