#include "node/light_client.h"

#include <filesystem>
#include <fstream>

#include "crypto/domain.h"
#include "ledger/governance.h"
#include "ledger/json_file.h"
#include "ledger/state_base.h"
#include "node/read_proofs.h"

namespace cairn::node {

namespace {

constexpr std::string_view kFormat = "cairn-trust/1";
// A trust store holds a set per epoch: a few KB each at 16 validators.
constexpr size_t kMaxStoreBytes = 64u << 20;

v1::TrustedEpochRecord RecordOf(const TrustedEpoch& epoch) {
  v1::TrustedEpochRecord record;
  record.set_epoch(epoch.epoch);
  *record.mutable_validators() = epoch.validators;
  record.set_root_height(epoch.root_height);
  record.set_root_hash(ToBytes(epoch.root_hash));
  return record;
}

Status Refuse(const std::string& what) { return Status::InvalidArgument(what); }

}  // namespace

LightClient LightClient::FromGenesis(const v1::Genesis& genesis) {
  LightClient client;
  TrustedEpoch epoch0 = GenesisEpoch(genesis);
  client.store_.set_format(std::string(kFormat));
  client.store_.set_chain_id(genesis.chain_id());
  client.store_.set_root_height(0);
  client.store_.set_root_hash(ToBytes(epoch0.root_hash));
  client.Record(epoch0);
  return client;
}

Result<LightClient> LightClient::FromCheckpoint(std::string chain_id, uint64_t height, const Hash& hash,
                                                const v1::EpochChangeProof& change) {
  const std::string what = "checkpoint " + std::to_string(height) + ":" + ToHex(hash);
  v1::BlockHeader header;
  if (!change.has_governance() || !header.ParseFromString(change.header()) || header.height() != height ||
      crypto::BlockHash(chain_id, change.header()) != hash) {
    return Refuse(what + " is not the genesis block or the last block of an epoch on chain " + chain_id +
                  " (a checkpoint names one: `cairn epochs` lists them)");
  }
  // The genesis block starts epoch 0; an epoch's last block, the next epoch.
  const uint64_t starts = height == 0 ? 0 : header.epoch() + 1;
  if (header.governance_hash() != AsView(ledger::GovernanceHash(chain_id, change.governance())) ||
      change.governance().epoch() != starts) {
    return Refuse(what + ": the governance state given with it is not the one its header commits to");
  }
  LightClient client;
  client.store_.set_format(std::string(kFormat));
  client.store_.set_chain_id(std::move(chain_id));
  client.store_.set_root_height(height);
  client.store_.set_root_hash(ToBytes(hash));
  TrustedEpoch epoch;
  epoch.epoch = change.governance().epoch();
  epoch.validators = change.governance().validators();
  epoch.root_height = height;
  epoch.root_hash = hash;
  epoch.governance = change.governance();
  client.Record(epoch);
  client.store_.set_latest_height(height);
  client.store_.set_latest_hash(ToBytes(hash));
  client.store_.set_latest_timestamp_ms(header.timestamp_ms());
  return client;
}

Result<LightClient> LightClient::Load(const std::string& path) {
  CAIRN_ASSIGN_OR_RETURN(std::string bytes, ledger::ReadSmallFile(path, kMaxStoreBytes));
  LightClient client;
  const std::string damaged = "trust store " + path + " is damaged (delete it to start again from the genesis file): ";
  if (!client.store_.ParseFromString(bytes)) return Status::Corruption(damaged + "it does not parse");
  if (client.store_.format() != kFormat) return Status::Corruption(damaged + "its format is not " + std::string(kFormat));
  if (client.store_.epochs().empty()) return Status::Corruption(damaged + "it holds no epoch");
  for (const v1::TrustedEpochRecord& record : client.store_.epochs()) {
    auto root = HashFromBytes(record.root_hash());
    const bool in_order = client.epochs_.empty() || record.epoch() == client.epochs_.back().epoch + 1;
    if (!root.ok() || !in_order) return Status::Corruption(damaged + "its epochs are not in order");
    TrustedEpoch epoch;
    epoch.epoch = record.epoch();
    epoch.validators = record.validators();
    epoch.root_height = record.root_height();
    epoch.root_hash = *root;
    client.epochs_.push_back(std::move(epoch));
  }
  return client;
}

Status LightClient::Save(const std::string& path) const {
  const std::filesystem::path target(path);
  std::error_code error;
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), error);
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << store_.SerializeAsString();
    out.flush();
    if (!out) return Status::IoError("cannot write the trust store " + temporary);
  }
  std::filesystem::rename(temporary, target, error);
  if (error) return Status::IoError("cannot replace the trust store " + path + ": " + error.message());
  return Status::Ok();
}

