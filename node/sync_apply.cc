#include "node/sync_apply.h"

#include <algorithm>
#include <optional>

#include "crypto/domain.h"
#include "ledger/tx_check.h"
#include "node/certificate_check.h"

namespace cairn::node {

namespace {

SyncOutcome Lied(std::string why) {
  SyncOutcome outcome;
  outcome.lied = true;
  outcome.why = std::move(why);
  return outcome;
}

}  // namespace

v1::SyncResponse BuildSyncResponse(const ledger::Ledger& ledger, uint64_t from_height, uint32_t max_blocks,
                                   size_t budget_bytes) {
  v1::SyncResponse response;
  const uint64_t first = std::max<uint64_t>(from_height, 1);
  response.set_from_height(first);
  auto proof_of = [&ledger](uint64_t height) {
    auto proof = ledger.FinalityProof(height);
    return proof.ok() ? std::move(*proof) : std::nullopt;
  };
  size_t bytes = 0;
  std::optional<uint64_t> epoch;
  std::optional<v1::QuorumCertificate> proof;  // of the last block, once it is past max_blocks
  for (uint64_t h = first; h <= ledger.height(); ++h) {
    auto stored = ledger.GetBlock(h);
    if (!stored.ok() || !stored->certificate) break;
    if (epoch && stored->header.epoch() != *epoch) break;
    epoch = stored->header.epoch();
    const size_t size = stored->block.ByteSizeLong() + stored->certificate->ByteSizeLong();
    if (response.blocks_size() > 0 && bytes + size > budget_bytes) break;
    bytes += size;
    v1::CertifiedBlock* out = response.add_blocks();
    *out->mutable_block() = std::move(stored->block);
    *out->mutable_certificate() = std::move(*stored->certificate);
    // Past max_blocks only until a block has its own proof: a block committed as an
    // ancestor is proven by a later one, and a response ending on it would let the
    // receiver commit nothing, however often it asked (a window of one such block, the
    // rest of its batch buffered above it, wedged sync).
    if (static_cast<uint32_t>(response.blocks_size()) >= max_blocks && (proof = proof_of(h))) break;
  }
  if (!proof && response.blocks_size() > 0) proof = proof_of(first + static_cast<uint64_t>(response.blocks_size()) - 1);
  if (proof) *response.mutable_finality() = std::move(*proof);
  return response;
}

void WarmSyncSignatures(const ledger::Ledger& ledger, crypto::SignatureVerifier& verifier,
                        const v1::SyncResponse& response) {
  auto context = CurrentEpochContext(ledger);
  if (!context.ok()) return;
  for (const v1::CertifiedBlock& certified : response.blocks()) {
    if (certified.certificate().epoch() == context->committee.epoch()) {
      (void)consensus::VerifyQc(*context, certified.certificate(), verifier);
    }
    for (const v1::Transaction& tx : certified.block().transactions()) {
      (void)ledger::CheckTransaction(tx, context->chain_id, verifier);
    }
  }
  if (response.has_finality() && response.finality().epoch() == context->committee.epoch()) {
    (void)consensus::VerifyQc(*context, response.finality(), verifier);
  }
}

SyncOutcome ApplySyncResponse(ledger::Ledger& ledger, crypto::SignatureVerifier& verifier,
                              v1::SyncResponse response) {
  const uint64_t head = ledger.height();
  auto current = CurrentEpochContext(ledger);
  if (!current.ok()) {
    SyncOutcome outcome;
    outcome.why = "cannot read the current epoch: " + current.status().ToString();
    return outcome;
  }
  const consensus::Context& context = *current;
  // The blocks above our head, checked as one hash chain from it.
  struct Checked {
    v1::CertifiedBlock* certified;
    Hash hash;
  };
  std::vector<Checked> chain;
  Hash previous = ledger.head_hash();
  for (int k = 0; k < response.blocks_size(); ++k) {
    v1::CertifiedBlock& certified = *response.mutable_blocks(k);
    const uint64_t height = response.from_height() + static_cast<uint64_t>(k);
    const std::string where = "block " + std::to_string(height) + ": ";
    v1::BlockHeader header;
    if (!header.ParseFromString(certified.block().header())) return Lied(where + "header does not parse");
    if (header.height() != height) return Lied(where + "out of sequence");
    const Hash hash = crypto::BlockHash(context.chain_id, certified.block().header());
    if (height <= head) {
      // Overlap with what we have: it must be ours.
      auto ours = ledger.CommittedBlockHash(height);
      if (!ours.ok() || *ours != hash) return Lied(where + "differs from our committed block");
      continue;
    }
    if (header.parent_hash() != AsView(previous)) return Lied(where + "does not extend the block before it");
    if (header.epoch() != context.committee.epoch()) break;  // a later epoch: its set is not known yet
    const v1::QuorumCertificate& qc = certified.certificate();
    if (qc.block_hash() != AsView(hash) || qc.height() != height || qc.round() != header.round() ||
        qc.epoch() != header.epoch()) {
      return Lied(where + "certificate is for another block");
    }
    if (Status valid = consensus::VerifyQc(context, qc, verifier); !valid.ok()) return Lied(where + valid.ToString());
    // The parent certificate the block carries is stored and served with it, and not
    // covered by the block's hash: one of a parent of this epoch must be a quorum's (the
    // first block of an epoch carries its root's epoch-start certificate, round 0).
    const v1::QuorumCertificate& parent_qc = certified.block().parent_qc();
    if (parent_qc.block_hash() != header.parent_hash()) return Lied(where + "parent certificate is for another block");
    if (parent_qc.round() > 0) {
      if (Status valid = consensus::VerifyQc(context, parent_qc, verifier); !valid.ok()) {
        return Lied(where + "parent certificate: " + valid.ToString());
      }
    }
    chain.push_back({&certified, hash});
    previous = hash;
  }
  // The highest block proven final, and the certificate that proves it.
  int proven = -1;
  const v1::QuorumCertificate* proof = nullptr;
  for (int k = 0; k + 1 < static_cast<int>(chain.size()); ++k) {
    const v1::QuorumCertificate& next = chain[k + 1].certified->certificate();
    if (next.commit_hash() == AsView(chain[k].hash)) {
      proven = k;
      proof = nullptr;  // stored with block k + 1 as its certificate
    }
  }
  if (!chain.empty() && response.has_finality() && response.finality().commit_hash() == AsView(chain.back().hash)) {
    if (Status valid = consensus::VerifyQc(context, response.finality(), verifier); !valid.ok()) {
      return Lied("finality certificate: " + valid.ToString());
    }
    proven = static_cast<int>(chain.size()) - 1;
    proof = &response.finality();
  }
  // Each proven block executed on the one before it, then all of them committed in one
  // synced batch: a window costs one sync, not one a block.
  SyncOutcome outcome;
  std::vector<ledger::ExecutedBlock> executed;
  executed.reserve(static_cast<size_t>(proven + 1));
  std::vector<const ledger::ExecutedBlock*> pending;  // newest first
  for (int k = 0; k <= proven; ++k) {
    auto block = ledger.Execute(std::move(*chain[k].certified->mutable_block()), pending);
    if (!block.ok()) {
      // A quorum certified it, so honest validators executed it: the peer sent a block
      // with a forged certificate, or our execution differs (a bug worth the log).
      outcome.lied = true;
      outcome.why = "certified block does not execute here: " + block.status().ToString();
      break;
    }
    executed.push_back(std::move(*block));
    pending.assign(1, &executed.back());
    for (int j = k - 1; j >= 0; --j) pending.push_back(&executed[static_cast<size_t>(j)]);
  }
  std::vector<ledger::BlockToCommit> commits;
  for (size_t k = 0; k < executed.size(); ++k) {
    const v1::QuorumCertificate* certificate = &chain[k].certified->certificate();
    // The last block proven keeps its proof, so that this node can prove its head (a
    // block before it is proven by a later one through the hash chain).
    const v1::QuorumCertificate* finality = nullptr;
    if (static_cast<int>(k) == proven) finality = proof ? proof : &chain[k + 1].certified->certificate();
    commits.push_back({&executed[k], certificate, finality});
  }
  if (Status committed = ledger.CommitChain(commits); !committed.ok()) {
    outcome.lied = false;
    outcome.why = "commit failed: " + committed.ToString();
    return outcome;
  }
  for (ledger::ExecutedBlock& block : executed) outcome.committed.push_back(std::move(block.block));
  return outcome;
}

}  // namespace cairn::node
