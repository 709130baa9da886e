// Evidence waiting for a block: what this node's replica caught and what peers sent,
// each checked against the ledger (ledger/evidence.h) before it is kept. Proposals take
// from here; what the chain has recorded leaves at the next prune.
//
// Bounded: at most `max` pieces; one per offence. Used by one thread (the core's).
#pragma once

#include <map>
#include <vector>

#include "cairn/v1/evidence.pb.h"
#include "ledger/ledger.h"

namespace cairn::node {

class EvidencePool {
 public:
  EvidencePool(const ledger::Ledger& ledger, size_t max) : ledger_(ledger), max_(max) {}

  // Keeps evidence that could enter the next block: the offence it proves, or why not
  // (invalid, already recorded or known, the pool full).
  Result<ledger::Offence> Add(const v1::Evidence& evidence);
  // Candidates for a proposal, oldest offence first.
  std::vector<v1::Evidence> Candidates() const;
  // Drops what the chain has recorded since, or can no longer take (too old an epoch).
  void Prune();
  size_t size() const { return by_offence_.size(); }

 private:
  const ledger::Ledger& ledger_;
  const size_t max_;
  std::map<Bytes, v1::Evidence> by_offence_;  // by Offence::Id
};

}  // namespace cairn::node
