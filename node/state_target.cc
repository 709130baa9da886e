#include "node/state_target.h"

#include "crypto/domain.h"
#include "ledger/governance.h"
#include "ledger/state_base.h"

namespace cairn::node {

namespace {

Status Lie(const std::string& why) { return Status::InvalidArgument("state sync target: " + why); }

}  // namespace

Status CheckParentQc(std::string_view chain_id, const TrustedEpoch& epoch, const v1::Block& block,
                     const v1::BlockHeader& header, crypto::SignatureVerifier& verifier) {
  const v1::QuorumCertificate& qc = block.parent_qc();
  const std::string what = "block " + std::to_string(header.height());
  if (qc.block_hash() != header.parent_hash() || qc.height() + 1 != header.height()) {
    return Status::InvalidArgument(what + ": its parent certificate is for another block");
  }
  if (qc.height() == epoch.root_height) {
    const bool epoch_start = qc.block_hash() == AsView(epoch.root_hash) && qc.epoch() == epoch.epoch && qc.round() == 0 &&
                             qc.signatures_size() == 0 && qc.commit_hash().empty();
    return epoch_start ? Status::Ok()
                       : Status::InvalidArgument(what + ": the first block of an epoch carries the epoch-start certificate");
  }
  return VerifyCertificateOf(chain_id, epoch, qc, verifier).Annotate(what + ": its parent certificate");
}

v1::StateTargetResponse BuildStateTarget(const ledger::Ledger& ledger) {
  v1::StateTargetResponse response;
  // The head and the governance state are read apart: a commit in between makes them
  // disagree, and the next try reads a settled pair.
  for (int attempt = 0; attempt < 3; ++attempt) {
    const v1::GovernanceState governance = ledger.Governance();
    auto head = ledger.GetBlock(ledger.height());
    if (!head.ok() || !head->certificate) {
      response.set_error(head.ok() ? "this node is at genesis" : head.status().message());
      return response;
    }
    if (head->header.governance_hash() != AsView(ledger::GovernanceHash(ledger.chain_id(), governance))) continue;
    auto finality = ledger.FinalityProof(head->header.height());
    if (!finality.ok() || !*finality) {
      response.set_error("no finality certificate for the head");
      return response;
    }
    *response.mutable_head()->mutable_block() = std::move(head->block);
    *response.mutable_head()->mutable_certificate() = std::move(*head->certificate);
    *response.mutable_finality() = std::move(**finality);
    *response.mutable_governance() = governance;
    return response;
  }
  response.set_error("the head moved while it was read");
  return response;
}

Result<VerifiedTarget> VerifyStateTarget(std::string_view chain_id, const TrustedEpoch& current,
                                         const TrustedEpoch* previous, const v1::StateTargetResponse& target,
                                         crypto::SignatureVerifier& verifier) {
  VerifiedTarget out;
  const v1::Block& block = target.head().block();
  if (!out.header.ParseFromString(block.header())) return Lie("the header does not parse");
  out.hash = crypto::BlockHash(chain_id, block.header());
  const uint64_t height = out.header.height();
  const v1::QuorumCertificate& qc = target.head().certificate();
  if (qc.block_hash() != AsView(out.hash) || qc.height() != height) return Lie("the certificate is for another block");
  if (target.finality().commit_hash() != AsView(out.hash)) return Lie("the finality certificate names another block");
  if (out.header.governance_hash() != AsView(ledger::GovernanceHash(chain_id, target.governance()))) {
    return Lie("the governance state is not the one the header commits to");
  }
  CAIRN_RETURN_IF_ERROR(ledger::CheckBlockBody(chain_id, block, out.header).Annotate("state sync target"));

  // The current epoch's root, which the epoch change already proved final: certified
  // by the epoch before.
  const bool is_root = height == current.root_height && out.hash == current.root_hash;
  if (!is_root) {
    if (out.header.epoch() > current.epoch) {
      return Status::Unavailable("the target block is of epoch " + std::to_string(out.header.epoch()) +
                                        ", later than the proven epoch " + std::to_string(current.epoch));
    }
    if (out.header.epoch() < current.epoch || height <= current.root_height) {
      return Status::FailedPrecondition("the target block " + std::to_string(height) + " is older than epoch " +
                                        std::to_string(current.epoch));
    }
    if (target.governance().epoch() != current.epoch) {
      return Status::Unavailable("the target block ends epoch " + std::to_string(current.epoch) +
                                        ": its change comes with the next epoch changes");
    }
  }
  if (!is_root) {
    if (Status parent = CheckParentQc(chain_id, current, block, out.header, verifier); !parent.ok()) {
      return Lie(parent.message());
    }
  }
  const TrustedEpoch* signers = is_root ? previous : &current;
  if (signers == nullptr) return Status::FailedPrecondition("the target is the genesis block: nothing to restore");
  if (Status valid = VerifyCertificateOf(chain_id, *signers, qc, verifier); !valid.ok()) {
    return Lie("its certificate: " + valid.message());
  }
  if (Status valid = VerifyCertificateOf(chain_id, *signers, target.finality(), verifier); !valid.ok()) {
    return Lie("its finality certificate: " + valid.message());
  }
  return out;
}

Status CheckEpochRoot(std::string_view chain_id, const TrustedEpoch& before, const TrustedEpoch& epoch,
                      const v1::CertifiedBlock& block, crypto::SignatureVerifier& verifier) {
  const std::string what = "block " + std::to_string(epoch.root_height);
  v1::BlockHeader header;
  if (!header.ParseFromString(block.block().header())) return Status::InvalidArgument(what + ": the header does not parse");
  if (crypto::BlockHash(chain_id, block.block().header()) != epoch.root_hash) {
    return Status::InvalidArgument(what + " is not the root of epoch " + std::to_string(epoch.epoch));
  }
  CAIRN_RETURN_IF_ERROR(ledger::CheckBlockBody(chain_id, block.block(), header));
  if (block.certificate().block_hash() != AsView(epoch.root_hash)) {
    return Status::InvalidArgument(what + ": its certificate is for another block");
  }
  CAIRN_RETURN_IF_ERROR(VerifyCertificateOf(chain_id, before, block.certificate(), verifier).Annotate(what + ": its certificate"));
  // Its parent certificate too: the block is kept and served whole, every byte of it.
  return CheckParentQc(chain_id, before, block.block(), header, verifier);
}

Status CheckChainBelow(std::string_view chain_id, const TrustedEpoch& epoch, std::string_view parent_hash,
                       const std::vector<v1::CertifiedBlock>& blocks, crypto::SignatureVerifier& verifier) {
  std::string expected(parent_hash);
  for (auto b = blocks.rbegin(); b != blocks.rend(); ++b) {
    v1::BlockHeader header;
    if (!header.ParseFromString(b->block().header())) return Status::InvalidArgument("a header does not parse");
    const std::string what = "block " + std::to_string(header.height());
    const Hash hash = crypto::BlockHash(chain_id, b->block().header());
    if (AsView(hash) != expected) return Status::InvalidArgument(what + " is not the parent of the next");
    CAIRN_RETURN_IF_ERROR(ledger::CheckBlockBody(chain_id, b->block(), header));
    if (b->certificate().block_hash() != AsView(hash) || b->certificate().round() != header.round() ||
        b->certificate().epoch() != header.epoch()) {
      return Status::InvalidArgument(what + ": its certificate is for another block");
    }
    CAIRN_RETURN_IF_ERROR(VerifyCertificateOf(chain_id, epoch, b->certificate(), verifier).Annotate(what + ": its certificate"));
    CAIRN_RETURN_IF_ERROR(CheckParentQc(chain_id, epoch, b->block(), header, verifier));
    expected = header.parent_hash();
  }
  return Status::Ok();
}

}  // namespace cairn::node
