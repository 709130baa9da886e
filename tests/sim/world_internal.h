// The simulator's world: the instances, the network between them, the event queue and
// the invariants, as one class whose parts live in two files: world.cc (events,
// delivery, replicas, block sync, governance, the checks) and byzantine.cc (what the
// faulty validators send: equivocations, forgeries, stale and reckless votes). Internal
// to tests/sim: the interface is RunScenario (world.h).
#pragma once

#include <algorithm>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "consensus/certificates.h"
#include "crypto/domain.h"
#include "ledger/genesis.h"
#include "net/block_sync.h"
#include "node/certificate_check.h"
#include "node/leader_history.h"
#include "node/sync_apply.h"
#include "tests/sim/forgery.h"
#include "tests/sim/instance.h"
#include "tests/sim/scheduled_leaders.h"
#include "tests/sim/workload.h"
#include "tests/sim/world.h"
#include "tests/support/test_chain.h"

namespace cairn::sim {

struct Event {
  enum class Kind {
    kDeliver, kTimer, kProposalTimer, kCrash, kRestart, kSubmit, kTxVisible, kSetChange, kSigned, kSignFailed
  };
  uint64_t time_ms = 0;
  uint64_t seq = 0;
  Kind kind = Kind::kDeliver;
  int instance = 0;
  int from_instance = 0;
  uint64_t round = 0;
  uint64_t generation = 0;
  std::shared_ptr<const v1::ConsensusMessage> message;
};

struct Later {
  bool operator()(const Event& a, const Event& b) const {
    return std::tie(a.time_ms, a.seq) > std::tie(b.time_ms, b.seq);
  }
};

class World {
 public:
  World(const Scenario& scenario, crypto::SignatureVerifier& verifier);

  RunResult Run();

 private:
  void Push(Event e);
  uint64_t Uniform(uint64_t lo, uint64_t hi) { return lo + rng_() % (hi - lo + 1); }

  void Trace(std::string line);

  void Violation(std::string what);

  // Each instance's height and protocol state, for a liveness report.
  std::string Heights() const;

  bool LivenessReached();

  // Whether an honest instance that is up is in a later epoch than instance i, or more
  // than the node's lag_to_sync ahead.
  bool ShouldSync(int i) const;

  bool ChangesApplied(const Instance& in) const;

  void Boot(int i);

  // A fresh speculator, engine and replica for the ledger's current epoch: at boot, when
  // an epoch ends, after a catch-up. As the node does (node.cc, MakeConsensus).
  void StartReplica(int i);

  // Block sync, as a perfect network gives it: the committed blocks of the highest honest
  // instance, one epoch per response as a node sends them, checked and applied by the
  // node's own code (node/sync_apply.h).
  // Returns whether the instance's ledger moved (and its replica was restarted).
  bool CatchUp(int i);

  // The key instance `i` signs with under `committee`: its own, or its rotated key once
  // the set names that one instead (node.cc: SigningKeyFor); nullptr when neither is.
  const crypto::PrivateKey* KeyIn(int i, const consensus::Committee& committee) const;

  // Whether `key` is validator `v`'s key, first or rotated.
  bool SignsAs(uint32_t v, ByteView key) const;

  // The honest instance that is up with the highest committed height.
  const Instance* MostAdvancedHonest() const;

  // A validator's key rotation, signed by its old and new keys and sent from the admin's
  // account (any account would do). The signatures name the epoch, so a rotation that a
  // boundary overtook fails on chain; like an operator, the simulator reads the receipt
  // and signs again, until it holds or the validator has left the set.
  void RotateKey(size_t index);

  // The admin proposes a scenario's set change; it travels like any transaction.
  void ProposeSetChange(const SetChange& change);

  // A submitted transaction reaches each instance after its own gossip delay.
  void Gossip(v1::Transaction tx);
  // CommittedMultiSigned of the highest honest instance's ledger.
  uint64_t MultiSignedCommitted() const;

  void CrashInstance(int i);

  void Handle(const Event& e);

  // Actions that leave a trace outside the replica: where a crash inside an input may fall.
  static bool LeavesATrace(const consensus::Action& action);

  // Sends a vote for a block whose proposer may have proposed another one in its round:
  // an equivocator, or a twinned validator.
  bool VotesForEquivocator(const consensus::Action& action) const;

  // Sends a vote, a timeout or a proposal: the inputs whose interruption the safety
  // record exists for.
  static bool Signs(const consensus::Action& action);

  void Apply(int i, consensus::Actions actions);

  // With a voting rule turned off, honest replicas do equivocate: what those runs must
  // show is the fork that follows.
  bool VotingRuleBroken() const;

  // What an honest validator signs never conflicts, whatever crashes it went through: its
  // safety record covers every vote, timeout and proposal before it leaves; at most one
  // vote a round; none in a round after its timeout there.
  void CheckSignsNoConflict(int i, const consensus::Action& action);

  // Evidence may convict only a faulty validator: an equivocator, or a twinned key.
  void CheckEvidenceConvictsTheFaulty(const ledger::Ledger& ledger, const v1::Block& block);

  // One instance at a time, so that the others can make progress without it.
  bool AnyIsolated() const;

  bool Connected(int a, int b, const v1::ConsensusMessage& m) const;

