// A simulation run, fully determined by its Scenario: the faults, their times and the
// network's behaviour all come from the seed, so one seed replays a run exactly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "consensus/certificates.h"
#include "consensus/safety_rules.h"

namespace cairn::sim {

enum class Behaviour {
  kHonest,
  kSilent,       // runs the protocol but never sends anything
  kEquivocator,  // as leader proposes two different blocks to two halves; votes for
                 // every proposal it sees and for blocks that do not exist
  kForger,       // sends forged certificates: undersized, badly signed, of another epoch
                 // or another block, in its proposals (a block on an older branch under a
                 // forged timeout certificate), its timeouts and its block-sync answers;
                 // votes for every proposal it sees
};
const char* BehaviourName(Behaviour b);

struct Partition {
  uint64_t start_ms = 0, end_ms = 0;
  std::vector<int> group_of_instance;  // messages cross only within a group
};

struct Crash {
  uint32_t instance = 0;
  uint64_t at_ms = 0, restart_ms = 0;
  // -1: the crash falls between two inputs. k >= 0: inside the first input after at_ms
  // that signs something (a vote, a timeout, a proposal) and has more than k actions
  // that leave a trace (persist, send, commit), after k of them; the rest are lost, as a
  // process killed there loses them.
  int inside_event = -1;
  // An adversary's crash: inside an input in which it votes for a block of an
  // equivocating proposer (an equivocator, a twin), just after the vote leaves (a power
  // cut at the worst moment), with the power back 20-500 ms later.
  bool when_voting_for_equivocator = false;
};

// Twins (tests/sim/twins_space.h): in round r (1-based, up to rounds.size()), the
// leader is `leader` and, until GST, messages of that round cross only within the groups
// of `group_of_instance`; block requests and answers follow the round their sender is in.
struct TwinsRound {
  uint32_t leader = 0;
  std::vector<int> group_of_instance;
  int votes_only_to = -1;     // the one instance that receives the round's votes (-1: the group)
  int timeouts_only_to = -1;  // the same for the round's timeouts
  // A twin instance that leads this round after a timeout certificate proposes a block
  // below the certificate the TC requires it to extend, and votes for it.
  bool stale = false;
};

// A validator-set change at `at_ms`, applied at the next epoch boundary after it is
// approved: the genesis admin proposes additions and removals (admin threshold 1: they
// are approved at once); a rotation is signed by the validator's old and new keys.
struct SetChange {
  enum class Kind {
    kAddSpare,      // the spare instance `target` (0-based among the spares) joins
    kRemoveLeader,  // whoever leads instance 0's current round leaves
    kRotateKey,     // the honest genesis validator `target` replaces its consensus key
  };
  uint64_t at_ms = 0;
  Kind kind = Kind::kAddSpare;
  uint32_t target = 0;
};

struct Scenario {
  uint64_t seed = 0;
  std::string name;
  int validators = 4;
  std::vector<Behaviour> behaviour;  // per validator
  std::vector<uint32_t> twins;       // validators that run a second instance, same key
  uint64_t gst_ms = 10'000;          // global stabilisation time
  uint32_t drop_per_mille = 0;       // before GST
  uint32_t duplicate_per_mille = 0;
  uint64_t max_delay_before_gst_ms = 100;
  uint64_t max_delay_after_gst_ms = 40;
  std::vector<Partition> partitions;
  std::vector<Crash> crashes;
  std::vector<TwinsRound> twins_rounds;
  std::optional<consensus::SafetyRules::Rule> broken_rule;
  consensus::CertificateCheck broken_check = consensus::CertificateCheck::kNone;
  // The adversary chooses the leaders: the first faulty validator leads every even round
  // (round-robin otherwise). Safety may not depend on who leads, so this is fair game,
  // and it gives an attacker the consecutive chances that some attacks need.
  bool adversarial_leaders = false;
  // The network adversary watches commits: before GST, an honest instance that is the
  // first to commit a height is cut off from everyone for this long (0: never). The
  // others then time out without the certificate that committed it, which is exactly
  // when only the lock stops a faulty leader from proposing a conflicting branch.
  uint64_t isolate_first_committer_ms = 0;
  // Before GST the network adversary delivers a vote only to the validator that leads
  // the next round (as the voter's chain elects it): what replicas see of votes is then
  // what a protocol that sends votes to the next leader shows, where only the next
  // leader holds the certificate, and the lock is what protects it.
  bool votes_only_to_next_leader = false;
  bool check_liveness = true;
  // A run of fixed length (0: until liveness is shown): it ends at run_until_ms, and the
  // result counts the blocks committed from measure_from_ms on.
  uint64_t run_until_ms = 0;
  uint64_t measure_from_ms = 0;
  // Plain rotation instead of leader reputation (the baseline it is measured against).
  bool round_robin_leaders = false;
  // Validators 0 .. token_signers-1 keep their keys in a token
  // (ReplicaConfig::driver_signs): the token signs one message at a time, in the order
  // asked, each taking 0-40 ms, and one in ten is a failure (the validator stays silent
  // there). A crash drops the signatures in flight.
  int token_signers = 0;
  // After stabilisation (GST, last restart, last twins round) every honest instance
  // must commit kLivenessBlocks new blocks within this bound.
  uint64_t liveness_bound_ms = 90'000;
  uint64_t base_timeout_ms = 1'000;
  uint64_t max_timeout_ms = 8'000;
  uint64_t idle_proposal_delay_ms = 400;
  uint64_t min_block_interval_ms = 20;
  uint64_t tx_interval_ms = 150;
  uint64_t tx_until_ms = 20'000;
  // Reconfiguration: `spares` instances hold keys outside the genesis set and follow the
  // chain until a change adds them; the set changes at heights that are multiples of
  // `epoch_length` (genesis; 0: the default).
  int spares = 0;
  uint64_t epoch_length = 0;
  std::vector<SetChange> set_changes;

