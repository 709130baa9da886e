#include "node/sync_apply.h"

#include <algorithm>
#include <optional>

#include "crypto/domain.h"
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

SyncOutcome ApplySyncResponse(ledger::Ledger& ledger, crypto::SignatureVerifier& verifier,
                              const v1::SyncResponse& response) {
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
    const v1::CertifiedBlock* certified;
    Hash hash;
  };
  std::vector<Checked> chain;
  Hash previous = ledger.head_hash();
  for (int k = 0; k < response.blocks_size(); ++k) {
    const v1::CertifiedBlock& certified = response.blocks(k);
    const uint64_t height = response.from_height() + static_cast<uint64_t>(k);
    const std::string where = "block " + std::to_string(height) + ": ";
    v1::BlockHeader header;
    if (!header.ParseFromString(certified.block().header())) return Lied(where + "header does not parse");
    if (header.height() != height) return Lied(where + "out of sequence");
    const Hash hash = crypto::BlockHash(context.chain_id, certified.block().header());
    if (height <= head) {
      // Overlap with what we have: it must be ours.
      auto ours = ledger.GetBlock(height);
      if (!ours.ok() || ours->hash != hash) return Lied(where + "differs from our committed block");
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
  SyncOutcome outcome;
  for (int k = 0; k <= proven; ++k) {
    const v1::Block& block = chain[k].certified->block();
    auto executed = ledger.Execute(block);
    if (!executed.ok()) {
      // A quorum certified it, so honest validators executed it: the peer sent a block
      // with a forged certificate, or our execution differs (a bug worth the log).
      outcome.lied = true;
      outcome.why = "certified block does not execute here: " + executed.status().ToString();
      return outcome;
    }
    // The last block applied keeps its proof, so that this node can prove its head.
    const v1::QuorumCertificate* finality = nullptr;
    if (k == proven) finality = proof ? proof : &chain[k + 1].certified->certificate();
    Status committed = ledger.Commit(*executed, chain[k].certified->certificate(), finality);
    if (!committed.ok()) {
      outcome.why = "commit failed: " + committed.ToString();
      return outcome;
    }
    outcome.committed.push_back(block);
  }
  return outcome;
}

}  // namespace cairn::node
