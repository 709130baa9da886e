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

using cairn::consensus::CertificateCheck;
using cairn::consensus::SafetyRules;

// What --break turns off: a safety rule of the replica, or a check of certificates
// (consensus/certificates.h), which forgers' certificates then pass.
constexpr struct {
  const char* name;
  std::optional<SafetyRules::Rule> rule;
  CertificateCheck check;
} kBreaks[] = {
    {"vote-once-per-round", SafetyRules::Rule::kVoteOncePerRound, CertificateCheck::kNone},
    {"lock", SafetyRules::Rule::kLock, CertificateCheck::kNone},
    {"tc-highest-certificate", SafetyRules::Rule::kTcHighestCertificate, CertificateCheck::kNone},
    {"vote-after-timeout", SafetyRules::Rule::kNoVoteAfterTimeout, CertificateCheck::kNone},
    {"vote-unpersisted", SafetyRules::Rule::kPersistVote, CertificateCheck::kNone},
    {"vote-before-persist", SafetyRules::Rule::kPersistVoteFirst, CertificateCheck::kNone},
    {"commit-nonconsecutive", SafetyRules::Rule::kCommitConsecutive, CertificateCheck::kNone},
    {"commit-certified", SafetyRules::Rule::kCommitParent, CertificateCheck::kNone},
    {"qc-quorum", std::nullopt, CertificateCheck::kQcQuorum},
    {"qc-signatures", std::nullopt, CertificateCheck::kQcSignatures},
    {"tc-quorum", std::nullopt, CertificateCheck::kTcQuorum},
    {"tc-signatures", std::nullopt, CertificateCheck::kTcSignatures},
};

struct Options {
  uint64_t seeds = 100;
  uint64_t first_seed = 1;
  int validators = 4;
  int byzantine = -1;  // -1: f
  bool twins = false;
  int twins_count = 1;
  int twins_rounds = 8;
  int twins_partitions = 2;
  std::string break_rule;
  bool expect_violation = false;
  bool verbose = false;
  bool adversarial_leaders = false;
  bool reconfigure = false;
  bool liveness = false;
  int down = -1;  // -1: f
  bool flapping = false;
  bool round_robin = false;
  double min_ratio = 0;
  int token_signers = 0;
};

cairn::sim::Scenario Make(const Options& o, uint64_t seed) {
  if (o.twins) return cairn::sim::TwinsScenario(seed, o.twins_count, o.twins_rounds, o.twins_partitions);
  int byzantine = o.byzantine >= 0 ? o.byzantine : (o.validators - 1) / 3;
  return cairn::sim::RandomScenario(seed, o.validators, byzantine, o.reconfigure);
}

// --liveness: blocks committed per simulated second with validators down against the
// same seeds healthy.
int RunLiveness(const Options& o) {
  cairn::crypto::CachingVerifier verifier(1 << 20);
  const int down = o.down >= 0 ? o.down : (o.validators - 1) / 3;
  const auto mode = o.flapping ? cairn::sim::DownMode::kFlapping : cairn::sim::DownMode::kDown;
  uint64_t healthy_blocks = 0, faulty_blocks = 0, measured_ms = 0;
  double worst = 1e9;
  uint64_t worst_seed = 0;
  for (uint64_t seed = o.first_seed; seed < o.first_seed + o.seeds; ++seed) {
    uint64_t blocks[2] = {0, 0};
    for (int faulty = 0; faulty < 2; ++faulty) {
      cairn::sim::Scenario s = cairn::sim::LivenessScenario(seed, o.validators, faulty ? down : 0, mode);
      s.round_robin_leaders = o.round_robin;
      cairn::sim::RunResult result = cairn::sim::RunScenario(s, verifier);
      if (!result.ok) {
        std::printf("VIOLATION at seed %llu (%s): %s\n", static_cast<unsigned long long>(seed), s.Describe().c_str(),
                    result.violation.c_str());
        return 1;
      }
      blocks[faulty] = result.height_at_end - result.height_at_measure_start;
      if (faulty == 0) measured_ms += s.run_until_ms - s.measure_from_ms;
    }
    healthy_blocks += blocks[0];
    faulty_blocks += blocks[1];
    const double ratio = blocks[0] ? static_cast<double>(blocks[1]) / blocks[0] : 0;
    if (o.verbose) {
      std::printf("seed %llu: healthy %llu blocks, %d %s %llu blocks, ratio %.2f\n", static_cast<unsigned long long>(seed),
                  static_cast<unsigned long long>(blocks[0]), down, o.flapping ? "flapping" : "down",
                  static_cast<unsigned long long>(blocks[1]), ratio);
    }
    if (ratio < worst) {
      worst = ratio;
      worst_seed = seed;
    }
  }
  const double seconds = measured_ms / 1000.0;
  const double ratio = healthy_blocks ? static_cast<double>(faulty_blocks) / healthy_blocks : 0;
  std::printf("cairn-sim: mode=liveness leaders=%s n=%d %s=%d seeds=%llu (from %llu) healthy_blocks_per_s=%.2f "
              "faulty_blocks_per_s=%.2f ratio=%.3f worst_seed=%llu worst_ratio=%.3f\n",
              o.round_robin ? "round-robin" : "reputation", o.validators, o.flapping ? "flapping" : "down", down,
              static_cast<unsigned long long>(o.seeds), static_cast<unsigned long long>(o.first_seed),
              healthy_blocks / seconds, faulty_blocks / seconds, ratio, static_cast<unsigned long long>(worst_seed), worst);
  if (ratio < o.min_ratio) {
    std::printf("cairn-sim: the faulty network committed %.3f of the healthy rate, below --min-ratio %.2f\n", ratio,
                o.min_ratio);
    return 1;
  }
  return 0;
}