  void Deliver(int from, int to, std::shared_ptr<const v1::ConsensusMessage> message);

  // A message to every other instance, as far as the network lets it go.
  void Broadcast(int i, const std::shared_ptr<const v1::ConsensusMessage>& message);

  // The twins round a message belongs to before GST, if the scenario names it.
  const TwinsRound* TwinsRoundOf(uint64_t round) const;

  // TwinsRound::votes_only_to and timeouts_only_to: the one instance a vote or a timeout
  // of that round reaches.
  std::optional<int> TwinsReceiver(const v1::ConsensusMessage& m) const;

  // Scenario::votes_only_to_next_leader: the one validator (of `in`'s set) a vote may
  // reach now, if the adversary limits it.
  std::optional<uint32_t> VoteCollectorBeforeGst(const Instance& in, const v1::ConsensusMessage& m) const;

  // A proposal that only the lock rule (SafetyRules::SafeToVote) refuses: of the round
  // after a timeout certificate, extending a certificate below the highest one that
  // certificate's signers reported.
  static bool TestsTheLock(const v1::Proposal& proposal);

  // The faulty validators' messages (byzantine.cc).
  // A forger instance that is up, or -1.
  int ForgerUp() const;

  // `answer` as forger `f` would send it: one block's certificate forged (of a kind
  // chosen by the seed), if `f` is in the answer's epoch's set.
  std::optional<v1::SyncResponse> ForgeSyncAnswer(int f, const consensus::Context& context, v1::SyncResponse answer);

  void Remember(const v1::Block& block);

  // An equivocating leader: a second, different block for the same round. Each replica
  // gets the two in a random order, or neither (withheld, so that some replicas learn of
  // a certificate and commit while others do not); an honest replica votes for the first
  // only.
  void Equivocate(int i, const v1::Proposal& proposal);

  // A block for `request`'s round on a branch below its parent, the first one from
  // `first_depth` to 3 levels down on which this validator leads the round too (leaders
  // depend on the chain), naming the rounds that branch skipped. Of a round entered by a
  // timeout certificate, only the lock rule stops replicas voting for it. (The
  // equivocator never commits its own ledger, so it can still build on blocks the others
  // have moved past.)
  std::optional<v1::Block> OlderBranch(int i, consensus::BlockEngine::ProposalRequest older, uint64_t first_depth);

  // A request for another block of `proposal`'s round, on its parent.
  static consensus::BlockEngine::ProposalRequest RequestLike(const v1::Proposal& proposal);

  // The latest block proposed in `epoch` below `round`, if any.
  const v1::Block* LatestProposalBelow(uint64_t epoch, uint64_t round) const;

  // Behaviour::kForger: each forged message goes out once for every kind of forgery
  // (forgery.h), so that each certificate check meets every attack. Its timeouts go out
  // as they are and again with a forged certificate of the latest block it saw (which,
  // taken, would commit that block's parent). Its proposal goes to one instance; the
  // others get forgeries instead: a block on a branch 1 or 2 levels below, entered by a
  // forged timeout certificate (with its vote: the lock attack, when it alone holds the
  // certificate of the round before), or, without such a branch or half the time, its
  // block with the parent's certificate forged. Returns whether it replaced `message`.
  bool Forge(int i, const v1::ConsensusMessage& message);

  // TwinsRound::stale: a twin instance leading a round it entered by a timeout
  // certificate sends, instead of its proposal, a block one level below the certificate
  // that the TC requires it to extend, and its vote for that block instead of its vote
  // for the one it built. Returns whether it did.
  bool ProposeStale(int i, const v1::Proposal& proposal);

  // A Byzantine voter: votes for every proposal it sees, whatever the rules say, and for
  // a block that does not exist.
  void ByzantineVotes(int i, const v1::Proposal& proposal);

  const Scenario& s_;
  crypto::SignatureVerifier& verifier_;
  test::TestChain chain_;
  consensus::Context context_;
  std::vector<Instance> instances_;
  std::vector<SubmittedTx> submitted_;
  std::map<Hash, v1::Block> proposed_;  // every proposed block, for the equivocator
  std::set<Hash> older_branches_;       // the equivocator's blocks below the highest certificate
  std::set<std::pair<int, Bytes>> withheld_votes_;  // (instance, block hash): a stale twin's own block
  std::map<int, SeenSignatures> seen_;               // what each forger has received
  std::map<std::tuple<uint32_t, uint64_t, uint64_t>, Bytes> voted_;  // (validator, epoch, round) -> block voted
  std::set<std::tuple<uint32_t, uint64_t, uint64_t>> timed_out_;     // (validator, epoch, round)
  Workload workload_;
  std::set<uint64_t> evidence_heights_;  // heights whose evidence was counted
  uint64_t admin_nonce_ = 0;
  std::optional<Hash> rotation_tx_;  // the last rotation sent
  size_t dropped_rotations_ = 0;     // rotations of validators that left first
  std::priority_queue<Event, std::vector<Event>, Later> queue_;
  uint64_t seq_ = 0;
  uint64_t now_ = 0;
  uint64_t stable_from_ms_ = 0;
  bool baseline_taken_ = false;
  std::mt19937_64 rng_;
  Checker checker_;
  RunResult result_;
  std::deque<std::string> trace_;
};

}  // namespace cairn::sim
