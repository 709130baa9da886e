#include "tests/sim/checker.h"

#include <set>

#include "crypto/domain.h"

namespace cairn::sim {

Checker::Checker(std::string chain_id, crypto::SignatureVerifier& verifier, std::vector<std::string> names)
    : chain_id_(std::move(chain_id)),
      verifier_(verifier),
      names_(std::move(names)),
      height_(names_.size(), 0),
      last_commit_ms_(names_.size(), 0) {}

std::optional<std::string> Checker::OnCommit(int instance, bool checked, const v1::Block& block,
                                             const v1::QuorumCertificate& certificate, uint64_t now_ms,
                                             const consensus::Context& epoch) {
  // Equivocators may do anything; the invariants are about the replica's own code.
  if (!checked) return std::nullopt;
  v1::BlockHeader header;
  if (!header.ParseFromString(block.header())) return "committed block header does not parse";
  const Hash hash = crypto::BlockHash(chain_id_, block.header());
  const uint64_t height = header.height();
  const std::string& who = names_[instance];
  if (height != height_[instance] + 1) {
    return who + " committed height " + std::to_string(height) + " after " + std::to_string(height_[instance]);
  }
  if (certificate.block_hash() != AsView(hash)) return who + " committed block " + std::to_string(height) + " with a certificate of another block";
  if (auto bad = CheckQuorum(epoch, certificate)) {
    return who + " committed block " + std::to_string(height) + " with a bad certificate: " + *bad;
  }
  height_[instance] = height;
  last_commit_ms_[instance] = now_ms;
  ++commits_;
  max_height_ = std::max(max_height_, height);
  auto [it, first] = canonical_.emplace(height, FirstCommit{hash, instance});
  if (!first && it->second.hash != hash) {
    return "FORK at height " + std::to_string(height) + ": " + who + " committed " + ToHex(hash).substr(0, 16) + ", " +
           names_[it->second.instance] + " committed " + ToHex(it->second.hash).substr(0, 16);
  }
  return std::nullopt;
}

std::optional<std::string> Checker::OnFinality(int instance, const v1::Block& last,
                                               const v1::QuorumCertificate& finality, const consensus::Context& epoch) {
  const Hash hash = crypto::BlockHash(chain_id_, last.header());
  const std::string& who = names_[instance];
  if (finality.commit_hash() != AsView(hash)) return who + " committed without a certificate naming its last block";
  if (auto bad = CheckQuorum(epoch, finality)) return who + " committed with a bad finality certificate: " + *bad;
  return std::nullopt;
}

std::optional<std::string> Checker::CheckQuorum(const consensus::Context& epoch, const v1::QuorumCertificate& qc) const {
  const std::span<const crypto::PublicKey> keys = epoch.committee.keys();
  if (qc.epoch() != epoch.committee.epoch()) return "it is of epoch " + std::to_string(qc.epoch());
  const size_t n = keys.size();
  const size_t needed = n - (n - 1) / 3;
  if (static_cast<size_t>(qc.signatures_size()) < needed) {
    return std::to_string(qc.signatures_size()) + " signers, " + std::to_string(needed) + " of " + std::to_string(n) +
           " needed";
  }
  const crypto::VoteStatement statement{.epoch = qc.epoch(), .round = qc.round(), .height = qc.height(),
                                        .block_hash = qc.block_hash(), .commit_hash = qc.commit_hash()};
  const Bytes message = crypto::DomainMessage(crypto::Purpose::kVote, chain_id_, statement.Payload());
  std::set<uint32_t> signers;
  for (const v1::ValidatorSignature& s : qc.signatures()) {
    if (s.validator_index() >= n || !signers.insert(s.validator_index()).second) {
      return "signer " + std::to_string(s.validator_index()) + " is not a distinct member of the set";
    }
    if (!verifier_.Verify(keys[s.validator_index()], message, s.signature())) {
      return "the signature of validator " + std::to_string(s.validator_index()) + " does not verify";
    }
  }
  return std::nullopt;
}

}  // namespace cairn::sim