  int instances() const { return validators + static_cast<int>(twins.size()) + spares; }
  // The validator key an instance runs with (TestChain::validator; spares' keys follow
  // the genesis validators').
  uint32_t ValidatorOf(int instance) const {
    const int twins_end = validators + static_cast<int>(twins.size());
    if (instance < validators) return static_cast<uint32_t>(instance);
    if (instance < twins_end) return twins[instance - validators];
    return static_cast<uint32_t>(validators + (instance - twins_end));
  }
  // The behaviour of the validator key `v` (spares are honest).
  Behaviour BehaviourOf(uint32_t v) const { return v < behaviour.size() ? behaviour[v] : Behaviour::kHonest; }
  // Honest instances: neither faulty nor twinned. Liveness is required of them.
  bool IsHonest(int instance) const;
  // The instances whose commits the safety invariants constrain: every one that runs the
  // replica's own code and commits only what certificates prove, twins included. A
  // twin's commit rests on a finality certificate like anyone's, so a twin and an honest
  // instance committing different blocks at one height is a fork, not a twin's mishap.
  // Equivocators and forgers keep every branch open and commit nothing.
  bool ChecksCommits(int instance) const;
  std::string Describe() const;
  std::string DescribeRounds() const;  // a twins scenario's rounds, one line each
};

constexpr int kLivenessBlocks = 3;

// Random faults: network drops, duplicates and delays before GST, partitions that form
// and heal, crash-restarts, and `byzantine` validators of random kinds. With
// `reconfigure`, also a spare that joins and a current leader that leaves while the
// faults go on.
Scenario RandomScenario(uint64_t seed, int validators, int byzantine, bool reconfigure = false);

// Twins scenario number `index` for n = 4 with `twin_count` twinned validators (1 is
// within f; 2 is the control that must break safety): `rounds` rounds of the alphabet of
// tests/sim/twins_space.h with partitions of at most `max_parts` groups, enumerated in
// order of `index` in the first rounds and sampled from it beyond.
Scenario TwinsScenario(uint64_t index, int twin_count, int rounds, int max_parts);

// What a validator down costs: a synchronous network (delays up to 40 ms, no drops)
// with a steady trickle of transactions for 120 s, blocks counted from 20 s on. `down`
// validators, chosen by the seed, crash at 5 s and stay down; with `flapping`, they are
// instead down 10 s and up 10 s from 5 s on. The same seed with down = 0 is the healthy
// run to compare with.
enum class DownMode { kDown, kFlapping };
Scenario LivenessScenario(uint64_t seed, int validators, int down, DownMode mode);

}  // namespace cairn::sim