Hash LightClient::root_hash() const {
  auto hash = HashFromBytes(store_.root_hash());
  return hash.ok() ? *hash : Hash{};
}

void LightClient::Record(const TrustedEpoch& epoch) {
  *store_.add_epochs() = RecordOf(epoch);
  epochs_.push_back(epoch);
}

Status LightClient::ProveEpoch(uint64_t epoch, const EpochChangeFetcher& fetch) {
  while (latest_epoch() < epoch) {
    const uint64_t next = latest_epoch() + 1;
    CAIRN_ASSIGN_OR_RETURN(v1::EpochChangesResponse page, fetch(next));
    if (page.changes().empty()) {
      return Refuse("cannot prove epoch " + std::to_string(epoch) + ": the node gives no change to epoch " +
                    std::to_string(next) + (page.error().empty() ? "" : " (" + page.error() + ")"));
    }
    for (const v1::EpochChangeProof& change : page.changes()) {
      CAIRN_ASSIGN_OR_RETURN(TrustedEpoch proven, VerifyEpochChange(chain_id(), epochs_.back(), change, verifier_));
      Record(proven);
      if (latest_epoch() >= epoch) break;
    }
  }
  return Status::Ok();
}

Result<const TrustedEpoch*> LightClient::Epoch(uint64_t epoch, const EpochChangeFetcher& fetch) {
  if (epoch < first_epoch()) {
    return Refuse("epoch " + std::to_string(epoch) + " is before this client's checkpoint (block " +
                  std::to_string(root_height()) + ", epoch " + std::to_string(first_epoch()) + "): it cannot prove it");
  }
  CAIRN_RETURN_IF_ERROR(ProveEpoch(epoch, fetch));
  return &epochs_[epoch - first_epoch()];
}

Result<VerifiedHeader> LightClient::VerifyCommitted(const std::string& header_bytes, const v1::CommitProof& proof,
                                                    const EpochChangeFetcher& fetch) {
  VerifiedHeader out;
  if (!out.header.ParseFromString(header_bytes)) return Refuse("the block header does not parse");
  out.hash = crypto::BlockHash(chain_id(), header_bytes);
  const uint64_t height = out.header.height();
  const std::string what = "block " + std::to_string(height);
  if (height == root_height() && out.hash == root_hash()) return out;  // the trusted root itself
  CAIRN_ASSIGN_OR_RETURN(const TrustedEpoch* epoch, Epoch(out.header.epoch(), fetch));
  // Where the epoch's bounds are proven, the header must be inside them: its last block
  // is known by hash once the next epoch is proven.
  if (height <= epoch->root_height) {
    return Refuse(what + " is not above the root of its epoch " + std::to_string(epoch->epoch) + " (block " +
                  std::to_string(epoch->root_height) + ")");
  }
  if (epoch->epoch < latest_epoch()) {
    const TrustedEpoch& next = epochs_[epoch->epoch + 1 - first_epoch()];
    if (height > next.root_height || (height == next.root_height && out.hash != next.root_hash)) {
      return Refuse(what + " is not a block of epoch " + std::to_string(epoch->epoch) + ", which ended at block " +
                    std::to_string(next.root_height) + " " + ToHex(next.root_hash));
    }
  }
  // The headers after it, each the child of the one before, to the one the certificate
  // names committed.
  Hash named = out.hash;
  uint64_t named_height = height;
  if (proof.descendant_headers_size() > static_cast<int>(ledger::kMaxCommitProofHeaders)) {
    return Refuse(what + ": the commit proof carries more than " + std::to_string(ledger::kMaxCommitProofHeaders) + " headers");
  }
  for (const std::string& bytes : proof.descendant_headers()) {
    v1::BlockHeader next;
    if (!next.ParseFromString(bytes) || next.height() != named_height + 1 || next.parent_hash() != AsView(named) ||
        next.epoch() != epoch->epoch) {
      return Refuse(what + ": the headers of its commit proof are not a chain of its epoch after it");
    }
    named = crypto::BlockHash(chain_id(), bytes);
    named_height = next.height();
  }
  const v1::QuorumCertificate& qc = proof.finality();
  if (qc.epoch() != epoch->epoch || qc.commit_hash() != AsView(named)) {
    return Refuse(what + " is not proven committed: the certificate given does not name it (or a block after it) "
                  "committed in epoch " + std::to_string(epoch->epoch));
  }
  if (Status valid = VerifyCertificateOf(chain_id(), *epoch, qc, verifier_); !valid.ok()) {
    return Refuse(what + ": its commit certificate: " + valid.message());
  }
  out.signers = static_cast<uint32_t>(qc.signatures_size());
  out.set_size = static_cast<uint32_t>(epoch->validators.validators_size());
  Remember(out);
  return out;
}

