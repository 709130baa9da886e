#include "node/epoch_chain.h"

#include "consensus/certificates.h"
#include "crypto/domain.h"
#include "ledger/genesis.h"
#include "ledger/governance.h"

namespace cairn::node {

namespace {

Status Refuse(uint64_t epoch, const std::string& what) {
  return Status::InvalidArgument("the change to epoch " + std::to_string(epoch) + ": " + what);
}

}  // namespace

Status VerifyCertificateOf(std::string_view chain_id, const TrustedEpoch& epoch, const v1::QuorumCertificate& qc,
                           crypto::SignatureVerifier& verifier) {
  CAIRN_ASSIGN_OR_RETURN(auto committee, consensus::Committee::From(epoch.validators));
  const consensus::Context context{std::string(chain_id), std::move(committee), epoch.root_hash, epoch.root_height};
  if (consensus::IsEpochStartQc(context, qc)) return Status::InvalidArgument("an epoch-start certificate proves nothing final");
  return consensus::VerifyQc(context, qc, verifier);
}

TrustedEpoch GenesisEpoch(const v1::Genesis& genesis) {
  ledger::GenesisState state = ledger::BuildGenesisState(genesis);
  TrustedEpoch out;
  out.epoch = 0;
  out.validators = std::move(state.validators);
  out.root_height = 0;
  out.root_hash = state.block_hash;
  out.governance = std::move(state.governance);
  return out;
}

std::string Checkpoint::ToString() const { return std::to_string(height) + ":" + ToHex(hash); }

Result<Checkpoint> ParseCheckpoint(std::string_view text) {
  const std::string bad = "'" + std::string(text) + "' is not a checkpoint HEIGHT:HASH (the genesis block or the last block "
                          "of an epoch: `cairn epochs` lists them)";
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) return Status::InvalidArgument(bad);
  Checkpoint out;
  for (char c : text.substr(0, colon)) {
    if (c < '0' || c > '9' || out.height > (UINT64_MAX - 9) / 10) return Status::InvalidArgument(bad);
    out.height = out.height * 10 + static_cast<uint64_t>(c - '0');
  }
  auto bytes = FromHex(text.substr(colon + 1));
  if (!bytes.ok() || bytes->size() != 32) return Status::InvalidArgument(bad + ": the hash is not 64 hex characters");
  out.hash = HashFromBytes(*bytes).value();
  return out;
}

Status CheckChangeAgainst(const Checkpoint& checkpoint, const TrustedEpoch& before, const TrustedEpoch& next) {
  if (next.root_height == checkpoint.height && next.root_hash != checkpoint.hash) {
    return Status::InvalidArgument("epoch " + std::to_string(before.epoch) + " ends at block " +
                                   std::to_string(next.root_height) + " " + ToHex(next.root_hash) +
                                   ", not at the checkpoint " + checkpoint.ToString());
  }
  if (before.root_height < checkpoint.height && checkpoint.height < next.root_height) {
    return Status::InvalidArgument("epoch " + std::to_string(before.epoch) + " runs from block " +
                                   std::to_string(before.root_height + 1) + " to " + std::to_string(next.root_height) +
                                   ": the checkpoint " + checkpoint.ToString() + " ends no epoch of this chain");
  }
  return Status::Ok();
}

Result<TrustedEpoch> VerifyEpochChange(std::string_view chain_id, const TrustedEpoch& before,
                                       const v1::EpochChangeProof& proof, crypto::SignatureVerifier& verifier) {
  const uint64_t next = before.epoch + 1;
  v1::BlockHeader header;
  if (!header.ParseFromString(proof.header())) return Refuse(next, "the header does not parse");
  if (header.epoch() != before.epoch) return Refuse(next, "the block is not of epoch " + std::to_string(before.epoch));
  if (header.height() <= before.root_height) return Refuse(next, "the block is not above the epoch's root");
  const Hash block_hash = crypto::BlockHash(chain_id, proof.header());
  const v1::QuorumCertificate& qc = proof.finality();
  if (qc.epoch() != before.epoch || qc.commit_hash() != AsView(block_hash)) {
    return Refuse(next, "the certificate does not prove that block final");
  }
  if (Status valid = VerifyCertificateOf(chain_id, before, qc, verifier); !valid.ok()) {
    return Refuse(next, "the certificate: " + valid.message());
  }
  if (header.governance_hash() != AsView(ledger::GovernanceHash(chain_id, proof.governance()))) {
    return Refuse(next, "the governance state is not the one the header commits to");
  }
  if (proof.governance().epoch() != next) return Refuse(next, "the governance state does not start it");
  TrustedEpoch out;
  out.epoch = next;
  out.validators = proof.governance().validators();
  out.root_height = header.height();
  out.root_hash = block_hash;
  out.governance = proof.governance();
  return out;
}

v1::EpochChangeProof ProofOf(const ledger::EpochChange& change) {
  v1::EpochChangeProof proof;
  proof.set_header(change.last_block.block.header());
  *proof.mutable_finality() = change.finality;
  *proof.mutable_governance() = change.governance;
  return proof;
}

Result<v1::EpochChangeProof> GenesisRootOf(const ledger::Ledger& ledger) {
  CAIRN_ASSIGN_OR_RETURN(ledger::StoredBlock genesis, ledger.GetBlockHeader(0));
  CAIRN_ASSIGN_OR_RETURN(v1::ValidatorSet set, ledger.ValidatorSet(0));
  v1::EpochChangeProof root;
  root.set_header(genesis.block.header());
  *root.mutable_governance() = ledger::GenesisGovernance(ledger.genesis(), set);
  return root;
}

v1::EpochChangesResponse BuildEpochChanges(const ledger::Ledger& ledger, uint64_t from_epoch) {
  v1::EpochChangesResponse response;
  response.set_from_epoch(from_epoch);
  const uint64_t current = ledger.epoch();
  response.set_current_epoch(current);
  if (from_epoch == 0) {
    auto root = GenesisRootOf(ledger);
    if (!root.ok()) {
      response.set_error("this node cannot give the genesis block: " + root.status().message());
      return response;
    }
    *response.add_changes() = std::move(*root);
    from_epoch = 1;
  }
  for (uint64_t epoch = from_epoch; epoch <= current && response.changes_size() < static_cast<int>(kMaxEpochChangesPerPage);
       ++epoch) {
    auto change = ledger.EpochChangeTo(epoch);
    if (!change.ok()) {
      // What this node cannot prove (a directory written before it kept the record):
      // the changes before it are still of use, the requester asks elsewhere for it.
      if (response.changes_size() == 0) response.set_error(change.status().message());
      break;
    }
    *response.add_changes() = ProofOf(*change);
  }
  return response;
}

}  // namespace cairn::node
