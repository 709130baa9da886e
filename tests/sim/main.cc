// cairn-sim: runs the consensus core under simulated faults, seed after seed, and checks
// the invariants. Exit status 0 when every seed passes (or, with --expect-violation, when
// some seed shows a safety violation: how the mutation checks prove the checker can
// fail).
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include <boost/program_options.hpp>

#include "crypto/verifier.h"
#include "tests/sim/world.h"

namespace {

using cairn::consensus::SafetyRules;

constexpr struct {
  const char* name;
  SafetyRules::Rule rule;
} kBreaks[] = {
    {"vote-once-per-round", SafetyRules::Rule::kVoteOncePerRound},
    {"lock", SafetyRules::Rule::kLock},
};

struct Options {
  uint64_t seeds = 100;
  uint64_t first_seed = 1;
  int validators = 4;
  int byzantine = -1;  // -1: f
  bool twins = false;
  int twins_count = 1;
  int twins_rounds = 8;
  std::string break_rule;
  bool expect_violation = false;
  bool verbose = false;
  bool adversarial_leaders = false;
  bool reconfigure = false;
};

cairn::sim::Scenario Make(const Options& o, uint64_t seed) {
  if (o.twins) return cairn::sim::TwinsScenario(seed, o.twins_count, o.twins_rounds);
  int byzantine = o.byzantine >= 0 ? o.byzantine : (o.validators - 1) / 3;
  return cairn::sim::RandomScenario(seed, o.validators, byzantine, o.reconfigure);
}

int Run(const Options& o) {
  std::optional<SafetyRules::Rule> broken;
  if (!o.break_rule.empty()) {
    for (const auto& b : kBreaks) {
      if (o.break_rule == b.name) broken = b.rule;
    }
    if (!broken) {
      std::fprintf(stderr, "cairn-sim: unknown rule '%s'; see --list-breaks\n", o.break_rule.c_str());
      return 2;
    }
  }
  cairn::crypto::CachingVerifier verifier(1 << 20);
  const auto start = std::chrono::steady_clock::now();
  uint64_t blocks = 0, messages = 0, virtual_ms = 0, rejected = 0, violations = 0, evidence = 0, rotations = 0;
  uint64_t seeds_run = 0;
  for (uint64_t seed = o.first_seed; seed < o.first_seed + o.seeds; ++seed) {
    cairn::sim::Scenario scenario = Make(o, seed);
    scenario.broken_rule = broken;
    scenario.adversarial_leaders = o.adversarial_leaders;
    // An adversary that leads every other round can stop a 2-chain protocol from
    // committing (no two consecutive honest rounds): only safety is checked then.
    if (o.adversarial_leaders) scenario.check_liveness = false;
    cairn::sim::RunResult result = cairn::sim::RunScenario(scenario, verifier);
    ++seeds_run;
    blocks += result.max_height;
    messages += result.messages;
    virtual_ms += result.virtual_ms;
    rejected += result.rejected_messages;
    evidence += result.evidence_committed;
    rotations += result.rotated_key_signed ? 1 : 0;
    if (o.verbose) {
      std::printf("seed %llu: %s height=%llu messages=%llu virtual=%llums %s\n", static_cast<unsigned long long>(seed),
                  scenario.Describe().c_str(), static_cast<unsigned long long>(result.max_height),
                  static_cast<unsigned long long>(result.messages), static_cast<unsigned long long>(result.virtual_ms),
                  result.ok ? "ok" : "VIOLATION");
    }
    if (!result.ok && o.expect_violation && !result.safety_violation) {
      // A mutation must show as a fork, not merely a stall: keep looking.
      std::printf("seed %llu: liveness failure, not counted (%s)\n", static_cast<unsigned long long>(seed),
                  result.violation.substr(0, 120).c_str());
      continue;
    }
    if (!result.ok) {
      ++violations;
      std::printf("VIOLATION at seed %llu (%s): %s\n", static_cast<unsigned long long>(seed),
                  scenario.Describe().c_str(), result.violation.c_str());
      if (!o.expect_violation) {
        std::printf("trace of the last events before it:\n");
        for (const std::string& line : result.trace) std::printf("  %s\n", line.c_str());
      }
      break;
    }
  }
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("cairn-sim: mode=%s n=%d%s seeds=%llu (from %llu) committed_blocks=%llu messages=%llu "
              "rejected=%llu evidence=%llu%s violations=%llu wall=%.1fs seeds_per_s=%.1f speedup=%.0fx\n",
              o.twins ? (o.twins_count > 1 ? "twins-control" : "twins") : o.reconfigure ? "reconfigure" : "random", o.twins ? 4 : o.validators,
              broken ? (" break=" + o.break_rule).c_str() : "", static_cast<unsigned long long>(seeds_run),
              static_cast<unsigned long long>(o.first_seed), static_cast<unsigned long long>(blocks),
              static_cast<unsigned long long>(messages), static_cast<unsigned long long>(rejected),
              static_cast<unsigned long long>(evidence),
              o.reconfigure ? (" key_rotations=" + std::to_string(rotations)).c_str() : "",
              static_cast<unsigned long long>(violations), wall_s, seeds_run / wall_s,
              virtual_ms / 1000.0 / wall_s);
  if (o.expect_violation) {
    if (violations == 0) std::printf("cairn-sim: expected a violation and found none: the checker failed\n");
    return violations > 0 ? 0 : 1;
  }
  return violations == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  namespace po = boost::program_options;
  Options o;
  bool list_breaks = false;
  po::options_description options("cairn-sim: the consensus core under simulated faults");
  options.add_options()
      ("help,h", "show this help")
      ("seeds", po::value(&o.seeds), "number of seeds to run (default 100)")
      ("seed", po::value(&o.first_seed), "first seed (default 1); --seeds 1 --seed S replays S")
      ("validators", po::value(&o.validators), "n, at least 4 (default 4)")
      ("byzantine", po::value(&o.byzantine), "faulty validators (default f = (n-1)/3)")
      ("twins", po::bool_switch(&o.twins), "twins scenarios (n = 4) instead of random faults")
      ("twins-count", po::value(&o.twins_count), "twinned validators; 2 is the control that must fail")
      ("twins-rounds", po::value(&o.twins_rounds), "rounds with scenario leaders and partitions (default 8)")
      ("reconfigure", po::bool_switch(&o.reconfigure),
       "random faults while a spare validator joins, a current leader leaves and a validator rotates its key")
      ("adversarial-leaders", po::bool_switch(&o.adversarial_leaders),
       "the first faulty validator leads every even round")
      ("break", po::value(&o.break_rule), "turn off one safety rule (see --list-breaks)")
      ("list-breaks", po::bool_switch(&list_breaks), "print the rules --break accepts")
      ("expect-violation", po::bool_switch(&o.expect_violation), "succeed only if some seed violates a safety invariant")
      ("verbose", po::bool_switch(&o.verbose), "one line per seed");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, options), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "cairn-sim: %s\n", e.what());
    return 2;
  }
  if (vm.count("help")) {
    std::cout << options;
    return 0;
  }
  if (list_breaks) {
    for (const auto& b : kBreaks) std::printf("%s\n", b.name);
    return 0;
  }
  if (o.validators < 4 || o.seeds == 0) {
    std::fprintf(stderr, "cairn-sim: need --validators >= 4 and --seeds >= 1\n");
    return 2;
  }
  return Run(o);
}