void LightClient::Remember(const VerifiedHeader& verified) {
  if (verified.header.height() <= store_.latest_height()) return;
  store_.set_latest_height(verified.header.height());
  store_.set_latest_hash(ToBytes(verified.hash));
  store_.set_latest_timestamp_ms(verified.header.timestamp_ms());
}

Result<VerifiedHeader> LightClient::VerifyStateHeader(const std::string& block_header, const v1::CommitProof& proof,
                                                      uint64_t height, const EpochChangeFetcher& fetch,
                                                      const Freshness& freshness) {
  if (block_header.empty()) return Refuse("the answer carries no block header to check its state root by");
  CAIRN_ASSIGN_OR_RETURN(VerifiedHeader verified, VerifyCommitted(block_header, proof, fetch));
  const v1::BlockHeader& header = verified.header;
  if (header.height() != height) return Refuse("the answer's height is not its header's");
  if (header.epoch() < latest_epoch()) {
    return Refuse("the answer is the state after block " + std::to_string(header.height()) + " of epoch " +
                  std::to_string(header.epoch()) + ", but epoch " + std::to_string(latest_epoch()) +
                  " has begun since (proven): the node serves an old state");
  }
  if (freshness.max_age_ms > 0 && header.timestamp_ms() + freshness.max_age_ms < freshness.now_ms) {
    return Refuse("the answer is the state after block " + std::to_string(header.height()) + ", made " +
                  std::to_string((freshness.now_ms - header.timestamp_ms()) / 1000) + " s ago (more than the " +
                  std::to_string(freshness.max_age_ms / 1000) + " s allowed): the node is behind or serves an old state");
  }
  return verified;
}

Result<VerifiedHeader> LightClient::VerifyAccount(const v1::GetAccountResponse& answer, const EpochChangeFetcher& fetch,
                                                  const Freshness& freshness) {
  CAIRN_ASSIGN_OR_RETURN(VerifiedHeader verified,
                         VerifyStateHeader(answer.block_header(), answer.commit_proof(), answer.height(), fetch, freshness));
  CAIRN_RETURN_IF_ERROR(CheckAccountProof(answer));
  return verified;
}

Result<VerifiedHeader> LightClient::VerifyAsset(std::string_view name, const v1::GetAssetResponse& answer,
                                                const EpochChangeFetcher& fetch, const Freshness& freshness) {
  CAIRN_ASSIGN_OR_RETURN(VerifiedHeader verified,
                         VerifyStateHeader(answer.block_header(), answer.commit_proof(), answer.height(), fetch, freshness));
  CAIRN_RETURN_IF_ERROR(CheckAssetProof(name, answer));
  return verified;
}

Result<VerifiedHeader> LightClient::VerifyRecord(ByteView account, std::string_view key, const v1::GetRecordResponse& answer,
                                                 const EpochChangeFetcher& fetch, const Freshness& freshness) {
  CAIRN_ASSIGN_OR_RETURN(VerifiedHeader verified,
                         VerifyStateHeader(answer.block_header(), answer.commit_proof(), answer.height(), fetch, freshness));
  CAIRN_RETURN_IF_ERROR(CheckRecordProof(account, key, answer));
  return verified;
}

Result<VerifiedHeader> LightClient::VerifyTransaction(const v1::GetTransactionResponse& answer,
                                                      const EpochChangeFetcher& fetch) {
  if (answer.state() != v1::GetTransactionResponse::COMMITTED) return Refuse("the transaction is not committed");
  CAIRN_ASSIGN_OR_RETURN(VerifiedHeader verified, VerifyCommitted(answer.block_header(), answer.commit_proof(), fetch));
  if (answer.block_hash() != AsView(verified.hash) || answer.receipt().height() != verified.header.height()) {
    return Refuse("the answer's block hash or height is not its header's");
  }
  CAIRN_RETURN_IF_ERROR(CheckInclusion(answer));
  return verified;
}

Result<VerifiedHeader> LightClient::VerifyBlock(const v1::GetBlockResponse& answer, const EpochChangeFetcher& fetch) {
  CAIRN_ASSIGN_OR_RETURN(VerifiedHeader verified, VerifyCommitted(answer.block().header(), answer.commit_proof(), fetch));
  if (answer.hash() != AsView(verified.hash) || answer.height() != verified.header.height()) {
    return Refuse("the answer's block hash or height is not its header's");
  }
  if (Status body = ledger::CheckBlockBody(chain_id(), answer.block(), verified.header); !body.ok()) {
    return Refuse("block " + std::to_string(answer.height()) + ": " + body.message());
  }
  return verified;
}

}  // namespace cairn::node