int Run(const Options& o) {
  std::optional<SafetyRules::Rule> broken;
  CertificateCheck broken_check = CertificateCheck::kNone;
  if (!o.break_rule.empty()) {
    for (const auto& b : kBreaks) {
      if (o.break_rule == b.name) {
        broken = b.rule;
        broken_check = b.check;
      }
    }
    if (!broken && broken_check == CertificateCheck::kNone) {
      std::fprintf(stderr, "cairn-sim: unknown rule '%s'; see --list-breaks\n", o.break_rule.c_str());
      return 2;
    }
  }
  cairn::crypto::CachingVerifier verifier(1 << 20);
  const auto start = std::chrono::steady_clock::now();
  uint64_t blocks = 0, messages = 0, virtual_ms = 0, rejected = 0, violations = 0, evidence = 0, rotations = 0, lock_tests = 0, multi_signed_ok = 0;
  uint64_t forgeries = 0, forgeries_refused_in_sync = 0;
  uint64_t seeds_run = 0;
  for (uint64_t seed = o.first_seed; seed < o.first_seed + o.seeds; ++seed) {
    cairn::sim::Scenario scenario = Make(o, seed);
    scenario.broken_rule = broken;
    scenario.broken_check = broken_check;
    scenario.adversarial_leaders = o.adversarial_leaders;
    scenario.token_signers = o.token_signers;
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
    lock_tests += result.lock_tests;
    forgeries += result.forgeries;
    forgeries_refused_in_sync += result.forgeries_refused_in_sync;
    rotations += result.rotated_key_signed ? 1 : 0;
    multi_signed_ok += result.multi_signed_ok;
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
      std::printf("VIOLATION at seed %llu (%s): %s\n%s", static_cast<unsigned long long>(seed),
                  scenario.Describe().c_str(), result.violation.c_str(), scenario.DescribeRounds().c_str());
      if (!o.expect_violation) {
        std::printf("trace of the last events before it:\n");
        for (const std::string& line : result.trace) std::printf("  %s\n", line.c_str());
      }
      break;
    }
  }
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("cairn-sim: mode=%s n=%d%s seeds=%llu (from %llu) committed_blocks=%llu messages=%llu "
              "rejected=%llu evidence=%llu lock_tests=%llu forged=%llu forged_sync_refused=%llu multi_signed_ok=%llu%s "
              "violations=%llu wall=%.1fs "
              "seeds_per_s=%.1f speedup=%.0fx\n",
              o.twins ? (o.twins_count > 1 ? "twins-control" : "twins") : o.reconfigure ? "reconfigure" : "random", o.twins ? 4 : o.validators,
              o.break_rule.empty() ? "" : (" break=" + o.break_rule).c_str(), static_cast<unsigned long long>(seeds_run),
              static_cast<unsigned long long>(o.first_seed), static_cast<unsigned long long>(blocks),
              static_cast<unsigned long long>(messages), static_cast<unsigned long long>(rejected),
              static_cast<unsigned long long>(evidence), static_cast<unsigned long long>(lock_tests),
              static_cast<unsigned long long>(forgeries), static_cast<unsigned long long>(forgeries_refused_in_sync),
              static_cast<unsigned long long>(multi_signed_ok),
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
      ("twins-partitions", po::value(&o.twins_partitions), "twins: at most this many groups a round (default 2)")
      ("reconfigure", po::bool_switch(&o.reconfigure),
       "random faults while a spare validator joins, a current leader leaves and a validator rotates its key")
      ("liveness", po::bool_switch(&o.liveness),
       "blocks a simulated second with validators down (--down, default f) against none, per seed")
      ("down", po::value(&o.down), "validators down in --liveness (default f)")
      ("flapping", po::bool_switch(&o.flapping), "--liveness: they are down 10 s and up 10 s, over and over")
      ("round-robin", po::bool_switch(&o.round_robin), "--liveness: plain rotation instead of leader reputation")
      ("min-ratio", po::value(&o.min_ratio), "--liveness: fail below this ratio of the healthy rate")
      ("adversarial-leaders", po::bool_switch(&o.adversarial_leaders),
       "the first faulty validator leads every even round")
      ("break", po::value(&o.break_rule), "turn off one safety rule (see --list-breaks)")
      ("list-breaks", po::bool_switch(&list_breaks), "print the rules --break accepts")
      ("expect-violation", po::bool_switch(&o.expect_violation), "succeed only if some seed violates a safety invariant")
      ("token-signers", po::value(&o.token_signers),
       "the first K validators sign through a token: late (0-40 ms) and failing one time in ten")
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
  if (o.twins_partitions < 2 || o.twins_partitions > 5) {
    std::fprintf(stderr, "cairn-sim: --twins-partitions is 2 to 5 (the instances of n = 4 and one twin)\n");
    return 2;
  }
  if (o.validators < 4 || o.seeds == 0) {
    std::fprintf(stderr, "cairn-sim: need --validators >= 4 and --seeds >= 1\n");
    return 2;
  }
  return o.liveness ? RunLiveness(o) : Run(o);
}
