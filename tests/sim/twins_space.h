// The Twins scenario space (Bano et al., "Twins: BFT Systems Made Robust", OPODIS 2021)
// for n validators of which some run a second instance under the same key. A scenario
// is a list of rounds; each round is one letter of an alphabet:
//   - who leads (a validator: both instances of a twinned one lead);
//   - a partition of the instances (messages of the round cross only within a group);
//   - who receives the round's votes, and who its timeouts: the whole group of the
//     sender, or one instance (the paper's generator lets the network choose this per
//     message; one receiver per round is what a schedule needs to give one replica a
//     certificate the others lack);
//   - whether a twin that leads the round after a timeout certificate proposes on a
//     stale certificate (below the highest its signers reported). Beyond the paper: its
//     twins run unmodified code, and in a Jolteon-style protocol such as Cairn's an
//     unmodified leader always extends the highest certificate it holds, which is at
//     least the timeout certificate's; only a faulty leader reaches the lock rule.
// Scenario number `index` takes its first rounds from the digits of `index` in the
// alphabet's radix (round 1 is the lowest digit), so consecutive indexes enumerate the
// first rounds exhaustively; rounds beyond the digits are sampled from `index`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tests/sim/scenario.h"

namespace cairn::sim {

// Every partition of `instances` into at most `max_parts` non-empty groups, each once:
// restricted-growth strings (instance 0 is in group 0, each next instance joins a group
// already used or opens the next one). 5 instances: 16 with 2 parts at most, 41 with 3,
// 52 with 5 (Bell(5)).
std::vector<std::vector<int>> Partitions(int instances, int max_parts);

class TwinsSpace {
 public:
  TwinsSpace(int validators, int instances, int max_parts);

  // Letters of the alphabet: leader × partition × vote receiver (the group or one of the
  // instances) × timeout receiver × stale.
  uint64_t letters() const { return letters_; }
  TwinsRound Letter(uint64_t letter) const;

  // The rounds of scenario `index`.
  std::vector<TwinsRound> Schedule(uint64_t index, int rounds) const;

  // One line per round, to turn a failing index into an explicit test case.
  static std::string Describe(const TwinsRound& round);

 private:
  int validators_;
  int instances_;
  std::vector<std::vector<int>> partitions_;
  uint64_t letters_;
};

}  // namespace cairn::sim
