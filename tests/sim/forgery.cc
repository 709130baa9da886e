#include "tests/sim/forgery.h"

#include "crypto/domain.h"

namespace cairn::sim {

namespace {

const Bytes kGarbageSignature(64, '\x5a');

// `signatures` cut or padded to `count` signers, in index order; padding uses members of
// the set not yet in it, with garbage signatures.
std::map<uint32_t, Bytes> ToCount(std::map<uint32_t, Bytes> signatures, size_t count, size_t set_size) {
  while (signatures.size() > count) signatures.erase(std::prev(signatures.end()));
  for (uint32_t v = 0; v < set_size && signatures.size() < count; ++v) signatures.emplace(v, kGarbageSignature);
  return signatures;
}

}  // namespace

const char* ForgeryName(Forgery kind) {
  switch (kind) {
    case Forgery::kUndersized: return "undersized";
    case Forgery::kBadSignature: return "badly signed";
    case Forgery::kWrongEpoch: return "wrong epoch";
    case Forgery::kWrongBlock: return "wrong statement";
  }
  return "?";
}

void SeenSignatures::Record(const v1::ConsensusMessage& message) {
  if (message.has_vote()) {
    votes[message.vote().block_hash()][message.vote().voter()] = message.vote().signature();
  } else if (message.has_timeout()) {
    const v1::Timeout& t = message.timeout();
    timeouts[t.round()][t.sender()] = {t.high_qc().round(), t.signature()};
  }
}

v1::Vote SignedVote(const consensus::Context& context, const crypto::PrivateKey& key, uint32_t validator,
                    const v1::Block& block) {
  v1::BlockHeader header;
  header.ParseFromString(block.header());
  const v1::QuorumCertificate& qc = block.parent_qc();
  v1::Vote vote;
  vote.set_epoch(header.epoch());
  vote.set_round(header.round());
  vote.set_height(header.height());
  vote.set_block_hash(ToBytes(crypto::BlockHash(context.chain_id, block.header())));
  if (header.round() == qc.round() + 1 && qc.round() > 0) vote.set_commit_hash(qc.block_hash());
  vote.set_voter(validator);
  vote.set_signature(key.Sign(consensus::VoteMessage(context, consensus::StatementOf(vote))));
  return vote;
}

v1::QuorumCertificate ForgeQc(const consensus::Context& context, const crypto::PrivateKey& key, uint32_t self,
                              const v1::Block& block, const SeenSignatures& seen, Forgery kind, const Bytes& other) {
  const v1::Vote own = SignedVote(context, key, self, block);
  v1::QuorumCertificate qc;
  qc.set_epoch(own.epoch());
  qc.set_round(own.round());
  qc.set_height(own.height());
  qc.set_block_hash(own.block_hash());
  qc.set_commit_hash(own.commit_hash());
  std::map<uint32_t, Bytes> real;
  if (auto it = seen.votes.find(own.block_hash()); it != seen.votes.end()) real = it->second;
  real[self] = own.signature();
  const size_t quorum = context.committee.quorum(), n = context.committee.size();
  std::map<uint32_t, Bytes> signatures;
  switch (kind) {
    case Forgery::kUndersized: signatures = ToCount(std::move(real), quorum - 1, 0); break;
    case Forgery::kBadSignature:
      // Real signatures of every signer but one at most, so that only the garbage fails.
      signatures = ToCount(std::move(real), quorum - 1, 0);
      signatures = ToCount(std::move(signatures), quorum, n);
      break;
    case Forgery::kWrongEpoch:
      qc.set_epoch(qc.epoch() + 1);
      signatures = ToCount(std::move(real), quorum, n);
      break;
    case Forgery::kWrongBlock:
      qc.set_block_hash(other);
      signatures = ToCount(std::move(real), quorum, n);
      break;
  }
  for (const auto& [v, signature] : signatures) {
    v1::ValidatorSignature* s = qc.add_signatures();
    s->set_validator_index(v);
    s->set_signature(signature);
  }
  return qc;
}

v1::TimeoutCertificate ForgeTc(const consensus::Context& context, const crypto::PrivateKey& key, uint32_t self,
                               uint64_t round, const SeenSignatures& seen, Forgery kind) {
  v1::TimeoutCertificate tc;
  tc.set_epoch(context.committee.epoch());
  tc.set_round(round);
  std::map<uint32_t, Bytes> signatures{{self, key.Sign(consensus::TimeoutMessage(context, round, 0))}};
  const size_t quorum = context.committee.quorum(), n = context.committee.size();
  switch (kind) {
    case Forgery::kUndersized: break;
    case Forgery::kBadSignature: signatures = ToCount(std::move(signatures), quorum, n); break;
    case Forgery::kWrongEpoch:
      tc.set_epoch(tc.epoch() + 1);
      signatures = ToCount(std::move(signatures), quorum, n);
      break;
    case Forgery::kWrongBlock:
      // Others' real timeouts of the round, their reported high_qc_round rewritten to 0.
      if (auto it = seen.timeouts.find(round); it != seen.timeouts.end()) {
        for (const auto& [v, reported] : it->second) signatures.emplace(v, reported.second);
      }
      signatures = ToCount(std::move(signatures), quorum, n);
      break;
  }
  for (const auto& [v, signature] : signatures) {
    v1::TimeoutSignature* s = tc.add_signatures();
    s->set_validator_index(v);
    s->set_high_qc_round(0);
    s->set_signature(signature);
  }
  return tc;
}

}  // namespace cairn::sim
