#include "tests/sim/checker.h"

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
  Status valid = consensus::VerifyQc(epoch, certificate, verifier_);
  if (!valid.ok()) return who + " committed block " + std::to_string(height) + " with a bad certificate: " + valid.ToString();
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
  Status valid = consensus::VerifyQc(epoch, finality, verifier_);
  if (!valid.ok()) return who + " committed with a bad finality certificate: " + valid.ToString();
  return std::nullopt;
}

}  // namespace cairn::sim
