#include "tests/sim/twins_space.h"

#include <random>

namespace cairn::sim {

namespace {

void Extend(std::vector<int>& prefix, int used, int instances, int max_parts, std::vector<std::vector<int>>& out) {
  if (static_cast<int>(prefix.size()) == instances) {
    out.push_back(prefix);
    return;
  }
  for (int group = 0; group <= used && group < max_parts; ++group) {
    prefix.push_back(group);
    Extend(prefix, std::max(used, group + 1), instances, max_parts, out);
    prefix.pop_back();
  }
}

}  // namespace

std::vector<std::vector<int>> Partitions(int instances, int max_parts) {
  std::vector<std::vector<int>> out;
  std::vector<int> prefix{0};
  Extend(prefix, 1, instances, max_parts, out);
  return out;  // out[0] is everyone in one group
}

TwinsSpace::TwinsSpace(int validators, int instances, int max_parts)
    : validators_(validators),
      instances_(instances),
      partitions_(Partitions(instances, max_parts)),
      letters_(static_cast<uint64_t>(validators) * partitions_.size() * (instances + 1) * (instances + 1) * 2) {}

TwinsRound TwinsSpace::Letter(uint64_t letter) const {
  TwinsRound round;
  round.leader = static_cast<uint32_t>(letter % validators_);
  letter /= validators_;
  round.group_of_instance = partitions_[letter % partitions_.size()];
  letter /= partitions_.size();
  round.votes_only_to = static_cast<int>(letter % (instances_ + 1)) - 1;
  letter /= instances_ + 1;
  round.timeouts_only_to = static_cast<int>(letter % (instances_ + 1)) - 1;
  letter /= instances_ + 1;
  round.stale = letter % 2 == 1;
  return round;
}

std::vector<TwinsRound> TwinsSpace::Schedule(uint64_t index, int rounds) const {
  std::vector<TwinsRound> schedule;
  std::mt19937_64 rng(index * 0x9E3779B97F4A7C15ull + 0x7417);
  auto below = [&rng](uint64_t n) { return rng() % n; };  // written out: replays on any library
  uint64_t digits = index;
  size_t held = 0;
  int hold_rounds = 0;
  for (int r = 0; r < rounds; ++r) {
    if (digits > 0 || r == 0) {
      schedule.push_back(Letter(digits % letters_));
      digits /= letters_;
      continue;
    }
    // Beyond the digits, sampled with the shape real faults have: half the rounds fully
    // connected; a partition that lasts 1 to 4 rounds (what lets both sides of a split
    // finish a 2-chain) or changes every round (what exposes double votes); half the
    // rounds' votes and a quarter of their timeouts reaching one instance only.
    TwinsRound round;
    round.leader = static_cast<uint32_t>(below(validators_));
    if (hold_rounds == 0) {
      held = below(2) == 0 || partitions_.size() == 1 ? 0 : 1 + below(partitions_.size() - 1);
      hold_rounds = below(2) == 0 ? 1 : 1 + static_cast<int>(below(4));
    }
    --hold_rounds;
    round.group_of_instance = partitions_[held];
    round.votes_only_to = below(2) == 0 ? -1 : static_cast<int>(below(instances_));
    round.timeouts_only_to = below(4) != 0 ? -1 : static_cast<int>(below(instances_));
    round.stale = below(2) == 0;
    schedule.push_back(std::move(round));
  }
  return schedule;
}

std::string TwinsSpace::Describe(const TwinsRound& round) {
  std::string groups;
  int parts = 0;
  for (int g : round.group_of_instance) parts = std::max(parts, g + 1);
  for (int g = 0; g < parts; ++g) {
    groups += "{";
    for (size_t i = 0; i < round.group_of_instance.size(); ++i) {
      if (round.group_of_instance[i] != g) continue;
      if (groups.back() != '{') groups += ",";
      groups += "i" + std::to_string(i);
    }
    groups += "}";
  }
  std::string out = "leader v" + std::to_string(round.leader) + " " + groups;
  out += round.votes_only_to < 0 ? " votes to group" : " votes only to i" + std::to_string(round.votes_only_to);
  if (round.timeouts_only_to >= 0) out += ", timeouts only to i" + std::to_string(round.timeouts_only_to);
  if (round.stale) out += " stale";
  return out;
}

}  // namespace cairn::sim
