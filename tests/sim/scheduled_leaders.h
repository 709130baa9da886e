// Who leads in the simulator: the node's election (leader reputation,
// node/leader_history.h, or round-robin when the scenario asks for the baseline), except,
// in epoch 0, where a twins scenario names the leader of a round or the adversary takes
// every even round.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "consensus/leader_election.h"
#include "node/leader_history.h"
#include "tests/sim/scenario.h"

namespace cairn::sim {

class ScheduledLeaders : public consensus::LeaderElection {
 public:
  ScheduledLeaders(const Scenario& s, std::unique_ptr<consensus::LeaderElection> elected)
      : rounds_(s.twins_rounds), elected_(std::move(elected)) {
    if (s.adversarial_leaders) {
      for (int v = 0; v < s.validators; ++v) {
        if (s.behaviour[v] != Behaviour::kHonest) {
          adversary_ = static_cast<uint32_t>(v);
          break;
        }
      }
    }
  }
  uint32_t LeaderOf(uint64_t round, const consensus::ChainView& chain) override {
    if (round >= 1 && round <= rounds_.size()) return rounds_[round - 1].leader;
    if (adversary_ && round % 2 == 0) return *adversary_;
    return elected_->LeaderOf(round, chain);
  }
  size_t window_blocks() const override { return elected_->window_blocks(); }
  std::vector<consensus::LeaderStanding> Standings(const consensus::ChainView& chain) const override {
    return elected_->Standings(chain);
  }

 private:
  const std::vector<TwinsRound>& rounds_;
  std::unique_ptr<consensus::LeaderElection> elected_;
  std::optional<uint32_t> adversary_;
};

// The election of an instance's replica for `epoch` (a set of `validators`).
inline std::unique_ptr<consensus::LeaderElection> MakeSimLeaders(const Scenario& s, const v1::Genesis& genesis,
                                                                 uint64_t epoch, size_t validators) {
  std::unique_ptr<consensus::LeaderElection> elected =
      s.round_robin_leaders ? std::make_unique<consensus::RoundRobinLeaders>(validators)
                            : node::MakeLeaderElection(genesis, validators);
  if (epoch > 0) return elected;
  return std::make_unique<ScheduledLeaders>(s, std::move(elected));
}

}  // namespace cairn::sim
