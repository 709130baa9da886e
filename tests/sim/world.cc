// The simulator's world (world_internal.h): events, delivery, replicas, block sync,
// governance and the invariants. The faulty validators' messages are in byzantine.cc.
#include "tests/sim/world.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <tuple>

#include "node/consensus_signer.h"
#include "tests/sim/world_internal.h"


namespace cairn::sim {

namespace {

constexpr size_t kTraceLength = 80;
constexpr int kUsers = Workload::kUsers;
constexpr uint64_t kGossipDelayMaxMs = 300;
constexpr uint64_t kRotationRecheckMs = 1'000;  // how often the "operator" reads the rotation's receipt
constexpr size_t kHeldMessagesMax = 256;        // messages held for a crashed instance

uint64_t RoundOf(const v1::ConsensusMessage& m) {
  switch (m.kind_case()) {
    case v1::ConsensusMessage::kProposal: {
      v1::BlockHeader header;
      header.ParseFromString(m.proposal().block().header());
      return header.round();
    }
    case v1::ConsensusMessage::kVote: return m.vote().round();
    case v1::ConsensusMessage::kTimeout: return m.timeout().round();
    default: return 0;
  }
}

const char* KindOf(const v1::ConsensusMessage& m) {
  switch (m.kind_case()) {
    case v1::ConsensusMessage::kProposal: return "proposal";
    case v1::ConsensusMessage::kVote: return "vote";
    case v1::ConsensusMessage::kTimeout: return "timeout";
    case v1::ConsensusMessage::kBlockRequest: return "block-request";
    case v1::ConsensusMessage::kBlockResponse: return "block-response";
    default: return "empty";
  }
}

// Who each instance is, for the checker's messages.
std::vector<std::string> InstanceNames(const Scenario& s) {
  std::vector<std::string> names;
  for (int i = 0; i < s.instances(); ++i) {
    const uint32_t v = s.ValidatorOf(i);
    std::string kind = BehaviourName(s.BehaviourOf(v));
    if (std::find(s.twins.begin(), s.twins.end(), v) != s.twins.end()) kind = "twin";
    names.push_back("instance " + std::to_string(i) + " (" + kind + ", validator " + std::to_string(v) + ")");
  }
  return names;
}

}  // namespace

World::World(const Scenario& scenario, crypto::SignatureVerifier& verifier)
    : s_(scenario),
      verifier_(verifier),
      chain_({.validators = scenario.validators, .users = kUsers, .admin_threshold = 1,
              .epoch_length = scenario.epoch_length, .spare_validators = std::max(4, scenario.spares)}),
      context_{chain_.chain_id(), consensus::Committee::From(ledger::BuildGenesisState(chain_.genesis()).validators).value(),
               ledger::BuildGenesisState(chain_.genesis()).block_hash},
      instances_(scenario.instances()),
      workload_(chain_),
      rng_(scenario.seed ^ 0x5eed5eed5eedull),
      checker_(chain_.chain_id(), verifier, InstanceNames(scenario)) {
  for (int i = 0; i < s_.instances(); ++i) instances_[i].validator = s_.ValidatorOf(i);
  stable_from_ms_ = s_.gst_ms;
  for (const Crash& c : s_.crashes) stable_from_ms_ = std::max(stable_from_ms_, c.restart_ms);
  for (const SetChange& c : s_.set_changes) stable_from_ms_ = std::max(stable_from_ms_, c.at_ms);
}

RunResult World::Run() {
  for (int i = 0; i < s_.instances(); ++i) Boot(i);
  for (size_t k = 0; k < s_.crashes.size(); ++k) {
    const Crash& c = s_.crashes[k];
    Push({.time_ms = c.at_ms, .kind = Event::Kind::kCrash, .instance = static_cast<int>(c.instance), .round = k});
    Push({.time_ms = c.restart_ms, .kind = Event::Kind::kRestart, .instance = static_cast<int>(c.instance)});
  }
  Push({.time_ms = s_.tx_interval_ms, .kind = Event::Kind::kSubmit});
  for (size_t c = 0; c < s_.set_changes.size(); ++c) {
    Push({.time_ms = s_.set_changes[c].at_ms, .kind = Event::Kind::kSetChange, .round = c});
  }
  const uint64_t deadline = stable_from_ms_ + s_.liveness_bound_ms;
  while (!queue_.empty() && result_.ok) {
    Event e = queue_.top();
    queue_.pop();
    now_ = e.time_ms;
    if (now_ > deadline) break;
    if (s_.run_until_ms > 0 && now_ >= s_.run_until_ms) break;
    if (now_ < s_.measure_from_ms) result_.height_at_measure_start = checker_.max_height();
    Handle(e);
    if (now_ >= stable_from_ms_ && LivenessReached()) break;
  }
  if (result_.ok && s_.check_liveness && !LivenessReached()) {
    Violation("LIVENESS: after stabilisation at " + std::to_string(stable_from_ms_) +
              " ms, not every honest instance committed " + std::to_string(kLivenessBlocks) +
              " new blocks within " + std::to_string(s_.liveness_bound_ms) + " ms" + Heights());
  }
  result_.max_height = checker_.max_height();
  result_.height_at_end = checker_.max_height();
  result_.multi_signed_ok = MultiSignedCommitted();
  result_.virtual_ms = now_;
  for (const Instance& in : instances_) {
    if (in.replica) result_.rejected_messages += in.replica->rejected_messages();
  }
  return std::move(result_);
}

void World::Push(Event e) {
  e.seq = seq_++;
  queue_.push(std::move(e));
}

void World::Trace(std::string line) {
  if (trace_.size() == kTraceLength) trace_.pop_front();
  trace_.push_back("t=" + std::to_string(now_) + "ms " + std::move(line));
}

void World::Violation(std::string what) {
  if (!result_.ok) return;
  result_.ok = false;
  result_.violation = std::move(what);
  result_.trace.assign(trace_.begin(), trace_.end());
}

std::string World::Heights() const {
  std::string out = "; instances:";
  for (int i = 0; i < s_.instances(); ++i) {
    const Instance& in = instances_[i];
    out += " [i" + std::to_string(i) + " height=" + std::to_string(checker_.height(i));
    if (in.replica) {
      const auto& r = in.replica->safety_record();
      out += " round=" + std::to_string(in.replica->current_round()) +
             " high_qc=" + std::to_string(in.replica->high_qc().round()) +
             " voted=" + std::to_string(r.highest_voted_round()) +
             " locked=" + std::to_string(r.highest_qc_round()) +
             " rejected=" + std::to_string(in.replica->rejected_messages());
      if (!in.replica->last_rejection().ok()) out += " (" + in.replica->last_rejection().ToString() + ")";
    } else {
      out += " down";
    }
    out += "]";
  }
  return out;
}

bool World::LivenessReached() {
  if (s_.run_until_ms > 0) return false;  // runs its full length
  if (!s_.check_liveness) {
    // Without a liveness requirement a run ends soon after stabilisation: the attacks
    // that matter for safety happen while the network misbehaves.
    return now_ >= stable_from_ms_ + 5'000;
  }
  if (!baseline_taken_) {
    for (Instance& in : instances_) in.height_at_stabilisation = checker_.height(&in - instances_.data());
    baseline_taken_ = true;
  }
  for (int i = 0; i < s_.instances(); ++i) {
    if (!s_.IsHonest(i)) continue;
    if (checker_.height(i) < instances_[i].height_at_stabilisation + kLivenessBlocks) return false;
    // Every set change must have taken effect (liveness through reconfiguration).
    if (!s_.set_changes.empty() && !ChangesApplied(instances_[i])) return false;
  }
  return true;
}

bool World::ShouldSync(int i) const {
  const ledger::Ledger& mine = *instances_[i].ledger;
  for (int j = 0; j < s_.instances(); ++j) {
    if (j == i || !instances_[j].up || !s_.IsHonest(j)) continue;
    const ledger::Ledger& theirs = *instances_[j].ledger;
    if (theirs.epoch() > mine.epoch() || theirs.height() > mine.height() + net::SyncConfig().lag_to_sync) return true;
  }
  return false;
}

bool World::ChangesApplied(const Instance& in) const {
  if (!in.up) return false;
  const v1::GovernanceState governance = in.ledger->Governance();
  return governance.next_proposal_id() > s_.set_changes.size() - dropped_rotations_ && governance.open_size() == 0;
}

void World::Boot(int i) {
  Instance& in = instances_[i];
  in.ledger = ledger::Ledger::Open(std::make_unique<SharedStore>(in.store), chain_.genesis(), &verifier_).value();
  in.pool = std::make_unique<SharedPool>(submitted_, *in.ledger, i, now_);
  in.evidence = std::make_unique<node::EvidencePool>(*in.ledger, 64);
  in.up = true;
  Trace("boot instance " + std::to_string(i) + " at height " + std::to_string(in.ledger->height()));
  StartReplica(i);
  for (auto& [from, message] : in.held) {
    Push({.time_ms = now_ + Uniform(1, s_.max_delay_before_gst_ms), .kind = Event::Kind::kDeliver, .instance = i,
          .from_instance = from, .message = std::move(message)});
  }
  in.held.clear();
}

void World::StartReplica(int i) {
  Instance& in = instances_[i];
  in.replica.reset();
  in.engine.reset();
  in.speculator = std::make_unique<ledger::Speculator>(*in.ledger, 4096);
  in.engine = std::make_unique<node::LedgerEngine>(*in.ledger, *in.speculator, *in.pool, 50, in.evidence.get());
  ledger::ConsensusStart start = in.ledger->StartOfConsensus().value();
  auto committee = consensus::Committee::From(start.validators).value();
  const uint64_t epoch = committee.epoch();
  const crypto::PrivateKey* key = KeyIn(i, committee);
  std::optional<uint32_t> self = key ? committee.IndexOf(key->public_key()) : std::nullopt;
  if (self && in.next_key && key == &*in.next_key) result_.rotated_key_signed = true;
  in.context = std::make_unique<consensus::Context>(
      consensus::Context{chain_.chain_id(), std::move(committee), start.root.hash, start.root.height});
  in.leaders = MakeSimLeaders(s_, chain_.genesis(), epoch, in.context->committee.size());
  std::vector<consensus::ChainRecord> history =
      node::CommittedChainRecords(*in.ledger, start, in.leaders->window_blocks()).value();
  v1::SafetyRecord record = in.ledger->LoadSafetyRecord().value().value_or(v1::SafetyRecord());
  in.persisted = record;
  if (record.epoch() > epoch) self.reset();  // signed in a later epoch: only follow
  if (record.epoch() != epoch) {
    record.Clear();
    record.set_epoch(epoch);
  }
  consensus::RecoveredState recovered{
      .head = {start.head.block, start.head.header, start.head.hash,
               HashFromBytes(start.head.header.parent_hash()).value()},
      .head_qc = start.head_qc,
      .safety = std::move(record),
      .history = std::move(history),
      .voted_blocks = in.voted_blocks};
  const bool token = self && static_cast<int>(in.validator) < s_.token_signers;
  consensus::ReplicaConfig config{.context = *in.context, .self = self,
                                  .base_timeout_ms = s_.base_timeout_ms, .max_timeout_ms = s_.max_timeout_ms,
                                  .idle_proposal_delay_ms = s_.idle_proposal_delay_ms,
                                  .min_block_interval_ms = s_.min_block_interval_ms,
                                  .driver_signs = token};
  in.replica = std::make_unique<consensus::Replica>(
      config, self && !token ? key : nullptr, *in.engine, verifier_, *in.leaders,
      std::move(recovered));
  if (s_.broken_rule && s_.IsHonest(i)) in.replica->TEST_BreakSafetyRule(*s_.broken_rule);
  in.epoch_ended = false;
  ++in.generation;
  if (epoch > 0) {
    Trace("instance " + std::to_string(i) + " in epoch " + std::to_string(epoch) + " as " +
          (self ? "validator " + std::to_string(*self) : std::string("observer")));
  }
  Apply(i, in.replica->Start(now_));
}

bool World::CatchUp(int i) {
  Instance& in = instances_[i];
  int source = -1;
  for (int j = 0; j < s_.instances(); ++j) {
    if (j == i || !instances_[j].up || !s_.IsHonest(j)) continue;
    if (source < 0 || instances_[j].ledger->height() > instances_[source].ledger->height()) source = j;
  }
  if (source < 0) return false;
  const ledger::Ledger& from = *instances_[source].ledger;
  const int forger = ForgerUp();
  bool moved = false;
  // What the instance committed from a sync answer, through the checker.
  auto check = [&](const std::vector<v1::Block>& committed, const consensus::Context& context) {
    for (const v1::Block& block : committed) {
      v1::BlockHeader header;
      header.ParseFromString(block.header());
      const v1::QuorumCertificate certificate = *in.ledger->GetBlock(header.height()).value().certificate;
      if (auto violation = checker_.OnCommit(i, s_.ChecksCommits(i), block, certificate, now_, context)) {
        result_.safety_violation = true;
        Violation(*violation);
        return false;
      }
    }
    return true;
  };
  while (in.ledger->height() < from.height()) {
    v1::SyncResponse response = node::BuildSyncResponse(from, in.ledger->height() + 1, 64, 8u << 20);
    const consensus::Context context = node::CurrentEpochContext(*in.ledger).value();
    // A forger that is up answers first, with one certificate forged: the node must
    // refuse the answer (and ask elsewhere, as it does).
    if (forger >= 0 && Uniform(0, 1) == 0) {
      if (std::optional<v1::SyncResponse> forged = ForgeSyncAnswer(forger, context, response)) {
        node::SyncOutcome taken = node::ApplySyncResponse(*in.ledger, verifier_, std::move(*forged));
        if (taken.lied) ++result_.forgeries_refused_in_sync;
        if (!check(taken.committed, context)) return false;
        if (!taken.committed.empty()) {
          moved = true;
          continue;
        }
      }
    }
    node::SyncOutcome outcome = node::ApplySyncResponse(*in.ledger, verifier_, std::move(response));
    if (outcome.lied || !outcome.why.empty()) {
      Violation("instance " + std::to_string(i) + " could not sync from instance " + std::to_string(source) + ": " +
                outcome.why);
      return false;
    }
    if (outcome.committed.empty()) break;
    if (!check(outcome.committed, context)) return false;
    moved = true;
  }
  if (!moved) return false;
  Trace("instance " + std::to_string(i) + " synced to height " + std::to_string(in.ledger->height()) + " from instance " +
        std::to_string(source));
  StartReplica(i);
  return true;
}

const crypto::PrivateKey* World::KeyIn(int i, const consensus::Committee& committee) const {
  const Instance& in = instances_[i];
  const crypto::PrivateKey& own = chain_.validator(static_cast<int>(in.validator));
  if (committee.IndexOf(own.public_key())) return &own;
  if (in.next_key && committee.IndexOf(in.next_key->public_key())) return &*in.next_key;
  return nullptr;
}

bool World::SignsAs(uint32_t v, ByteView key) const {
  if (chain_.validator(static_cast<int>(v)).public_key().bytes() == key) return true;
  for (const Instance& in : instances_) {
    if (in.validator == v && in.next_key && in.next_key->public_key().bytes() == key) return true;
  }
  return false;
}

const Instance* World::MostAdvancedHonest() const {
  const Instance* best = nullptr;
  for (int j = 0; j < s_.instances(); ++j) {
    const Instance& in = instances_[j];
    if (in.up && s_.IsHonest(j) && (best == nullptr || in.ledger->height() > best->ledger->height())) best = &in;
  }
  return best;
}

void World::RotateKey(size_t index) {
  const SetChange& change = s_.set_changes[index];
  const std::string name = "validator-" + std::to_string(change.target);
  const Instance* seer = MostAdvancedHonest();
  const Event recheck{.time_ms = now_ + kRotationRecheckMs, .kind = Event::Kind::kSetChange, .round = index};
  if (seer == nullptr) return Push(recheck);
  if (rotation_tx_) {
    auto stored = seer->ledger->GetTransaction(*rotation_tx_);
    if (!stored.ok()) return Push(recheck);  // not committed yet
    if (stored->receipt.result() == v1::TX_OK) return;
    Trace("the rotation of " + name + " failed: " + stored->receipt.message());
  }
  const v1::GovernanceState governance = seer->ledger->Governance();
  const auto& members = governance.validators().validators();
  if (std::none_of(members.begin(), members.end(), [&](const v1::ValidatorInfo& v) { return v.name() == name; })) {
    Trace(name + " has left the set: its rotation is dropped");
    ++dropped_rotations_;
    return;
  }
  const crypto::PrivateKey next = test::KeyFromLabel("rotated-" + name);
  for (Instance& in : instances_) {
    if (in.validator == change.target) in.next_key = test::KeyFromLabel("rotated-" + name);
  }
  const Bytes new_key(next.public_key().bytes());
  const Bytes message = ledger::KeyRotationMessage(chain_.chain_id(), name, governance.epoch(), new_key);
  v1::TxBody body;
  v1::RotateValidatorKey* rotation = body.mutable_rotate_validator_key();
  rotation->set_name(name);
  rotation->set_new_public_key(new_key);
  rotation->set_old_key_signature(chain_.validator(static_cast<int>(change.target)).Sign(message));
  rotation->set_new_key_signature(next.Sign(message));
  v1::Transaction tx = chain_.Sign(chain_.admin(), ++admin_nonce_, std::move(body));
  rotation_tx_ = crypto::TxHash(chain_.chain_id(), tx.public_key(), tx.signature(), tx.body());
  Trace(name + " rotates its key in epoch " + std::to_string(governance.epoch()));
  Gossip(std::move(tx));
  Push(recheck);
}

void World::ProposeSetChange(const SetChange& change) {
  v1::ValidatorChange proposal;
  if (change.kind == SetChange::Kind::kAddSpare) {
    const int key = s_.validators + static_cast<int>(change.target);
    proposal.set_kind(v1::ValidatorChange::KIND_ADD);
    proposal.mutable_validator()->set_name("validator-" + std::to_string(key));
    proposal.mutable_validator()->set_public_key(Bytes(chain_.validator(key).public_key().bytes()));
    proposal.mutable_validator()->set_address("sim:" + std::to_string(key));
  } else {
    // The leader of the current round as the first honest instance that is up sees it.
    const Instance* seer = nullptr;
    for (int j = 0; j < s_.instances() && seer == nullptr; ++j) {
      if (instances_[j].up && s_.IsHonest(j)) seer = &instances_[j];
    }
    if (seer == nullptr) return Violation("no honest instance is up to see who leads");
    const uint32_t leader = seer->replica->View().leader;
    proposal.set_kind(v1::ValidatorChange::KIND_REMOVE);
    proposal.mutable_validator()->set_name(seer->ledger->Governance().validators().validators(static_cast<int>(leader)).name());
  }
  Trace("admin proposes to " + std::string(change.kind == SetChange::Kind::kAddSpare ? "add " : "remove ") +
        proposal.validator().name());
  v1::TxBody body;
  *body.mutable_propose_validator_change()->mutable_change() = std::move(proposal);
  Gossip(chain_.Sign(chain_.admin(), ++admin_nonce_, std::move(body)));
}

void World::Gossip(v1::Transaction tx) {
  SubmittedTx submitted{std::move(tx), {}};
  for (int j = 0; j < s_.instances(); ++j) {
    submitted.visible_at_ms.push_back(now_ + Uniform(0, kGossipDelayMaxMs));
    Push({.time_ms = submitted.visible_at_ms.back(), .kind = Event::Kind::kTxVisible, .instance = j});
  }
  submitted_.push_back(std::move(submitted));
}

void World::CrashInstance(int i) {
  Instance& in = instances_[i];
  if (!in.up) return;
  in.up = false;
  in.crash_inside_event = -1;
  in.replica.reset();
  in.engine.reset();
  in.evidence.reset();
  in.pool.reset();
  in.speculator.reset();
  in.ledger.reset();
  Trace("crash instance " + std::to_string(i));
}

void World::Handle(const Event& e) {
  switch (e.kind) {
    case Event::Kind::kDeliver: {
      Instance& in = instances_[e.instance];
      if (!in.up) {
        // Before GST the network may hold a message for a crashed instance and deliver
        // it once the instance is back (a message in flight for a while): the
        // adversary's way to show it a block it missed, such as an equivocator's
        // second one, after a crash.
        if (now_ < s_.gst_ms && in.held.size() < kHeldMessagesMax) in.held.push_back({e.from_instance, e.message});
        return;
      }
      // The sender's place in this instance's set; a later epoch means this one is
      // behind (node.cc: OnPeerMessage).
      if (consensus::ClaimedEpoch(*e.message) > in.context->committee.epoch()) {
        CatchUp(e.instance);
        return;
      }
      const crypto::PrivateKey* sender_key = KeyIn(e.from_instance, in.context->committee);
      const auto sender = sender_key ? in.context->committee.IndexOf(sender_key->public_key()) : std::nullopt;
      if (!sender) return;
      const uint32_t from = *sender;
      Trace(std::string(KindOf(*e.message)) + " r=" + std::to_string(RoundOf(*e.message)) + " i" +
            std::to_string(e.from_instance) + "->i" + std::to_string(e.instance));
      if (e.message->has_proposal()) {
        Remember(e.message->proposal().block());
        if (s_.IsHonest(e.instance) && TestsTheLock(e.message->proposal())) ++result_.lock_tests;
      }
      const Behaviour behaviour = s_.BehaviourOf(in.validator);
      if (behaviour == Behaviour::kForger) seen_[e.instance].Record(*e.message);
      Apply(e.instance, in.replica->OnMessage(from, *e.message, now_));
      if (!in.up) return;
      if ((behaviour == Behaviour::kEquivocator || behaviour == Behaviour::kForger) && e.message->has_proposal()) {
        ByzantineVotes(e.instance, e.message->proposal());
      }
      return;
    }
    case Event::Kind::kTimer: {
      Instance& in = instances_[e.instance];
      if (!in.up || in.generation != e.generation) return;
      Trace("timer r=" + std::to_string(e.round) + " i" + std::to_string(e.instance));
      // Peers announce their height and epoch (ChainStatus, at least every keepalive):
      // as a node does, an instance fetches what they committed when one is in a later
      // epoch (it has the last block of ours) or well ahead (net::SyncConfig).
      if (ShouldSync(e.instance) && CatchUp(e.instance)) return;
      Apply(e.instance, in.replica->OnTimer(e.round, now_));
      return;
    }
    case Event::Kind::kProposalTimer: {
      Instance& in = instances_[e.instance];
      if (!in.up || in.generation != e.generation) return;
      Apply(e.instance, in.replica->OnProposalTimer(e.round, now_));
      return;
    }
    case Event::Kind::kSigned:
    case Event::Kind::kSignFailed: {
      Instance& in = instances_[e.instance];
      if (!in.up || in.generation != e.generation) return;  // the signer went down with it
      Apply(e.instance, e.kind == Event::Kind::kSigned ? in.replica->OnSigned(*e.message, now_)
                                                       : in.replica->OnSignFailed(*e.message, now_));
      return;
    }
    case Event::Kind::kTxVisible: {
      Instance& in = instances_[e.instance];
      if (in.up) Apply(e.instance, in.replica->OnTransactionsAvailable(now_));
      return;
    }
    case Event::Kind::kCrash: {
      const int inside = s_.crashes[e.round].inside_event;
      if (inside < 0) return CrashInstance(e.instance);
      instances_[e.instance].crash_inside_event = inside;  // Apply crashes it
      instances_[e.instance].crash_when_voting_for_equivocator = s_.crashes[e.round].when_voting_for_equivocator;
      return;
    }
    case Event::Kind::kRestart: {
      Instance& in = instances_[e.instance];
      if (in.up && in.crash_inside_event < 0) return;  // restarted already (an adversary's crash)
      // A crash inside an input that never came: it falls now, between inputs.
      if (in.up) CrashInstance(e.instance);
      return Boot(e.instance);
    }
    case Event::Kind::kSetChange:
      if (s_.set_changes[e.round].kind == SetChange::Kind::kRotateKey) return RotateKey(e.round);
      return ProposeSetChange(s_.set_changes[e.round]);
    case Event::Kind::kSubmit: {
      Gossip(workload_.Next());
      if (now_ + s_.tx_interval_ms <= s_.tx_until_ms) Push({.time_ms = now_ + s_.tx_interval_ms, .kind = Event::Kind::kSubmit});
      return;
    }
  }
}

uint64_t World::MultiSignedCommitted() const {
  const ledger::Ledger* highest = nullptr;
  for (int i = 0; i < s_.instances(); ++i) {
    const Instance& in = instances_[i];
    if (s_.IsHonest(i) && in.ledger && (!highest || in.ledger->height() > highest->height())) highest = in.ledger.get();
  }
  return highest ? CommittedMultiSigned(*highest) : 0;
}

bool World::LeavesATrace(const consensus::Action& action) {
  return std::holds_alternative<consensus::SendAction>(action) ||
         std::holds_alternative<consensus::BroadcastAction>(action) ||
         std::holds_alternative<consensus::PersistSafetyAction>(action) ||
         std::holds_alternative<consensus::CommitAction>(action);
}

bool World::VotesForEquivocator(const consensus::Action& action) const {
  auto* broadcast = std::get_if<consensus::BroadcastAction>(&action);
  if (broadcast == nullptr || !broadcast->message.has_vote()) return false;
  auto hash = HashFromBytes(broadcast->message.vote().block_hash());
  if (!hash.ok()) return false;
  auto block = proposed_.find(*hash);
  if (block == proposed_.end()) return false;
  v1::BlockHeader header;
  header.ParseFromString(block->second.header());
  const uint32_t proposer = header.proposer();
  return s_.BehaviourOf(proposer) == Behaviour::kEquivocator ||
         std::find(s_.twins.begin(), s_.twins.end(), proposer) != s_.twins.end();
}

bool World::Signs(const consensus::Action& action) {
  const v1::ConsensusMessage* m = nullptr;
  if (auto* send = std::get_if<consensus::SendAction>(&action)) m = &send->message;
  if (auto* broadcast = std::get_if<consensus::BroadcastAction>(&action)) m = &broadcast->message;
  return m != nullptr && (m->has_vote() || m->has_timeout() || m->has_proposal());
}

void World::Apply(int i, consensus::Actions actions) {
  Instance& in = instances_[i];
  const Behaviour behaviour = s_.BehaviourOf(in.validator);
  // Crash::inside_event: this input is the one if it signs something and has more
  // traced actions than the crash lets through.
  int let_through = -1;
  if (in.crash_inside_event >= 0 && std::any_of(actions.begin(), actions.end(), Signs) &&
      std::count_if(actions.begin(), actions.end(), LeavesATrace) > in.crash_inside_event &&
      (!in.crash_when_voting_for_equivocator || std::any_of(actions.begin(), actions.end(), [&](const consensus::Action& a) {
        return VotesForEquivocator(a);
      }))) {
    let_through = in.crash_inside_event;
  }
  bool cut_after_vote = false;
  for (consensus::Action& action : actions) {
    if (!in.up) return;
    // The adversary's crash falls just after the vote leaves; the others after
    // `let_through` traced actions.
    const bool crash_now = in.crash_when_voting_for_equivocator ? let_through >= 0 && cut_after_vote
                                                           : let_through >= 0 && LeavesATrace(action) && let_through-- == 0;
    if (crash_now && in.crash_when_voting_for_equivocator) {
      // The power comes back soon, while the round it voted in may still be open.
      Push({.time_ms = now_ + Uniform(20, 500), .kind = Event::Kind::kRestart, .instance = i});
    }
    if (crash_now) {
      Trace("instance " + std::to_string(i) + " crashes inside an input");
      return CrashInstance(i);
    }
    cut_after_vote = VotesForEquivocator(action);
    if (s_.IsHonest(i) && !VotingRuleBroken()) CheckSignsNoConflict(i, action);
    if (!result_.ok) return;
    if (auto* send = std::get_if<consensus::SendAction>(&action)) {
      if (behaviour == Behaviour::kSilent) continue;
      auto message = std::make_shared<const v1::ConsensusMessage>(std::move(send->message));
      const crypto::PublicKey& to = in.context->committee.key(send->to);
      for (int j = 0; j < s_.instances(); ++j) {
        const crypto::PrivateKey* key = KeyIn(j, in.context->committee);
        if (j != i && key != nullptr && key->public_key() == to) Deliver(i, j, message);
      }
    } else if (auto* broadcast = std::get_if<consensus::BroadcastAction>(&action)) {
      if (behaviour == Behaviour::kSilent) continue;
      if (behaviour == Behaviour::kEquivocator && broadcast->message.has_proposal()) {
        Equivocate(i, broadcast->message.proposal());
        continue;
      }
      if (behaviour == Behaviour::kForger && Forge(i, broadcast->message)) continue;
      if (broadcast->message.has_proposal() && ProposeStale(i, broadcast->message.proposal())) continue;
      if (broadcast->message.has_vote() && withheld_votes_.count({i, broadcast->message.vote().block_hash()})) continue;
      Broadcast(i, std::make_shared<const v1::ConsensusMessage>(std::move(broadcast->message)));
    } else if (auto* persist = std::get_if<consensus::PersistSafetyAction>(&action)) {
      Status saved = in.ledger->SaveSafetyRecord(persist->record);
      if (!saved.ok()) return Violation("instance " + std::to_string(i) + " could not persist: " + saved.ToString());
      in.persisted = persist->record;
      if (persist->voted_block) {
        // What the ledger holds now is not needed again (as node/voted_block_log.h drops it).
        const uint64_t head = in.ledger->height();
        std::erase_if(in.voted_blocks, [&](const v1::Block& b) {
          v1::BlockHeader header;
          return !header.ParseFromString(b.header()) || header.height() <= head;
        });
        in.voted_blocks.push_back(*persist->voted_block);
      }
    } else if (auto* commit = std::get_if<consensus::CommitAction>(&action)) {
      const uint64_t max_height_before = checker_.max_height();
      for (const auto& [block, certificate] : commit->blocks) {
        auto violation = checker_.OnCommit(i, s_.ChecksCommits(i), block, certificate, now_, *in.context);
        if (violation) {
          result_.safety_violation = true;
          return Violation(*violation);
        }
      }
      if (s_.ChecksCommits(i) && !commit->blocks.empty()) {
        auto violation = checker_.OnFinality(i, commit->blocks.back().first, commit->finality, *in.context);
        if (violation) {
          result_.safety_violation = true;
          return Violation(*violation);
        }
      }
      if (s_.isolate_first_committer_ms && s_.IsHonest(i) && checker_.max_height() > max_height_before &&
          now_ < s_.gst_ms && !AnyIsolated() && rng_() % 2 == 0) {
        in.isolated_until_ms = std::min(s_.gst_ms, now_ + s_.isolate_first_committer_ms);
        Trace("instance " + std::to_string(i) + " is cut off until " + std::to_string(in.isolated_until_ms));
      }
      // A Byzantine equivocator or forger keeps every branch open to build on (see
      // OlderBranch).
      if (behaviour == Behaviour::kEquivocator || behaviour == Behaviour::kForger) continue;
      Status committed = in.engine->Commit(*commit);
      if (!committed.ok() && s_.ChecksCommits(i)) {
        return Violation("instance " + std::to_string(i) + " failed to commit: " + committed.ToString());
      }
      if (s_.IsHonest(i)) {
        for (const auto& [block, certificate] : commit->blocks) CheckEvidenceConvictsTheFaulty(*in.ledger, block);
      }
      in.evidence->Prune();
      Trace("instance " + std::to_string(i) + " committed up to height " + std::to_string(checker_.height(i)));
      if (in.ledger->Governance().epoch() != in.context->committee.epoch()) in.epoch_ended = true;
    } else if (auto* sign = std::get_if<consensus::SignAction>(&action)) {
      // The token (Scenario::token_signers) answers later, in the order asked, or fails
      // one time in ten; as node::ConsensusSigner does, a failure is tried once more after
      // the token's back-off, and only a second failure reaches the replica.
      in.token_free_at_ms = std::max(in.token_free_at_ms, now_) + Uniform(0, 40);
      bool fails = Uniform(0, 9) == 0;
      if (fails) {
        in.token_free_at_ms += node::ConsensusSigner::kRetryAfter.count() + Uniform(0, 40);
        fails = Uniform(0, 9) == 0;
      }
      if (!fails) consensus::SetSignature(&sign->message, KeyIn(i, in.context->committee)->Sign(sign->statement));
      Push({.time_ms = in.token_free_at_ms, .kind = fails ? Event::Kind::kSignFailed : Event::Kind::kSigned,
            .instance = i, .generation = in.generation,
            .message = std::make_shared<const v1::ConsensusMessage>(std::move(sign->message))});
    } else if (auto* evidence = std::get_if<consensus::EvidenceAction>(&action)) {
      // Gossip of evidence is not what the simulator tests: every instance that is up
      // has it at once, and whoever leads next includes it.
      Trace("instance " + std::to_string(i) + " caught an equivocation");
      for (Instance& other : instances_) {
        if (other.up) (void)other.evidence->Add(evidence->evidence);
      }
    } else if (auto* timer = std::get_if<consensus::SetTimerAction>(&action)) {
      const bool proposal = timer->kind == consensus::SetTimerAction::Kind::kProposal;
      Push({.time_ms = now_ + timer->delay_ms, .kind = proposal ? Event::Kind::kProposalTimer : Event::Kind::kTimer,
            .instance = i, .round = timer->round, .generation = in.generation});
    }
  }
  // The old epoch's replica has sent what helps the others commit its last block.
  if (in.up && in.epoch_ended) StartReplica(i);
}

bool World::VotingRuleBroken() const {
  return s_.broken_rule == consensus::SafetyRules::Rule::kVoteOncePerRound ||
         s_.broken_rule == consensus::SafetyRules::Rule::kLock;
}

void World::CheckSignsNoConflict(int i, const consensus::Action& action) {
  const v1::ConsensusMessage* m = nullptr;
  if (auto* send = std::get_if<consensus::SendAction>(&action)) m = &send->message;
  if (auto* broadcast = std::get_if<consensus::BroadcastAction>(&action)) m = &broadcast->message;
  if (m == nullptr || !(m->has_vote() || m->has_timeout() || m->has_proposal())) return;
  const uint32_t v = instances_[i].validator;
  const std::string who = "honest validator " + std::to_string(v) + " (instance " + std::to_string(i) + ")";
  // Durable before visible: the record that a crash leaves must already cover it.
  const v1::SafetyRecord& durable = instances_[i].persisted;
  const bool same_epoch = durable.epoch() == instances_[i].context->committee.epoch();
  const bool covered = same_epoch && (m->has_vote()      ? durable.highest_voted_round() >= m->vote().round()
                                      : m->has_timeout() ? durable.highest_timeout_round() >= m->timeout().round()
                                                         : durable.highest_proposed_round() >= RoundOf(*m));
  if (!covered) {
    result_.safety_violation = true;
    return Violation(who + " sent a " + KindOf(*m) + " of round " + std::to_string(RoundOf(*m)) +
                     " that its persisted safety record does not cover: a crash now would forget it");
  }
  if (m->has_timeout()) {
    timed_out_.insert({v, m->timeout().epoch(), m->timeout().round()});
    return;
  }
  if (!m->has_vote()) return;
  const v1::Vote& vote = m->vote();
  if (timed_out_.count({v, vote.epoch(), vote.round()})) {
    result_.safety_violation = true;
    return Violation(who + " voted in round " + std::to_string(vote.round()) + " after timing out in it");
  }
  auto [it, first] = voted_.emplace(std::tuple{v, vote.epoch(), vote.round()}, vote.block_hash());
  if (!first && it->second != vote.block_hash()) {
    result_.safety_violation = true;
    Violation(who + " voted for two blocks in round " + std::to_string(vote.round()));
  }
}

void World::CheckEvidenceConvictsTheFaulty(const ledger::Ledger& ledger, const v1::Block& block) {
  v1::BlockHeader header;
  header.ParseFromString(block.header());
  const bool first_time = evidence_heights_.insert(header.height()).second;
  for (const v1::Evidence& evidence : block.evidence()) {
    if (first_time) ++result_.evidence_committed;
    const v1::ValidatorSet set = ledger.ValidatorSet(ledger::EpochOfEvidence(evidence)).value();
    auto offence = ledger::CheckEvidence(chain_.chain_id(), evidence, set, verifier_);
    if (!offence.ok()) {
      result_.safety_violation = true;
      return Violation("committed evidence does not verify: " + offence.status().ToString());
    }
    for (int v = 0; v < s_.validators + s_.spares; ++v) {
      if (!SignsAs(static_cast<uint32_t>(v), offence->signer_key)) continue;
      const bool twinned = std::find(s_.twins.begin(), s_.twins.end(), static_cast<uint32_t>(v)) != s_.twins.end();
      if (s_.BehaviourOf(static_cast<uint32_t>(v)) == Behaviour::kHonest && !twinned && !VotingRuleBroken()) {
        result_.safety_violation = true;
        Violation("EVIDENCE against honest validator " + std::to_string(v) + " was committed");
      }
    }
  }
}

bool World::AnyIsolated() const {
  return std::any_of(instances_.begin(), instances_.end(), [&](const Instance& in) { return now_ < in.isolated_until_ms; });
}

bool World::Connected(int a, int b, const v1::ConsensusMessage& m) const {
  if (now_ < instances_[a].isolated_until_ms || now_ < instances_[b].isolated_until_ms) return false;
  if (!s_.twins_rounds.empty()) {
    // The round partitions hold until GST; a replica stuck in a partitioned round would
    // otherwise stay cut off for ever, and liveness could not be checked.
    // Block requests and answers belong to no round: they follow the round their
    // sender is in (as the Twins paper's network does), or they would carry
    // certificates across a partition.
    uint64_t round = RoundOf(m);
    if (round == 0 && instances_[a].replica) round = instances_[a].replica->current_round();
    const TwinsRound* twins_round = TwinsRoundOf(round);
    return twins_round == nullptr || twins_round->group_of_instance[a] == twins_round->group_of_instance[b];
  }
  for (const Partition& p : s_.partitions) {
    if (now_ >= p.start_ms && now_ < p.end_ms && p.group_of_instance[a] != p.group_of_instance[b]) return false;
  }
  return true;
}

void World::Deliver(int from, int to, std::shared_ptr<const v1::ConsensusMessage> message) {
  if (!Connected(from, to, *message)) return;
  ++result_.messages;
  const bool before_gst = now_ < s_.gst_ms;
  if (before_gst && rng_() % 1000 < s_.drop_per_mille) return;
  const uint64_t max_delay = before_gst ? s_.max_delay_before_gst_ms : s_.max_delay_after_gst_ms;
  Push({.time_ms = now_ + Uniform(1, max_delay), .kind = Event::Kind::kDeliver, .instance = to, .from_instance = from,
        .message = message});
  if (rng_() % 1000 < s_.duplicate_per_mille) {
    Push({.time_ms = now_ + Uniform(1, max_delay), .kind = Event::Kind::kDeliver, .instance = to,
          .from_instance = from, .message = message});
  }
}

void World::Broadcast(int i, const std::shared_ptr<const v1::ConsensusMessage>& message) {
  const Instance& in = instances_[i];
  const std::optional<uint32_t> only_to = VoteCollectorBeforeGst(in, *message);
  const std::optional<int> only_instance = TwinsReceiver(*message);
  for (int j = 0; j < s_.instances(); ++j) {
    if (j == i || (only_instance && j != *only_instance)) continue;
    if (only_to) {
      const crypto::PrivateKey* key = KeyIn(j, in.context->committee);
      if (key == nullptr || !(key->public_key() == in.context->committee.key(*only_to))) continue;
    }
    Deliver(i, j, message);
  }
}

const TwinsRound* World::TwinsRoundOf(uint64_t round) const {
  if (now_ >= s_.gst_ms || round == 0 || round > s_.twins_rounds.size()) return nullptr;
  return &s_.twins_rounds[round - 1];
}

std::optional<int> World::TwinsReceiver(const v1::ConsensusMessage& m) const {
  if (!m.has_vote() && !m.has_timeout()) return std::nullopt;
  const TwinsRound* round = TwinsRoundOf(RoundOf(m));
  if (round == nullptr) return std::nullopt;
  const int only_to = m.has_vote() ? round->votes_only_to : round->timeouts_only_to;
  return only_to < 0 ? std::nullopt : std::optional(only_to);
}

std::optional<uint32_t> World::VoteCollectorBeforeGst(const Instance& in, const v1::ConsensusMessage& m) const {
  if (!s_.votes_only_to_next_leader || now_ >= s_.gst_ms || !m.has_vote()) return std::nullopt;
  auto block = HashFromBytes(m.vote().block_hash());
  if (!block.ok()) return std::nullopt;
  const auto election = in.replica->ElectionOn(*block, m.vote().round() + 1);
  return election ? std::optional(election->leader) : std::nullopt;
}

bool World::TestsTheLock(const v1::Proposal& proposal) {
  if (!proposal.has_last_round_tc()) return false;
  v1::BlockHeader header;
  if (!header.ParseFromString(proposal.block().header())) return false;
  const v1::TimeoutCertificate& tc = proposal.last_round_tc();
  return header.round() == tc.round() + 1 && proposal.block().parent_qc().round() < consensus::MaxHighQcRound(tc);
}

RunResult RunScenario(const Scenario& scenario, crypto::SignatureVerifier& verifier) {
  consensus::TEST_BreakCertificateCheck(scenario.broken_check);
  World world(scenario, verifier);
  RunResult result = world.Run();
  consensus::TEST_BreakCertificateCheck(consensus::CertificateCheck::kNone);
  return result;
}

}  // namespace cairn::sim
