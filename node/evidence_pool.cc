#include "node/evidence_pool.h"

namespace cairn::node {

Result<ledger::Offence> EvidencePool::Add(const v1::Evidence& evidence) {
  CAIRN_ASSIGN_OR_RETURN(ledger::Offence offence, ledger_.CheckNewEvidence(evidence));
  const Bytes id = offence.Id();
  if (by_offence_.count(id) > 0) return Status::AlreadyExists("this offence is already waiting for a block");
  if (by_offence_.size() >= max_) return Status::ResourceExhausted("the evidence pool is full");
  by_offence_.emplace(id, evidence);
  return offence;
}

std::vector<v1::Evidence> EvidencePool::Candidates() const {
  std::vector<v1::Evidence> out;
  out.reserve(by_offence_.size());
  for (const auto& [id, evidence] : by_offence_) out.push_back(evidence);
  return out;
}

void EvidencePool::Prune() {
  std::erase_if(by_offence_, [&](const auto& entry) { return !ledger_.CheckNewEvidence(entry.second).ok(); });
}

}  // namespace cairn::node
