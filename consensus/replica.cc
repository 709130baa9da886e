// The replica's rounds, certificates, blocks and its own messages. Checking and handling
// of incoming messages is in replica_messages.cc.
#include "consensus/replica.h"

#include <algorithm>

#include "crypto/check.h"

namespace cairn::consensus {

namespace {
// How long a block request stays outstanding before it may be sent again (to another
// peer, or the same one if the answer was lost).
constexpr uint64_t kRequestRetryMs = 500;
constexpr size_t kMaxOutstandingRequests = 256;
// Messages awaiting the driver's signature: a vote, a timeout and a proposal of the
// current round, and a few of rounds the replica has left while its signer was slow.
constexpr size_t kMaxAwaitingSignature = 8;

uint64_t RoundOf(const v1::ConsensusMessage& message) {
  if (message.has_vote()) return message.vote().round();
  if (message.has_timeout()) return message.timeout().round();
  v1::BlockHeader header;  // a proposal's header travels as bytes (architecture rule 1)
  return header.ParseFromString(message.proposal().block().header()) ? header.round() : 0;
}
}  // namespace

Replica::Replica(ReplicaConfig config, const crypto::PrivateKey* key, BlockEngine& engine,
                 crypto::SignatureVerifier& verifier, LeaderElection& leaders,
                 RecoveredState recovered)
    : config_(std::move(config)),
      key_(key),
      engine_(engine),
      verifier_(verifier),
      leaders_(leaders),
      high_qc_(recovered.head_qc),
      safety_(std::move(recovered.safety)),
      tree_(std::move(recovered.head), recovered.head_qc, config_.max_tree_blocks),
      history_(std::make_move_iterator(recovered.history.begin()), std::make_move_iterator(recovered.history.end())),
      voted_blocks_(std::move(recovered.voted_blocks)) {
  while (history_.size() > leaders_.window_blocks()) history_.pop_front();
  CAIRN_CHECK((config_.self.has_value() && !config_.driver_signs) == (key_ != nullptr));
  CAIRN_CHECK(key_ == nullptr || config_.context.committee.key(*config_.self) == key_->public_key());
  // The persisted high_qc may be above the committed head's certificate.
  if (safety_.record().has_high_qc() && safety_.record().high_qc().round() > high_qc_.round()) {
    high_qc_ = safety_.record().high_qc();
  }
  if (safety_.record().has_highest_tc()) last_round_tc_ = safety_.record().highest_tc();
}

Actions Replica::Run(uint64_t now_ms, const std::function<void()>& body) {
  Actions actions;
  out_ = &actions;
  now_ms_ = now_ms;
  body();
  out_ = nullptr;
  return actions;
}

void Replica::Reject(Status status) {
  ++rejected_messages_;
  last_rejection_ = std::move(status);
}

Actions Replica::Start(uint64_t now_ms) {
  return Run(now_ms, [&] {
    // Re-enter the highest round this replica can justify, as it was before a restart.
    current_round_ = high_qc_.round() + 1;
    if (last_round_tc_) current_round_ = std::max(current_round_, last_round_tc_->round() + 1);
    RestoreVotedBlocks();
    out_->push_back(SetTimerAction{current_round_, RoundTimeoutMs()});
    MaybePropose();
  });
}

void Replica::RestoreVotedBlocks() {
  std::vector<std::pair<uint64_t, v1::Block>> by_height;
  for (v1::Block& block : voted_blocks_) {
    v1::BlockHeader header;
    if (!header.ParseFromString(block.header())) continue;  // the driver's copy; executing it again checks it
    // Rounds start again in every epoch: a block voted for in the epoch before (above
    // its last block, so never committed) would bring its epoch's certificate back.
    if (header.epoch() != config_.context.committee.epoch()) continue;
    by_height.emplace_back(header.height(), std::move(block));
  }
  voted_blocks_.clear();
  std::sort(by_height.begin(), by_height.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  // As if fetched: each is executed again and goes in once its parent is there, and its
  // parent certificate may commit what it finalises.
  for (auto& [height, block] : by_height) HandleBlock({std::move(block), std::nullopt, false, high_qc_from_});
}

Actions Replica::OnTimer(uint64_t round, uint64_t now_ms) {
  return Run(now_ms, [&] {
    if (round != current_round_) return;  // the round moved on; a stale timer
    ++consecutive_timeouts_;
    LocalTimeout();
    out_->push_back(SetTimerAction{current_round_, RoundTimeoutMs()});
  });
}

Actions Replica::OnProposalTimer(uint64_t round, uint64_t now_ms) {
  return Run(now_ms, [&] {
    if (round != current_round_) return;
    if (idle_wait_round_ == round) idle_wait_over_ = true;
    if (pace_wait_round_ == round) pace_wait_over_ = true;
    MaybePropose();
  });
}

Actions Replica::OnTransactionsAvailable(uint64_t now_ms) {
  return Run(now_ms, [&] {
    if (idle_wait_round_ == current_round_ && !idle_wait_over_) MaybePropose();
  });
}

Replica::RoundView Replica::View() const {
  const ChainView chain = HighQcChain();
  const uint64_t round = std::max(current_round_, chain.tip_round + 1);
  RoundView view{.round = current_round_,
                 .high_qc_round = high_qc_.round(),
                 .last_tc_round = last_round_tc_ ? last_round_tc_->round() : 0,
                 .voted = votes_.Voters(current_round_),
                 .timed_out = timeouts_.Signers(current_round_),
                 .quorum = config_.context.committee.quorum(),
                 .standings = leaders_.Standings(chain)};
  const uint64_t rounds = std::max<uint64_t>(2, config_.context.committee.size());
  for (uint64_t r = round; r < round + rounds; ++r) view.upcoming_leaders.push_back(leaders_.LeaderOf(r, chain));
  view.leader = view.upcoming_leaders[0];
  view.next_leader = view.upcoming_leaders[1];
  return view;
}

ChainView Replica::ChainAt(const Hash& tip) const {
  const uint64_t epoch = config_.context.committee.epoch();
  const size_t window = leaders_.window_blocks();
  ChainView view{.tip_hash = tip};
  const TreeBlock* b = tree_.Get(tip);
  if (b == nullptr || b->header.epoch() != epoch) return view;  // the epoch's root: round 0
  view.tip_round = b->header.round();
  for (; b != &tree_.root() && view.records.size() < window; b = tree_.Get(b->parent_hash)) {
    if (b == nullptr) return view;
    view.records.push_back(&tree_records_.at(b->hash));
  }
  for (auto it = history_.rbegin(); it != history_.rend() && view.records.size() < window; ++it) {
    view.records.push_back(&*it);
  }
  return view;
}

ChainView Replica::HighQcChain() const {
  auto hash = HashFromBytes(high_qc_.block_hash());
  return hash.ok() ? ChainAt(*hash) : ChainView{};
}

std::optional<Replica::Election> Replica::ElectionOn(const Hash& parent, uint64_t round) const {
  if (!tree_.Contains(parent)) return std::nullopt;
  const ChainView chain = ChainAt(parent);
  if (round <= chain.tip_round) return std::nullopt;
  return Election{leaders_.LeaderOf(round, chain), SkippedLeaders(leaders_, round, chain)};
}

Status Replica::CheckLeader(const v1::BlockHeader& header, const Hash& parent_hash) {
  const std::optional<Election> election = ElectionOn(parent_hash, header.round());
  if (!election) return Status::InvalidArgument("round is not above its parent's");
  if (header.proposer() != election->leader) {
    return Status::InvalidArgument("proposer " + std::to_string(header.proposer()) + " is not the leader of round " +
                                   std::to_string(header.round()) + " (" + std::to_string(election->leader) + ")");
  }
  const std::vector<uint32_t>& failed = election->failed_proposers;
  if (!std::equal(failed.begin(), failed.end(), header.failed_proposers().begin(), header.failed_proposers().end())) {
    return Status::InvalidArgument("failed_proposers is not the list of the rounds it skipped");
  }
  return Status::Ok();
}

void Replica::RecordCommitted(const std::vector<CommittedBlock>& committed) {
  for (const CommittedBlock& c : committed) {
    auto it = tree_records_.find(c.block->hash);
    if (it == tree_records_.end()) continue;
    history_.push_back(std::move(it->second));
    tree_records_.erase(it);
  }
  while (history_.size() > leaders_.window_blocks()) history_.pop_front();
  // Forks below the new root left the tree.
  std::erase_if(tree_records_, [&](const auto& entry) { return !tree_.Contains(entry.first); });
}

uint64_t Replica::RoundTimeoutMs() const {
  // Exponential back-off while rounds keep timing out, so that after a period of
  // asynchrony the timers grow until a round is long enough to finish.
  uint64_t delay = config_.base_timeout_ms;
  for (uint32_t i = 0; i < consecutive_timeouts_ && delay < config_.max_timeout_ms; ++i) delay *= 2;
  return std::min(delay, config_.max_timeout_ms);
}

const v1::TimeoutCertificate* Replica::TcForCurrentRound() const {
  if (last_round_tc_ && last_round_tc_->round() + 1 == current_round_) return &*last_round_tc_;
  return nullptr;
}

void Replica::ProcessQc(const v1::QuorumCertificate& qc, uint32_t from) {
  if (qc.round() > high_qc_.round()) {
    high_qc_ = qc;
    high_qc_from_ = from;
  }
  auto hash = HashFromBytes(qc.block_hash());
  if (!hash.ok()) return;
  if (tree_.Contains(*hash)) {
    CommitFrom(qc);
  } else if (qc.height() > committed_height()) {
    RequestBlock(*hash, from);
  }
  if (qc.round() + 1 > current_round_) {
    consecutive_timeouts_ = 0;
    AdvanceRound(qc.round() + 1);
  }
}

void Replica::ProcessTc(const v1::TimeoutCertificate& tc) {
  if (tc.round() + 1 <= current_round_) return;
  last_round_tc_ = tc;
  AdvanceRound(tc.round() + 1);
}

void Replica::AdvanceRound(uint64_t round) {
  if (round <= current_round_) return;
  current_round_ = round;
  my_timeout_.reset();
  votes_.DropBelow(round - 1);
  timeouts_.DropBelow(round);
  equivocations_.DropBelow(round);
  out_->push_back(SetTimerAction{current_round_, RoundTimeoutMs()});
  MaybePropose();
}

void Replica::CommitFrom(const v1::QuorumCertificate& qc) {
  std::vector<CommittedBlock> committed =
      tree_.Commit(qc, [this](const TreeBlock& block) { return EndsThisEpoch(block); });
  if (committed.empty()) return;
  consecutive_timeouts_ = 0;  // progress: the next round timer is the base again
  RecordCommitted(committed);
  CommitAction action;
  for (const CommittedBlock& c : committed) action.blocks.emplace_back(c.block->block, c.certificate);
  action.finality = qc;
  out_->push_back(std::move(action));
  // Blocks waiting for parents at or below the new head can never be inserted.
  for (auto it = waiting_for_parent_.begin(); it != waiting_for_parent_.end();) {
    auto& items = it->second;
    size_t before = items.size();
    std::erase_if(items, [&](const Waiting& w) {
      v1::BlockHeader header;
      return !header.ParseFromString(w.block.header()) || header.height() <= committed_height();
    });
    waiting_count_ -= before - items.size();
    it = items.empty() ? waiting_for_parent_.erase(it) : std::next(it);
  }
}

void Replica::RequestBlock(const Hash& hash, uint32_t from) {
  const uint32_t n = static_cast<uint32_t>(config_.context.committee.size());
  auto next_peer = [&](uint32_t v) {
    v = (v + 1) % n;
    return config_.self && v == *config_.self ? (v + 1) % n : v;
  };
  if (config_.self && from == *config_.self) from = high_qc_from_;
  auto it = requested_.find(hash);
  if (it != requested_.end()) {
    if (now_ms_ < it->second.at_ms + kRequestRetryMs) return;
    // The peer asked last did not answer in time: ask the next one, round the set.
    // Whoever suggests a peer (the sender of a certificate, or of the proposal, or no one
    // since a restart) may keep naming one that is down or faulty, and the block must
    // still come.
    from = next_peer(it->second.peer);
  }
  if (config_.self && from == *config_.self) from = next_peer(from);
  if (config_.self && from == *config_.self) return;  // a set of one: nobody to ask
  if (requested_.size() >= kMaxOutstandingRequests) requested_.clear();
  requested_[hash] = {now_ms_, from};
  v1::ConsensusMessage message;
  message.mutable_block_request()->set_block_hash(ToBytes(hash));
  out_->push_back(SendAction{from, std::move(message)});
}

void Replica::HandleBlock(Waiting item) {
  v1::BlockHeader header;
  if (!header.ParseFromString(item.block.header())) return Reject(Status::InvalidArgument("block header does not parse"));
  if (header.height() <= committed_height()) return;  // already decided below the head
  const Hash hash = crypto::BlockHash(config_.context.chain_id, item.block.header());
  auto parent_hash = HashFromBytes(header.parent_hash());
  if (!parent_hash.ok()) return Reject(parent_hash.status());

  if (!tree_.Contains(hash)) {
    if (!tree_.Contains(*parent_hash)) {
      if (waiting_count_ >= config_.max_waiting_blocks) return Reject(Status::ResourceExhausted("too many blocks wait for parents"));
      // Who may propose is known only with the parent, so until then any validator's
      // signed proposal waits: each gets its share of the room, so that one cannot
      // fill it with proposals on parents nobody has.
      if (item.is_proposal && WaitingProposalsBy(header.proposer()) >=
                                  config_.max_waiting_blocks / config_.context.committee.size()) {
        return Reject(Status::ResourceExhausted("too many proposals of validator " + std::to_string(header.proposer()) +
                                                " wait for parents"));
      }
      RequestBlock(*parent_hash, item.from);
      waiting_for_parent_[*parent_hash].push_back(std::move(item));
      ++waiting_count_;
      return;
    }
    if (item.is_proposal) {
      Status leader = CheckLeader(header, *parent_hash);
      if (!leader.ok()) return Reject(leader.Annotate("proposal"));
    }
    Status executed = engine_.Execute(item.block);
    if (!executed.ok()) return Reject(executed.Annotate("block " + std::to_string(header.height()) + " is invalid"));
    Status inserted = tree_.Insert({item.block, header, hash, *parent_hash});
    if (!inserted.ok()) return Reject(inserted);
    tree_records_.emplace(hash, ChainRecord::Of(header, item.block.parent_qc()));
    requested_.erase(hash);
    // The block's own certificate of its parent may commit, and the highest certificate
    // may certify this block, now that it is here.
    ProcessQc(item.block.parent_qc(), item.from);
    if (high_qc_.block_hash() == AsView(hash)) CommitFrom(high_qc_);
  }
  const TreeBlock* block = tree_.Get(hash);
  if (block != nullptr && item.is_proposal) MaybeVote(*block, item.tc ? &*item.tc : nullptr);

  // Children that waited for this block can go in now.
  auto waiting = waiting_for_parent_.find(hash);
  if (waiting != waiting_for_parent_.end()) {
    std::vector<Waiting> children = std::move(waiting->second);
    waiting_for_parent_.erase(waiting);
    waiting_count_ -= children.size();
    for (Waiting& child : children) HandleBlock(std::move(child));
  }
  MaybePropose();  // a leader may have been waiting for its high_qc's block
}

size_t Replica::WaitingProposalsBy(uint32_t proposer) const {
  size_t count = 0;
  for (const auto& [parent, items] : waiting_for_parent_) {
    for (const Waiting& w : items) {
      v1::BlockHeader header;
      if (w.is_proposal && header.ParseFromString(w.block.header()) && header.proposer() == proposer) ++count;
    }
  }
  return count;
}

void Replica::Persist() {
  safety_.RecordHighQc(high_qc_);
  if (last_round_tc_) safety_.RecordHighestTc(*last_round_tc_);
  PersistSafetyAction action{safety_.record(), std::nullopt};
  if (unstored_vote_) {
    if (const TreeBlock* voted = tree_.Get(*unstored_vote_)) action.voted_block = voted->block;
    unstored_vote_.reset();
  }
  out_->push_back(std::move(action));
}

void Replica::MaybePropose() {
  if (!config_.self || safety_.HasProposedIn(current_round_)) return;
  // A proposal must show how its round was entered: a certificate of the round before,
  // or a timeout certificate of it.
  const v1::TimeoutCertificate* tc = TcForCurrentRound();
  if (high_qc_.round() + 1 != current_round_ && tc == nullptr) return;
  auto parent_hash = HashFromBytes(high_qc_.block_hash());
  if (!parent_hash.ok()) return;
  const TreeBlock* parent = tree_.Get(*parent_hash);
  // Who leads depends on the parent's chain: without the block, ask for it.
  if (parent == nullptr) return RequestBlock(*parent_hash, high_qc_from_);
  const ChainView chain = ChainAt(*parent_hash);
  if (current_round_ <= chain.tip_round || leaders_.LeaderOf(current_round_, chain) != *config_.self) return;
  // Liveness does not need empty blocks back to back: with nothing to carry, wait a
  // while (new transactions end the wait early).
  if (config_.idle_proposal_delay_ms > 0 && !(idle_wait_round_ == current_round_ && idle_wait_over_) &&
      !engine_.HasWork(*parent_hash)) {
    if (idle_wait_round_ != current_round_) {
      idle_wait_round_ = current_round_;
      idle_wait_over_ = false;
      out_->push_back(SetTimerAction{current_round_, config_.idle_proposal_delay_ms, SetTimerAction::Kind::kProposal});
    }
    return;
  }
  // Pacing (ReplicaConfig::min_block_interval_ms); the wait ends by its timer only,
  // never by clock readings, so that a clock step cannot stall the round.
  if (config_.min_block_interval_ms > 0 && !(pace_wait_round_ == current_round_ && pace_wait_over_)) {
    const uint64_t due = parent->header.timestamp_ms() + config_.min_block_interval_ms;
    if (now_ms_ < due) {
      if (pace_wait_round_ != current_round_) {
        pace_wait_round_ = current_round_;
        pace_wait_over_ = false;
        out_->push_back(SetTimerAction{current_round_, std::min(due - now_ms_, config_.min_block_interval_ms),
                                       SetTimerAction::Kind::kProposal});
      }
      return;
    }
  }

  BlockEngine::ProposalRequest request{
      .parent_hash = *parent_hash, .parent_qc = high_qc_, .round = current_round_,
      .epoch = config_.context.committee.epoch(), .proposer = *config_.self,
      .timestamp_ms = std::max(now_ms_, parent->header.timestamp_ms()),
      .failed_proposers = SkippedLeaders(leaders_, current_round_, chain)};
  auto block = engine_.Propose(request);
  if (!block.ok()) return Reject(block.status().Annotate("building a proposal"));

  safety_.RecordProposal(current_round_);
  Persist();
  v1::ConsensusMessage message;
  v1::Proposal* proposal = message.mutable_proposal();
  *proposal->mutable_block() = *block;
  if (tc != nullptr) *proposal->mutable_last_round_tc() = *tc;
  Hash hash = crypto::BlockHash(config_.context.chain_id, block->header());
  Sign(std::move(message), ProposalMessage(config_.context, hash));
}

void Replica::MaybeVote(const TreeBlock& block, const v1::TimeoutCertificate* tc) {
  if (!config_.self) return;
  const uint64_t round = block.header.round();
  const v1::QuorumCertificate& parent_qc = block.block.parent_qc();
  if (round != current_round_ || !safety_.SafeToVote(round, parent_qc.round(), tc)) return;
  if (config_.max_future_timestamp_ms > 0 && block.header.timestamp_ms() > now_ms_ + config_.max_future_timestamp_ms) {
    return Reject(Status::InvalidArgument("not voting for round " + std::to_string(round) + ": its block is stamped " +
                                          std::to_string(block.header.timestamp_ms() - now_ms_) +
                                          " ms ahead of this validator's clock"));
  }
  safety_.RecordVote(round, parent_qc.round());
  unstored_vote_ = block.hash;
  // Persisted before the vote leaves: after a crash the replica must remember it voted.
  if (safety_.Enforces(SafetyRules::Rule::kPersistVoteFirst) && safety_.Enforces(SafetyRules::Rule::kPersistVote)) Persist();

  v1::Vote vote;
  vote.set_epoch(config_.context.committee.epoch());
  vote.set_round(round);
  vote.set_height(block.header.height());
  vote.set_block_hash(ToBytes(block.hash));
  // The 2-chain rule: a certificate of this block finalises its parent when the rounds
  // are consecutive. Voters say so, so that one certificate proves finality.
  if (round == parent_qc.round() + 1 && parent_qc.round() > 0) vote.set_commit_hash(LastToCommit(parent_qc.block_hash()));
  vote.set_voter(*config_.self);
  Bytes statement = VoteMessage(config_.context, StatementOf(vote));
  v1::ConsensusMessage message;
  *message.mutable_vote() = std::move(vote);
  Sign(std::move(message), std::move(statement));
}

bool Replica::EndsThisEpoch(const TreeBlock& block) {
  // The root of a new epoch's tree ended the epoch before, not this one.
  return block.header.epoch() == config_.context.committee.epoch() && engine_.EndsEpoch(block.hash);
}

Bytes Replica::LastToCommit(const std::string& finalised) {
  // Above the last block of an epoch nothing commits: a certificate that finalises a
  // block after it names that last block, so that the last block's proof of finality
  // is one certificate of its own epoch, as block sync and audits need it.
  auto hash = HashFromBytes(finalised);
  if (!hash.ok()) return finalised;
  Bytes named = finalised;
  for (const TreeBlock* b = tree_.Get(*hash); b != nullptr; b = tree_.Get(b->parent_hash)) {
    if (EndsThisEpoch(*b)) named = ToBytes(b->hash);
    if (b == &tree_.root()) break;
  }
  return named;
}

void Replica::LocalTimeout() {
  if (!config_.self) return;
  v1::ConsensusMessage message;
  if (my_timeout_ && my_timeout_->round() == current_round_) {
    // Already timed out in this round: send it again, in case it was lost.
    *message.mutable_timeout() = *my_timeout_;
    out_->push_back(BroadcastAction{std::move(message)});
    return;
  }
  // Its timeout is with the signer already (driver_signs): one is enough.
  if (std::any_of(awaiting_signature_.begin(), awaiting_signature_.end(), [&](const Awaited& a) {
        return a.kind == v1::ConsensusMessage::kTimeout && a.round == current_round_;
      })) {
    return;
  }
  const v1::TimeoutCertificate* tc = TcForCurrentRound();
  if (!safety_.SafeToTimeout(current_round_, high_qc_.round(), tc)) return;
  safety_.RecordTimeout(current_round_);
  Persist();

  v1::Timeout timeout;
  timeout.set_epoch(config_.context.committee.epoch());
  timeout.set_round(current_round_);
  *timeout.mutable_high_qc() = high_qc_;
  timeout.set_sender(*config_.self);
  if (tc != nullptr) *timeout.mutable_last_round_tc() = *tc;
  *message.mutable_timeout() = std::move(timeout);
  Sign(std::move(message), TimeoutMessage(config_.context, current_round_, high_qc_.round()));
}

void Replica::Sign(v1::ConsensusMessage message, Bytes statement) {
  if (key_ != nullptr) {
    SetSignature(&message, key_->Sign(statement));
    return SendOwn(std::move(message));
  }
  if (awaiting_signature_.size() >= kMaxAwaitingSignature) {
    return Reject(Status::ResourceExhausted("not signing round " + std::to_string(RoundOf(message)) + ": " +
                                            std::to_string(kMaxAwaitingSignature) +
                                            " messages already wait for the signer"));
  }
  awaiting_signature_.push_back({message.kind_case(), RoundOf(message)});
  out_->push_back(SignAction{std::move(message), std::move(statement)});
}

void Replica::SendOwn(v1::ConsensusMessage message) {
  // To every validator, not only the next leader: each forms the certificate itself, so
  // a next leader that is down cannot take the round's block with it, and the round
  // that fails is then the one the down validator leads, which the next block charges
  // to it (leader_election.h). n is small in a permissioned network; n^2 votes a round
  // cost each validator n - 1 signature checks.
  out_->push_back(BroadcastAction{message});
  if (message.has_vote()) {
    if (!safety_.Enforces(SafetyRules::Rule::kPersistVoteFirst) && safety_.Enforces(SafetyRules::Rule::kPersistVote)) Persist();
    ProcessVote(message.vote());
  } else if (message.has_timeout()) {
    my_timeout_ = message.timeout();
    ProcessTimeout(*config_.self, message.timeout());
  } else if (message.has_proposal()) {
    v1::Proposal& proposal = *message.mutable_proposal();
    std::optional<v1::TimeoutCertificate> tc;
    if (proposal.has_last_round_tc()) tc = std::move(*proposal.mutable_last_round_tc());
    HandleBlock({std::move(*proposal.mutable_block()), std::move(tc), true, *config_.self});
  }
}

bool Replica::TakeAwaited(const v1::ConsensusMessage& message) {
  const uint64_t round = RoundOf(message);
  auto it = std::find_if(awaiting_signature_.begin(), awaiting_signature_.end(), [&](const Awaited& a) {
    return a.kind == message.kind_case() && a.round == round;
  });
  if (it == awaiting_signature_.end()) return false;
  awaiting_signature_.erase(it);
  return true;
}

Actions Replica::OnSigned(v1::ConsensusMessage message, uint64_t now_ms) {
  return Run(now_ms, [&] {
    if (!TakeAwaited(message)) {
      return Reject(Status::InvalidArgument("a signed message this replica did not ask to sign"));
    }
    SendOwn(std::move(message));
  });
}

Actions Replica::OnSignFailed(const v1::ConsensusMessage& message, uint64_t now_ms) {
  return Run(now_ms, [&] { (void)TakeAwaited(message); });
}

}  // namespace cairn::consensus
