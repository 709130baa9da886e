#include "tests/sim/scenario.h"

#include <algorithm>
#include <random>
#include <sstream>

#include "tests/sim/twins_space.h"

namespace cairn::sim {

const char* BehaviourName(Behaviour b) {
  switch (b) {
    case Behaviour::kHonest: return "honest";
    case Behaviour::kSilent: return "silent";
    case Behaviour::kEquivocator: return "equivocator";
    case Behaviour::kForger: return "forger";
  }
  return "?";
}

bool Scenario::IsHonest(int instance) const {
  uint32_t v = ValidatorOf(instance);
  if (BehaviourOf(v) != Behaviour::kHonest) return false;
  return std::find(twins.begin(), twins.end(), v) == twins.end();
}

bool Scenario::ChecksCommits(int instance) const {
  const Behaviour b = BehaviourOf(ValidatorOf(instance));
  return b != Behaviour::kEquivocator && b != Behaviour::kForger;
}

std::string Scenario::Describe() const {
  std::ostringstream out;
  out << name << " seed=" << seed << " n=" << validators << " gst=" << gst_ms << "ms";
  for (int v = 0; v < validators; ++v) {
    if (behaviour[v] != Behaviour::kHonest) out << " v" << v << "=" << BehaviourName(behaviour[v]);
  }
  for (uint32_t t : twins) out << " twin(v" << t << ")";
  if (adversarial_leaders) out << " adversarial-leaders";
  if (token_signers) out << " token-signers=" << token_signers;
  if (isolate_first_committer_ms) out << " isolate-committer=" << isolate_first_committer_ms << "ms";
  if (votes_only_to_next_leader) out << " votes-to-next-leader";
  out << " partitions=" << partitions.size() << " crashes=" << crashes.size();
  if (drop_per_mille) out << " drop=" << drop_per_mille / 10.0 << "%";
  for (const SetChange& c : set_changes) {
    switch (c.kind) {
      case SetChange::Kind::kAddSpare: out << " add-spare"; break;
      case SetChange::Kind::kRemoveLeader: out << " remove-leader"; break;
      case SetChange::Kind::kRotateKey: out << " rotate-key(v" << c.target << ")"; break;
    }
    out << "@" << c.at_ms << "ms";
  }
  if (!set_changes.empty()) out << " epoch-length=" << epoch_length;
  return out.str();
}

std::string Scenario::DescribeRounds() const {
  std::string out;
  for (size_t r = 0; r < twins_rounds.size(); ++r) {
    out += "  round " + std::to_string(r + 1) + ": " + TwinsSpace::Describe(twins_rounds[r]) + "\n";
  }
  return out;
}

namespace {
// Uniform in [lo, hi]; written out so runs replay on any standard library.
uint64_t Uniform(std::mt19937_64& rng, uint64_t lo, uint64_t hi) { return lo + rng() % (hi - lo + 1); }
}  // namespace

Scenario RandomScenario(uint64_t seed, int validators, int byzantine, bool reconfigure) {
  std::mt19937_64 rng(seed);
  Scenario s;
  s.seed = seed;
  s.name = reconfigure ? "reconfigure" : "random";
  s.validators = validators;
  s.behaviour.assign(validators, Behaviour::kHonest);
  // Faulty validators of random kinds, at random positions.
  std::vector<int> order(validators);
  for (int i = 0; i < validators; ++i) order[i] = i;
  for (int i = validators - 1; i > 0; --i) std::swap(order[i], order[Uniform(rng, 0, i)]);
  for (int b = 0; b < byzantine; ++b) {
    const uint64_t kind = Uniform(rng, 0, 3);
    if (kind == 2) {
      s.twins.push_back(order[b]);
    } else {
      s.behaviour[order[b]] = kind == 0 ? Behaviour::kSilent : kind == 1 ? Behaviour::kEquivocator : Behaviour::kForger;
    }
  }
  s.gst_ms = Uniform(rng, 3'000, 20'000);
  s.drop_per_mille = static_cast<uint32_t>(Uniform(rng, 0, 200));
  s.duplicate_per_mille = static_cast<uint32_t>(Uniform(rng, 0, 50));
  s.max_delay_before_gst_ms = Uniform(rng, 10, 2'500);
  s.max_delay_after_gst_ms = Uniform(rng, 5, 60);
  if (reconfigure) {
    // One spare joins and then a leader leaves, both while the network misbehaves (or
    // the second soon after), so that the boundaries meet drops, partitions and crashes.
    s.spares = 1;
    s.epoch_length = Uniform(rng, 4, 12);
    const uint64_t join_ms = Uniform(rng, 300, std::max<uint64_t>(400, s.gst_ms / 2));
    s.set_changes.push_back({join_ms, SetChange::Kind::kAddSpare, 0});
    s.set_changes.push_back({join_ms + Uniform(rng, 2'000, 8'000), SetChange::Kind::kRemoveLeader, 0});
    // And an honest validator rotates its key meanwhile (the leader that leaves may be
    // that one: then the rotation is dropped, as an operator would drop it).
    std::vector<uint32_t> honest;
    for (uint32_t v = 0; v < static_cast<uint32_t>(validators); ++v) {
      const bool twinned = std::find(s.twins.begin(), s.twins.end(), v) != s.twins.end();
      if (s.behaviour[v] == Behaviour::kHonest && !twinned) honest.push_back(v);
    }
    s.set_changes.push_back({Uniform(rng, 300, join_ms + 8'000), SetChange::Kind::kRotateKey,
                             honest[Uniform(rng, 0, honest.size() - 1)]});
    for (const SetChange& c : s.set_changes) s.tx_until_ms = std::max(s.tx_until_ms, c.at_ms + 5'000);
  }
  const int instances = s.instances();
  for (uint64_t n = Uniform(rng, 0, 3); n > 0; --n) {
    Partition p;
    p.start_ms = Uniform(rng, 0, s.gst_ms);
    p.end_ms = std::min(s.gst_ms, p.start_ms + Uniform(rng, 500, 8'000));
    for (int i = 0; i < instances; ++i) p.group_of_instance.push_back(static_cast<int>(Uniform(rng, 0, 1)));
    s.partitions.push_back(std::move(p));
  }
  // A third of the runs face a network adversary that isolates whoever commits first.
  // It needs commits before GST to act on, so its network is otherwise fast.
  if (Uniform(rng, 0, 2) == 0) {
    s.isolate_first_committer_ms = Uniform(rng, 1'000, 6'000);
    s.votes_only_to_next_leader = true;
    s.max_delay_before_gst_ms = Uniform(rng, 10, 200);
    s.drop_per_mille = static_cast<uint32_t>(Uniform(rng, 0, 50));
  }
  // Twins start apart, each with a part of the network, which is what makes them
  // dangerous.
  if (!s.twins.empty()) {
    Partition p;
    p.start_ms = 0;
    p.end_ms = s.gst_ms;
    for (int i = 0; i < instances; ++i) p.group_of_instance.push_back(i < validators ? static_cast<int>(Uniform(rng, 0, 1)) : 0);
    for (size_t t = 0; t < s.twins.size(); ++t) p.group_of_instance[s.twins[t]] = 1;
    s.partitions.push_back(std::move(p));
  }
  for (uint64_t n = Uniform(rng, 0, 2); n > 0; --n) {
    Crash c;
    c.instance = static_cast<uint32_t>(Uniform(rng, 0, s.instances() - 1));
    c.at_ms = Uniform(rng, 0, s.gst_ms);
    c.restart_ms = c.at_ms + Uniform(rng, 100, 10'000);
    c.inside_event = Uniform(rng, 0, 1) == 0 ? -1 : static_cast<int>(Uniform(rng, 0, 2));
    c.when_voting_for_equivocator = c.inside_event >= 0 && Uniform(rng, 0, 1) == 0;
    s.crashes.push_back(c);
  }
  return s;
}

Scenario LivenessScenario(uint64_t seed, int validators, int down, DownMode mode) {
  std::mt19937_64 rng(seed);
  Scenario s;
  s.seed = seed;
  s.name = down == 0 ? "healthy" : mode == DownMode::kDown ? "down" : "flapping";
  s.validators = validators;
  s.behaviour.assign(validators, Behaviour::kHonest);
  s.gst_ms = 0;
  s.max_delay_after_gst_ms = 40;
  s.check_liveness = false;
  s.run_until_ms = 120'000;
  s.measure_from_ms = 20'000;
  s.tx_until_ms = s.run_until_ms;
  std::vector<uint32_t> order(validators);
  for (int i = 0; i < validators; ++i) order[i] = static_cast<uint32_t>(i);
  for (int i = validators - 1; i > 0; --i) std::swap(order[i], order[Uniform(rng, 0, i)]);
  for (int d = 0; d < down; ++d) {
    if (mode == DownMode::kDown) {
      s.crashes.push_back({order[d], 5'000, s.run_until_ms + 1});
      continue;
    }
    for (uint64_t at = 5'000; at < s.run_until_ms; at += 20'000) s.crashes.push_back({order[d], at, at + 10'000});
  }
  return s;
}

Scenario TwinsScenario(uint64_t index, int twin_count, int rounds, int max_parts) {
  Scenario s;
  s.seed = index;
  s.name = twin_count > 1 ? "twins-control" : "twins";
  s.validators = 4;
  s.behaviour.assign(4, Behaviour::kHonest);
  for (int t = 0; t < twin_count; ++t) s.twins.push_back(static_cast<uint32_t>(t));
  s.twins_rounds = TwinsSpace(s.validators, s.instances(), max_parts).Schedule(index, rounds);
  s.gst_ms = 15'000;
  s.max_delay_before_gst_ms = 20;
  s.max_delay_after_gst_ms = 20;
  s.base_timeout_ms = 500;
  s.idle_proposal_delay_ms = 200;
  // No pacing here: the enumerated twins rounds are laid out for leaders that propose
  // at once, and with pacing the vote-once mutation is no longer reached within 1,000
  // seeds. The random mode runs with pacing.
  s.min_block_interval_ms = 0;
  s.max_timeout_ms = 2'000;
  s.tx_until_ms = 5'000;
  s.check_liveness = twin_count <= 1;
  return s;
}

}  // namespace cairn::sim
