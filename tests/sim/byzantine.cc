// What the faulty validators of a scenario send (Behaviour, scenario.h): an
// equivocator's second blocks and older branches, a forger's certificates, a stale
// twin's proposal, and votes for anything. Part of World (world_internal.h).
#include <algorithm>

#include "tests/sim/world_internal.h"

namespace cairn::sim {

int World::ForgerUp() const {
  for (int j = 0; j < s_.instances(); ++j) {
    if (instances_[j].up && s_.BehaviourOf(instances_[j].validator) == Behaviour::kForger) return j;
  }
  return -1;
}

std::optional<v1::SyncResponse> World::ForgeSyncAnswer(int f, const consensus::Context& context, v1::SyncResponse answer) {
  if (answer.blocks_size() == 0) return std::nullopt;
  const crypto::PrivateKey& key = chain_.validator(instances_[f].validator);
  const auto self = context.committee.IndexOf(key.public_key());
  if (!self) return std::nullopt;
  const Forgery kind = static_cast<Forgery>(Uniform(0, kForgeryKinds - 1));
  v1::CertifiedBlock& target = *answer.mutable_blocks(static_cast<int>(Uniform(0, answer.blocks_size() - 1)));
  v1::BlockHeader header;
  header.ParseFromString(target.block().header());
  *target.mutable_certificate() = ForgeQc(context, key, *self, target.block(), seen_[f], kind, header.parent_hash());
  ++result_.forgeries;
  Trace("instance " + std::to_string(f) + " answers block sync with a " + ForgeryName(kind) + " certificate");
  return answer;
}

void World::Remember(const v1::Block& block) {
  proposed_.emplace(crypto::BlockHash(context_.chain_id, block.header()), block);
}

void World::Equivocate(int i, const v1::Proposal& proposal) {
  Instance& in = instances_[i];
  v1::BlockHeader header;
  header.ParseFromString(proposal.block().header());
  Remember(proposal.block());
  auto original = std::make_shared<v1::ConsensusMessage>();
  *original->mutable_proposal() = proposal;
  // Its older branch got certified: finish the 2-chain that commits it with one
  // proposal that every honest replica can vote for.
  if (older_branches_.count(HashFromBytes(header.parent_hash()).value())) {
    Trace("instance " + std::to_string(i) + " extends its older branch in round " + std::to_string(header.round()));
    for (int j = 0; j < s_.instances(); ++j) {
      if (j != i) Deliver(i, j, original);
    }
    return;
  }
  consensus::BlockEngine::ProposalRequest request{
      .parent_hash = HashFromBytes(header.parent_hash()).value(), .parent_qc = proposal.block().parent_qc(),
      .round = header.round(), .epoch = header.epoch(), .proposer = header.proposer(),
      .timestamp_ms = header.timestamp_ms() + 1,
      .failed_proposers = {header.failed_proposers().begin(), header.failed_proposers().end()}};
  // Entered through a timeout certificate, the round needs no certificate of the round
  // before: extend a block below the parent instead, which only the lock stops. One
  // level below is the dangerous case (the parent may have committed somewhere while
  // its own parent is still what the others hold); up to 3 levels below in a third of
  // the cases.
  std::optional<v1::Block> alternative;
  bool older_branch = false;
  if (proposal.has_last_round_tc()) {
    alternative = OlderBranch(i, request, Uniform(0, 2) == 0 ? Uniform(2, 3) : 1);
    older_branch = alternative.has_value();
  }
  if (!alternative) {
    auto block = in.engine->Propose(request);
    if (block.ok()) alternative = *block;
  }
  auto other = std::make_shared<v1::ConsensusMessage>();
  *other->mutable_proposal() = proposal;
  if (alternative) {
    *other->mutable_proposal()->mutable_block() = *alternative;
    Hash hash = crypto::BlockHash(context_.chain_id, alternative->header());
    other->mutable_proposal()->set_signature(chain_.validator(in.validator).Sign(consensus::ProposalMessage(context_, hash)));
    if (older_branch) older_branches_.insert(hash);
  }
  Trace("instance " + std::to_string(i) + (older_branch ? " proposes an older branch" : " equivocates") + " in round " +
        std::to_string(header.round()));
  // An older branch goes to everyone instead of the proposal (it needs the votes of
  // replicas that hold a higher certificate); otherwise the two blocks of one round
  // arrive in a random order.
  for (int j = 0; j < s_.instances(); ++j) {
    if (j == i) continue;
    if (older_branch) {
      Deliver(i, j, other);
      continue;
    }
    if (rng_() % 4 == 0) continue;
    const bool other_first = rng_() % 2 == 0;
    Deliver(i, j, other_first ? other : original);
    Deliver(i, j, other_first ? original : other);
  }
}

std::optional<v1::Block> World::OlderBranch(int i, consensus::BlockEngine::ProposalRequest older, uint64_t first_depth) {
  Instance& in = instances_[i];
  for (uint64_t depth = 1; depth <= 3; ++depth) {
    auto child = proposed_.find(older.parent_hash);
    if (child == proposed_.end()) return std::nullopt;
    older.parent_qc = child->second.parent_qc();
    older.parent_hash = HashFromBytes(older.parent_qc.block_hash()).value();
    const auto election = in.replica->ElectionOn(older.parent_hash, older.round);
    if (depth < first_depth || !election || election->leader != older.proposer) continue;
    older.failed_proposers = election->failed_proposers;
    auto block = in.engine->Propose(older);
    if (!block.ok()) return std::nullopt;
    return *block;
  }
  return std::nullopt;
}

consensus::BlockEngine::ProposalRequest World::RequestLike(const v1::Proposal& proposal) {
  v1::BlockHeader header;
  header.ParseFromString(proposal.block().header());
  return {.parent_hash = HashFromBytes(header.parent_hash()).value(), .parent_qc = proposal.block().parent_qc(),
          .round = header.round(), .epoch = header.epoch(), .proposer = header.proposer(),
          .timestamp_ms = header.timestamp_ms() + 1};
}

const v1::Block* World::LatestProposalBelow(uint64_t epoch, uint64_t round) const {
  const v1::Block* latest = nullptr;
  uint64_t latest_round = 0;
  for (const auto& [hash, block] : proposed_) {
    v1::BlockHeader header;
    header.ParseFromString(block.header());
    if (header.epoch() == epoch && header.round() < round && header.round() >= latest_round) {
      latest = &block;
      latest_round = header.round();
    }
  }
  return latest;
}

bool World::Forge(int i, const v1::ConsensusMessage& message) {
  Instance& in = instances_[i];
  const crypto::PrivateKey& key = chain_.validator(in.validator);
  const consensus::Context& context = *in.context;
  const auto self = context.committee.IndexOf(key.public_key());
  if (!self || context.committee.epoch() != context_.committee.epoch()) return false;  // forges in epoch 0 only
  std::vector<std::shared_ptr<const v1::ConsensusMessage>> forgeries;
  if (message.has_timeout()) {
    const v1::Block* latest = LatestProposalBelow(message.timeout().epoch(), message.timeout().round());
    if (latest == nullptr) return false;
    v1::BlockHeader header;
    header.ParseFromString(latest->header());
    for (int kind = 0; kind < kForgeryKinds; ++kind) {
      auto forged = std::make_shared<v1::ConsensusMessage>(message);
      v1::Timeout* timeout = forged->mutable_timeout();
      *timeout->mutable_high_qc() =
          ForgeQc(context, key, *self, *latest, seen_[i], static_cast<Forgery>(kind), header.parent_hash());
      timeout->set_signature(key.Sign(consensus::TimeoutMessage(context, timeout->round(), timeout->high_qc().round())));
      Broadcast(i, forged);
    }
    result_.forgeries += kForgeryKinds;
    Trace("instance " + std::to_string(i) + " forges certificates in its timeout");
    return false;
  }
  if (!message.has_proposal()) return false;
  const v1::Proposal& proposal = message.proposal();
  v1::BlockHeader header;
  header.ParseFromString(proposal.block().header());
  // The lock attack needs the certificate of the round before, which its proposal
  // then extends, and which a network that sends votes to the next leader gives it
  // alone: the one instance that gets its proposal commits the block two below, the
  // others get a block conflicting with that one.
  std::optional<v1::Block> older;
  if (proposal.block().parent_qc().round() + 1 == header.round()) older = OlderBranch(i, RequestLike(proposal), 2);
  std::optional<v1::Block> parent;
  if (auto it = proposed_.find(HashFromBytes(header.parent_hash()).value()); it != proposed_.end()) parent = it->second;
  if (older) Remember(*older);
  for (int kind = 0; kind < kForgeryKinds && (older || parent); ++kind) {
    auto forged = std::make_shared<v1::ConsensusMessage>(message);
    v1::Proposal* out = forged->mutable_proposal();
    if (older) {
      *out->mutable_block() = *older;
      *out->mutable_last_round_tc() = ForgeTc(context, key, *self, header.round() - 1, seen_[i], static_cast<Forgery>(kind));
      out->set_signature(key.Sign(consensus::ProposalMessage(context, crypto::BlockHash(context.chain_id, older->header()))));
    } else {
      v1::BlockHeader parent_header;
      parent_header.ParseFromString(parent->header());
      *out->mutable_block()->mutable_parent_qc() =
          ForgeQc(context, key, *self, *parent, seen_[i], static_cast<Forgery>(kind), parent_header.parent_hash());
    }
    forgeries.push_back(std::move(forged));
  }
  result_.forgeries += forgeries.size();
  const auto honest = std::make_shared<const v1::ConsensusMessage>(message);
  if (!older) {
    // Its block to everyone, each time after the same block under forged parent
    // certificates.
    Trace("instance " + std::to_string(i) + " forges parent certificates in round " + std::to_string(header.round()));
    for (int j = 0; j < s_.instances(); ++j) {
      if (j == i) continue;
      for (const auto& forged : forgeries) Deliver(i, j, forged);
      Deliver(i, j, honest);
    }
    return true;
  }
  Trace("instance " + std::to_string(i) + " forges timeout certificates for an older branch in round " +
        std::to_string(header.round()));
  const int favoured = static_cast<int>(Uniform(0, s_.instances() - 2));
  for (int j = 0, k = 0; j < s_.instances(); ++j) {
    if (j == i) continue;
    if (k++ == favoured) {
      Deliver(i, j, honest);
      continue;
    }
    for (const auto& forged : forgeries) Deliver(i, j, forged);
  }
  auto vote = std::make_shared<v1::ConsensusMessage>();
  *vote->mutable_vote() = SignedVote(context, key, *self, *older);
  Broadcast(i, vote);
  return true;
}

bool World::ProposeStale(int i, const v1::Proposal& proposal) {
  const uint32_t validator = instances_[i].validator;
  if (std::find(s_.twins.begin(), s_.twins.end(), validator) == s_.twins.end()) return false;
  v1::BlockHeader header;
  header.ParseFromString(proposal.block().header());
  const TwinsRound* round = TwinsRoundOf(header.round());
  if (round == nullptr || !round->stale || !proposal.has_last_round_tc()) return false;
  std::optional<v1::Block> stale = OlderBranch(i, RequestLike(proposal), 1);
  if (!stale) return false;
  Remember(*stale);
  const Hash hash = crypto::BlockHash(context_.chain_id, stale->header());
  auto message = std::make_shared<v1::ConsensusMessage>();
  *message->mutable_proposal() = proposal;
  *message->mutable_proposal()->mutable_block() = *stale;
  message->mutable_proposal()->set_signature(chain_.validator(validator).Sign(consensus::ProposalMessage(context_, hash)));
  Trace("twin instance " + std::to_string(i) + " proposes a stale block in round " + std::to_string(header.round()));
  Broadcast(i, message);
  withheld_votes_.insert({i, ToBytes(crypto::BlockHash(context_.chain_id, proposal.block().header()))});
  auto vote = std::make_shared<v1::ConsensusMessage>();
  *vote->mutable_vote() = SignedVote(context_, chain_.validator(validator), validator, *stale);
  Broadcast(i, vote);
  return true;
}

void World::ByzantineVotes(int i, const v1::Proposal& proposal) {
  Instance& in = instances_[i];
  v1::BlockHeader header;
  if (!header.ParseFromString(proposal.block().header())) return;
  v1::Vote vote = SignedVote(context_, chain_.validator(in.validator), in.validator, proposal.block());
  v1::Vote unknown = vote;
  Bytes random_hash(32, '\0');
  for (char& c : random_hash) c = static_cast<char>(rng_());
  unknown.set_block_hash(random_hash);
  unknown.set_signature(chain_.validator(in.validator).Sign(consensus::VoteMessage(context_, consensus::StatementOf(unknown))));
  for (const v1::Vote* v : {&vote, &unknown}) {
    auto message = std::make_shared<v1::ConsensusMessage>();
    *message->mutable_vote() = *v;
    for (int j = 0; j < s_.instances(); ++j) {
      if (j != i) Deliver(i, j, message);  // to all: it does not care who leads
    }
  }
}

}  // namespace cairn::sim
