#include "ledger/evidence.h"

#include "cairn/v1/block.pb.h"
#include "crypto/domain.h"
#include "crypto/ed25519.h"
#include "crypto/merkle.h"

namespace cairn::ledger {

namespace {

Status Invalid(const std::string& why) { return Status::InvalidArgument("evidence: " + why); }

Result<crypto::PublicKey> SignerKey(const v1::ValidatorSet& set, uint32_t index) {
  if (index >= static_cast<uint32_t>(set.validators_size())) {
    return Invalid("signer " + std::to_string(index) + " is not in the set of epoch " + std::to_string(set.epoch()));
  }
  return crypto::PublicKey::FromBytes(set.validators(static_cast<int>(index)).public_key());
}

Bytes VoteMessage(std::string_view chain_id, const v1::Vote& vote) {
  crypto::VoteStatement statement{.epoch = vote.epoch(), .round = vote.round(), .height = vote.height(),
                                  .block_hash = vote.block_hash(), .commit_hash = vote.commit_hash()};
  return crypto::DomainMessage(crypto::Purpose::kVote, chain_id, statement.Payload());
}

Result<Offence> CheckDoubleVote(std::string_view chain_id, const v1::DoubleVote& pair, const v1::ValidatorSet& set,
                                crypto::SignatureVerifier& verifier) {
  const v1::Vote& a = pair.first();
  const v1::Vote& b = pair.second();
  if (a.epoch() != b.epoch() || a.round() != b.round() || a.voter() != b.voter()) {
    return Invalid("the two votes are not of one epoch, round and voter");
  }
  if (a.epoch() != set.epoch()) return Invalid("the set given is not of the votes' epoch");
  const Bytes first = VoteMessage(chain_id, a), second = VoteMessage(chain_id, b);
  if (first == second) return Invalid("the two votes state the same");
  CAIRN_ASSIGN_OR_RETURN(crypto::PublicKey key, SignerKey(set, a.voter()));
  if (!verifier.Verify(key, first, a.signature()) || !verifier.Verify(key, second, b.signature())) {
    return Invalid("a vote's signature is not the voter's");
  }
  return Offence{Offence::Kind::kDoubleVote, a.epoch(), a.round(), a.voter(),
                 set.validators(static_cast<int>(a.voter())).name(), Bytes(key.bytes())};
}

Result<Offence> CheckDoubleProposal(std::string_view chain_id, const v1::DoubleProposal& pair,
                                    const v1::ValidatorSet& set, crypto::SignatureVerifier& verifier) {
  v1::BlockHeader a, b;
  if (!a.ParseFromString(pair.first().header()) || !b.ParseFromString(pair.second().header())) {
    return Invalid("a proposal header does not parse");
  }
  if (a.epoch() != b.epoch() || a.round() != b.round() || a.proposer() != b.proposer()) {
    return Invalid("the two proposals are not of one epoch, round and proposer");
  }
  if (a.epoch() != set.epoch()) return Invalid("the set given is not of the proposals' epoch");
  if (pair.first().header() == pair.second().header()) return Invalid("the two proposals are of the same block");
  CAIRN_ASSIGN_OR_RETURN(crypto::PublicKey key, SignerKey(set, a.proposer()));
  for (const v1::SignedProposal* p : {&pair.first(), &pair.second()}) {
    crypto::ProposalStatement statement{ToBytes(crypto::BlockHash(chain_id, p->header()))};
    if (!verifier.Verify(key, crypto::DomainMessage(crypto::Purpose::kProposal, chain_id, statement.Payload()),
                         p->signature())) {
      return Invalid("a proposal's signature is not the proposer's");
    }
  }
  return Offence{Offence::Kind::kDoubleProposal, a.epoch(), a.round(), a.proposer(),
                 set.validators(static_cast<int>(a.proposer())).name(), Bytes(key.bytes())};
}

}  // namespace

Bytes Offence::Id() const {
  Bytes id(1, kind == Kind::kDoubleVote ? 'V' : 'P');
  AppendU64(&id, epoch);
  AppendU64(&id, round);
  AppendU32(&id, signer);
  return id;
}

Hash OffenceStateKey(const Offence& offence) {
  return crypto::DomainHash(crypto::Purpose::kOffence, "", offence.Id());
}

v1::EvidenceRecord OffenceRecord(const Offence& offence, uint64_t height, uint32_t index) {
  v1::EvidenceRecord record;
  record.set_height(height);
  record.set_index(index);
  record.set_epoch(offence.epoch);
  record.set_round(offence.round);
  record.set_validator_name(offence.signer_name);
  record.set_validator_key(offence.signer_key);
  return record;
}

uint64_t EpochOfEvidence(const v1::Evidence& evidence) {
  if (evidence.has_double_vote()) return evidence.double_vote().first().epoch();
  v1::BlockHeader header;
  return header.ParseFromString(evidence.double_proposal().first().header()) ? header.epoch() : 0;
}

Hash EvidenceRoot(std::string_view chain_id, const google::protobuf::RepeatedPtrField<v1::Evidence>& evidence) {
  std::vector<Hash> leaves;
  leaves.reserve(evidence.size());
  for (const v1::Evidence& e : evidence) leaves.push_back(crypto::EvidenceHash(chain_id, e.SerializeAsString()));
  return crypto::MerkleRoot(leaves);
}

Result<Offence> CheckEvidence(std::string_view chain_id, const v1::Evidence& evidence, const v1::ValidatorSet& set,
                              crypto::SignatureVerifier& verifier) {
  switch (evidence.kind_case()) {
    case v1::Evidence::kDoubleVote: return CheckDoubleVote(chain_id, evidence.double_vote(), set, verifier);
    case v1::Evidence::kDoubleProposal: return CheckDoubleProposal(chain_id, evidence.double_proposal(), set, verifier);
    case v1::Evidence::KIND_NOT_SET: break;
  }
  return Invalid("empty");
}

}  // namespace cairn::ledger
