#include "consensus/collectors.h"

#include <algorithm>

#include "consensus/certificates.h"

namespace cairn::consensus {

std::optional<v1::QuorumCertificate> VoteCollector::Add(const v1::Vote& vote, const Committee& committee) {
  Round& round = by_round_[vote.round()];
  Bytes statement = StatementOf(vote).Payload();
  std::vector<Bytes>& mine = round.statements_by_voter[vote.voter()];
  if (std::find(mine.begin(), mine.end(), statement) != mine.end()) return std::nullopt;  // duplicate
  if (!mine.empty()) ++equivocations_;
  if (mine.size() >= kMaxStatementsPerVoter) return std::nullopt;
  mine.push_back(statement);
  auto& signatures = round.signatures_by_statement[statement];
  signatures[vote.voter()] = vote.signature();
  if (signatures.size() < committee.quorum() || round.certified[statement]) return std::nullopt;

  round.certified[statement] = true;
  v1::QuorumCertificate qc;
  qc.set_epoch(vote.epoch());
  qc.set_round(vote.round());
  qc.set_height(vote.height());
  qc.set_block_hash(vote.block_hash());
  qc.set_commit_hash(vote.commit_hash());
  // std::map iterates in validator order, as certificates require.
  for (const auto& [voter, signature] : signatures) {
    auto* s = qc.add_signatures();
    s->set_validator_index(voter);
    s->set_signature(signature);
  }
  return qc;
}

void VoteCollector::DropBelow(uint64_t round) { by_round_.erase(by_round_.begin(), by_round_.lower_bound(round)); }

TimeoutCollector::Added TimeoutCollector::Add(const v1::Timeout& timeout, const Committee& committee) {
  Round& round = by_round_[timeout.round()];
  Added added;
  if (round.by_validator.count(timeout.sender()) == 0) {
    v1::TimeoutSignature signature;
    signature.set_validator_index(timeout.sender());
    signature.set_high_qc_round(timeout.high_qc().round());
    signature.set_signature(timeout.signature());
    round.by_validator.emplace(timeout.sender(), std::move(signature));
  }
  added.count = round.by_validator.size();
  if (!round.certified && added.count >= committee.quorum()) {
    round.certified = true;
    v1::TimeoutCertificate tc;
    tc.set_epoch(timeout.epoch());
    tc.set_round(timeout.round());
    for (const auto& [validator, signature] : round.by_validator) *tc.add_signatures() = signature;
    added.certificate = std::move(tc);
  }
  return added;
}

void TimeoutCollector::DropBelow(uint64_t round) { by_round_.erase(by_round_.begin(), by_round_.lower_bound(round)); }

std::vector<uint32_t> VoteCollector::Voters(uint64_t round) const {
  std::vector<uint32_t> out;
  auto it = by_round_.find(round);
  if (it != by_round_.end()) {
    for (const auto& [voter, statements] : it->second.statements_by_voter) out.push_back(voter);
  }
  return out;
}

std::vector<uint32_t> TimeoutCollector::Signers(uint64_t round) const {
  std::vector<uint32_t> out;
  auto it = by_round_.find(round);
  if (it != by_round_.end()) {
    for (const auto& [validator, signature] : it->second.by_validator) out.push_back(validator);
  }
  return out;
}

}  // namespace cairn::consensus
