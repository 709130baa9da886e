#include "ledger/governance.h"

#include <algorithm>

#include "crypto/domain.h"
#include "crypto/ed25519.h"
#include "ledger/deterministic.h"

namespace cairn::ledger {

namespace {

GovernanceResult Invalid(std::string why) { return {v1::TX_INVALID_GOVERNANCE, std::move(why)}; }

int IndexOfName(const v1::ValidatorSet& set, const std::string& name) {
  for (int i = 0; i < set.validators_size(); ++i) {
    if (set.validators(i).name() == name) return i;
  }
  return -1;
}

// Whether a member other than `except` already uses this key or address.
Status Unused(const v1::ValidatorSet& set, int except, const std::string& key, const std::string& address) {
  for (int i = 0; i < set.validators_size(); ++i) {
    if (i == except) continue;
    const v1::ValidatorInfo& v = set.validators(i);
    if (!key.empty() && v.public_key() == key) return Status::FailedPrecondition("validator " + v.name() + " has that key");
    if (!address.empty() && v.address() == address) {
      return Status::FailedPrecondition("validator " + v.name() + " has the address " + address);
    }
  }
  return Status::Ok();
}

// `change` applied to `set`; FitsSet must have passed.
void Apply(v1::ValidatorSet& set, const v1::ValidatorChange& change) {
  const v1::ValidatorInfo& info = change.validator();
  const int index = IndexOfName(set, info.name());
  switch (change.kind()) {
    case v1::ValidatorChange::KIND_ADD: *set.add_validators() = info; return;
    case v1::ValidatorChange::KIND_REMOVE: set.mutable_validators()->erase(set.mutable_validators()->begin() + index); return;
    case v1::ValidatorChange::KIND_UPDATE: {
      v1::ValidatorInfo* member = set.mutable_validators(index);
      if (!info.public_key().empty()) {
        // A rotation names the links' key it keeps; an admin's key change clears it
        // (the node restarts with the new key as its node key too).
        member->set_public_key(info.public_key());
        member->set_network_key(info.network_key());
      }
      if (!info.address().empty()) member->set_address(info.address());
      return;
    }
    default: return;
  }
}

// The set as it will be once the approved proposals are applied: what a new proposal
// is checked against.
v1::ValidatorSet ProjectedSet(const v1::GovernanceState& state) {
  v1::ValidatorSet set = state.validators();
  for (const v1::ChangeProposal& p : state.open()) {
    if (p.status() == v1::PROPOSAL_APPROVED && FitsSet(set, p.change()).ok()) Apply(set, p.change());
  }
  return set;
}

// Opens a proposal of `change` after checking the bound and that it fits the set as the
// approved ones will leave it; the new proposal, or why not.
Result<v1::ChangeProposal*> Open(v1::GovernanceState& state, v1::ValidatorChange change, const v1::Account& proposer,
                                 BlockPlace at) {
  if (static_cast<size_t>(state.open_size()) >= kMaxOpenProposals) {
    return Status::FailedPrecondition(std::to_string(kMaxOpenProposals) + " proposals are open; vote on those first");
  }
  CAIRN_RETURN_IF_ERROR(FitsSet(ProjectedSet(state), change));
  v1::ChangeProposal* proposal = state.add_open();
  proposal->set_id(state.next_proposal_id());
  state.set_next_proposal_id(state.next_proposal_id() + 1);
  *proposal->mutable_change() = std::move(change);
  proposal->set_proposer(proposer.address());
  proposal->set_proposed_height(at.height);
  proposal->set_proposed_time_ms(at.time_ms);
  return proposal;
}

bool Contains(const google::protobuf::RepeatedPtrField<std::string>& sorted, const std::string& address) {
  return std::binary_search(sorted.begin(), sorted.end(), address);
}

void InsertSorted(google::protobuf::RepeatedPtrField<std::string>* sorted, const std::string& address) {
  sorted->Add(std::string(address));
  std::sort(sorted->begin(), sorted->end());
}

}  // namespace

GovernanceRules GovernanceRulesOf(const v1::Genesis& genesis) {
  GovernanceRules rules;
  if (genesis.governance().admin_threshold() > 0) rules.admin_threshold = genesis.governance().admin_threshold();
  if (genesis.governance().epoch_length() > 0) rules.epoch_length = genesis.governance().epoch_length();
  if (genesis.governance().proposal_lifetime_s() > 0) {
    rules.proposal_lifetime_ms = genesis.governance().proposal_lifetime_s() * 1000;
  }
  return rules;
}

v1::GovernanceState GenesisGovernance(const v1::Genesis& genesis, const v1::ValidatorSet& validators) {
  v1::GovernanceState state;
  state.set_epoch(validators.epoch());
  *state.mutable_validators() = validators;
  state.set_next_proposal_id(1);
  if (genesis.governance().commit_closed_proposals()) {
    state.set_closed_digest(ToBytes(crypto::DomainHash(crypto::Purpose::kClosedProposals, genesis.chain_id(), "")));
  }
  return state;
}

Hash GovernanceHash(std::string_view chain_id, const v1::GovernanceState& state) {
  const std::string bytes = DeterministicBytes(state);
  return crypto::DomainHash(crypto::Purpose::kGovernance, chain_id, bytes);
}

Hash FoldClosedProposal(std::string_view chain_id, ByteView digest, const v1::ChangeProposal& closed) {
  Bytes payload(digest);
  payload += DeterministicBytes(closed);
  return crypto::DomainHash(crypto::Purpose::kClosedProposals, chain_id, payload);
}

void CommitClosedProposals(std::string_view chain_id, uint64_t height, v1::GovernanceState& state,
                           std::vector<v1::ChangeProposal>& closed) {
  if (state.closed_digest().empty()) return;  // a chain whose genesis predates the digest
  std::sort(closed.begin(), closed.end(), [](const auto& a, const auto& b) { return a.id() < b.id(); });
  for (v1::ChangeProposal& proposal : closed) {
    proposal.set_closed_height(height);
    state.set_closed_digest(ToBytes(FoldClosedProposal(chain_id, state.closed_digest(), proposal)));
  }
}

Status CheckValidatorChange(const v1::ValidatorChange& change) {
  const v1::ValidatorInfo& info = change.validator();
  if (info.name().empty() || info.name().size() > kMaxValidatorNameLength) {
    return Status::InvalidArgument("validator name must be 1 to " + std::to_string(kMaxValidatorNameLength) + " characters");
  }
  if (!info.public_key().empty()) {
    if (auto key = crypto::ParseNewKey(info.public_key()); !key.ok()) return key.status().Annotate("validator key");
  }
  if (!info.network_key().empty()) return Status::InvalidArgument("network_key is set by key rotations only");
  if (info.address().size() > kMaxValidatorAddressLength) {
    return Status::InvalidArgument("validator address is longer than " + std::to_string(kMaxValidatorAddressLength) + " characters");
  }
  switch (change.kind()) {
    case v1::ValidatorChange::KIND_ADD:
      if (info.public_key().empty() || info.address().empty()) {
        return Status::InvalidArgument("adding a validator needs its key and address");
      }
      return Status::Ok();
    case v1::ValidatorChange::KIND_REMOVE:
      if (!info.public_key().empty() || !info.address().empty()) {
        return Status::InvalidArgument("removing a validator names it only");
      }
      return Status::Ok();
    case v1::ValidatorChange::KIND_UPDATE:
      if (info.public_key().empty() && info.address().empty()) {
        return Status::InvalidArgument("updating a validator needs a new key or address");
      }
      return Status::Ok();
    default: return Status::InvalidArgument("validator change has no valid kind");
  }
}

Status FitsSet(const v1::ValidatorSet& set, const v1::ValidatorChange& change) {
  const v1::ValidatorInfo& info = change.validator();
  const int index = IndexOfName(set, info.name());
  switch (change.kind()) {
    case v1::ValidatorChange::KIND_ADD:
      if (index >= 0) return Status::FailedPrecondition("a validator is named " + info.name());
      return Unused(set, -1, info.public_key(), info.address());
    case v1::ValidatorChange::KIND_REMOVE:
      if (index < 0) return Status::FailedPrecondition("no validator is named " + info.name());
      if (set.validators_size() == 1) return Status::FailedPrecondition("the set would have no validators");
      return Status::Ok();
    case v1::ValidatorChange::KIND_UPDATE:
      if (index < 0) return Status::FailedPrecondition("no validator is named " + info.name());
      return Unused(set, index, info.public_key(), info.address());
    default: return Status::InvalidArgument("validator change has no valid kind");
  }
}

GovernanceResult ApplyPropose(v1::GovernanceState& state, const v1::Account& sender,
                              const v1::ProposeValidatorChange& op, BlockPlace at, const GovernanceRules& rules) {
  if (sender.role() != v1::ROLE_ADMIN) return {v1::TX_PERMISSION_DENIED, "only admins propose validator changes"};
  auto opened = Open(state, op.change(), sender, at);
  if (!opened.ok()) return Invalid(opened.status().message());
  v1::ChangeProposal* proposal = *opened;
  proposal->add_approvals(sender.address());
  proposal->set_status(rules.admin_threshold <= 1 ? v1::PROPOSAL_APPROVED : v1::PROPOSAL_PENDING);
  return {v1::TX_OK, "proposal " + std::to_string(proposal->id())};
}

Bytes KeyRotationMessage(std::string_view chain_id, const std::string& name, uint64_t epoch, ByteView new_public_key) {
  crypto::KeyRotationStatement statement{name, epoch, Bytes(new_public_key)};
  return crypto::DomainMessage(crypto::Purpose::kKeyRotation, chain_id, statement.Payload());
}

GovernanceResult ApplyRotate(v1::GovernanceState& state, const v1::Account& sender, const v1::RotateValidatorKey& op,
                             BlockPlace at, std::string_view chain_id, crypto::SignatureVerifier& verifier) {
  const int index = IndexOfName(state.validators(), op.name());
  if (index < 0) return Invalid("no validator is named " + op.name());
  for (const v1::ChangeProposal& p : state.open()) {
    if (p.change().validator().name() == op.name() && p.status() == v1::PROPOSAL_APPROVED) {
      return Invalid("a change of validator " + op.name() + " is already waiting for the boundary");
    }
  }
  const v1::ValidatorInfo& member = state.validators().validators(index);
  auto old_key = crypto::PublicKey::FromBytes(member.public_key());
  auto new_key = crypto::PublicKey::FromBytes(op.new_public_key());
  if (!old_key.ok() || !new_key.ok()) return Invalid("a key is not a valid Ed25519 public key");
  const Bytes message = KeyRotationMessage(chain_id, op.name(), state.epoch(), op.new_public_key());
  if (!verifier.Verify(*old_key, message, op.old_key_signature())) {
    return Invalid("the rotation is not signed by " + op.name() + "'s current key for epoch " + std::to_string(state.epoch()));
  }
  if (!verifier.Verify(*new_key, message, op.new_key_signature())) return Invalid("the rotation is not signed by the new key");
  v1::ValidatorChange change;
  change.set_kind(v1::ValidatorChange::KIND_UPDATE);
  change.mutable_validator()->set_name(op.name());
  change.mutable_validator()->set_public_key(op.new_public_key());
  change.mutable_validator()->set_network_key(LinkKeyOf(member));
  auto opened = Open(state, std::move(change), sender, at);
  if (!opened.ok()) return Invalid(opened.status().message());
  v1::ChangeProposal* proposal = *opened;
  proposal->set_status(v1::PROPOSAL_APPROVED);  // the validator's own keys approved it
  return {v1::TX_OK, "proposal " + std::to_string(proposal->id()) + ": key rotation of " + op.name()};
}

GovernanceResult ApplyVote(v1::GovernanceState& state, const v1::Account& sender, const v1::VoteValidatorChange& op,
                           const GovernanceRules& rules, std::vector<v1::ChangeProposal>& closed) {
  if (sender.role() != v1::ROLE_ADMIN) return {v1::TX_PERMISSION_DENIED, "only admins vote on validator changes"};
  auto* open = state.mutable_open();
  auto it = std::find_if(open->begin(), open->end(), [&](const v1::ChangeProposal& p) { return p.id() == op.proposal_id(); });
  if (it == open->end()) return Invalid("proposal " + std::to_string(op.proposal_id()) + " is not open");
  if (it->status() != v1::PROPOSAL_PENDING) return Invalid("proposal " + std::to_string(op.proposal_id()) + " is already approved");
  if (Contains(it->approvals(), sender.address()) || Contains(it->rejections(), sender.address())) {
    return Invalid("this admin already voted on proposal " + std::to_string(op.proposal_id()));
  }
  if (op.approve()) {
    const bool completes = static_cast<uint32_t>(it->approvals_size()) + 1 >= rules.admin_threshold;
    // Checked again: an approval since the proposal may have taken its name, key or address.
    if (completes) {
      if (Status fits = FitsSet(ProjectedSet(state), it->change()); !fits.ok()) {
        return Invalid("approving it would not fit the set: " + fits.message());
      }
    }
    InsertSorted(it->mutable_approvals(), sender.address());
    if (completes) it->set_status(v1::PROPOSAL_APPROVED);
  } else {
    InsertSorted(it->mutable_rejections(), sender.address());
    if (static_cast<uint32_t>(it->rejections_size()) >= rules.admin_threshold) {
      it->set_status(v1::PROPOSAL_REJECTED);
      closed.push_back(std::move(*it));
      open->erase(it);
    }
  }
  return {v1::TX_OK, ""};
}

bool EndBlock(v1::GovernanceState& state, BlockPlace at, const GovernanceRules& rules,
              std::vector<v1::ChangeProposal>& closed) {
  auto* open = state.mutable_open();
  for (auto it = open->begin(); it != open->end();) {
    // Approved ones wait for their boundary whatever their age.
    if (it->status() != v1::PROPOSAL_PENDING || at.time_ms < it->proposed_time_ms() + rules.proposal_lifetime_ms) {
      ++it;
      continue;
    }
    it->set_status(v1::PROPOSAL_EXPIRED);
    closed.push_back(std::move(*it));
    it = open->erase(it);
  }
  if (at.height == 0 || at.height % rules.epoch_length != 0) return false;
  v1::ValidatorSet next = state.validators();
  bool changed = false;
  for (auto it = open->begin(); it != open->end();) {
    if (it->status() != v1::PROPOSAL_APPROVED) {
      ++it;
      continue;
    }
    if (Status fits = FitsSet(next, it->change()); fits.ok()) {
      Apply(next, it->change());
      it->set_status(v1::PROPOSAL_APPLIED);
      it->set_applied_epoch(state.epoch() + 1);
      changed = true;
    } else {
      it->set_status(v1::PROPOSAL_FAILED);
      it->set_failure(fits.message());
    }
    closed.push_back(std::move(*it));
    it = open->erase(it);
  }
  if (!changed) return false;
  state.set_epoch(state.epoch() + 1);
  next.set_epoch(state.epoch());
  *state.mutable_validators() = std::move(next);
  return true;
}

}  // namespace cairn::ledger
