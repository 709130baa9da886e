// Gathering votes into quorum certificates and timeouts into timeout certificates.
// Each message is checked (signature, membership) by the replica before it is added.
//
// Bounded: only rounds inside a window above the replica's current round are kept, one
// vote and one timeout per validator per round; older rounds are dropped as the replica
// moves on.
#pragma once

#include <map>
#include <optional>

#include "cairn/v1/consensus.pb.h"
#include "consensus/committee.h"

namespace cairn::consensus {

class VoteCollector {
 public:
  // Adds a verified vote; returns the certificate when this vote completes a quorum of
  // votes for one statement. Votes are gathered per statement: safety comes from each
  // voter voting once per round, not from the aggregator, which only checks that a
  // quorum signed one statement. A validator that votes for two statements in a round
  // is an equivocator: it is counted (EquivocationDetector makes the evidence), and anything
  // beyond its second statement is ignored so that it cannot grow the collector.
  std::optional<v1::QuorumCertificate> Add(const v1::Vote& vote, const Committee& committee);
  void DropBelow(uint64_t round);
  uint64_t equivocations() const { return equivocations_; }
  // Validators whose vote for `round` this collector holds (for operators' views).
  std::vector<uint32_t> Voters(uint64_t round) const;

 private:
  static constexpr size_t kMaxStatementsPerVoter = 2;
  struct Round {
    std::map<uint32_t, std::vector<Bytes>> statements_by_voter;  // serialized statements
    std::map<Bytes, std::map<uint32_t, Bytes>> signatures_by_statement;
    std::map<Bytes, bool> certified;
  };
  std::map<uint64_t, Round> by_round_;
  uint64_t equivocations_ = 0;
};

class TimeoutCollector {
 public:
  struct Added {
    size_t count = 0;  // distinct validators that timed out in this round
    std::optional<v1::TimeoutCertificate> certificate;  // set once, when a quorum forms
  };
  Added Add(const v1::Timeout& timeout, const Committee& committee);
  void DropBelow(uint64_t round);
  // Validators whose timeout for `round` this collector holds.
  std::vector<uint32_t> Signers(uint64_t round) const;

 private:
  struct Round {
    std::map<uint32_t, v1::TimeoutSignature> by_validator;
    bool certified = false;
  };
  std::map<uint64_t, Round> by_round_;
};

}  // namespace cairn::consensus
