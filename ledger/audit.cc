#include "ledger/audit.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "crypto/domain.h"
#include "crypto/verifier.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/records.h"

namespace cairn::ledger {

namespace {

Status Failure(uint64_t height, const std::string& check, const std::string& detail) {
  return Status::Corruption("height " + std::to_string(height) + ": " + check + ": " + detail);
}

// The records the node kept for block `height` must be what the replay computed.
Status CompareBlockRecords(const KvStore& stored, uint64_t height, const ExecutedBlock& executed) {
  for (uint32_t i = 0; i < executed.outcome.receipts.size(); ++i) {
    CAIRN_ASSIGN_OR_RETURN(auto bytes, stored.Get(keys::Receipt(height, i)));
    if (!bytes || *bytes != executed.outcome.receipts[i].SerializeAsString()) {
      return Failure(height, "receipt " + std::to_string(i), "the stored receipt differs from re-execution");
    }
    CAIRN_ASSIGN_OR_RETURN(auto location, stored.Get(keys::TxLocation(executed.tx_hashes[i])));
    v1::TxLocation expected;
    expected.set_height(height);
    expected.set_index(i);
    if (!location || *location != expected.SerializeAsString()) {
      return Failure(height, "transaction index " + std::to_string(i), "the stored location differs");
    }
  }
  return Status::Ok();
}

// Every account record, in both directions: none altered, none added, none missing.
Status CompareState(const KvStore& stored, const KvStore& replayed, uint64_t height) {
  std::map<Bytes, Bytes> expected;
  CAIRN_RETURN_IF_ERROR(replayed.Scan(keys::kAccountPrefix, "", [&](ByteView key, ByteView value) {
    expected.emplace(Bytes(key), Bytes(value));
    return true;
  }));
  Status mismatch;
  CAIRN_RETURN_IF_ERROR(stored.Scan(keys::kAccountPrefix, "", [&](ByteView key, ByteView value) {
    auto it = expected.find(Bytes(key));
    if (it == expected.end() || it->second != value) {
      mismatch = Failure(height, "state", "the record of account " + ToHex(key.substr(1)) +
                                              (it == expected.end() ? " should not exist" : " differs from re-execution"));
      return false;
    }
    expected.erase(it);
    return true;
  }));
  if (!mismatch.ok()) return mismatch;
  if (!expected.empty()) {
    return Failure(height, "state", "the record of account " + ToHex(ByteView(expected.begin()->first).substr(1)) + " is missing");
  }
  return Status::Ok();
}

// Checks the block's transaction signatures on every core before the replay executes
// it; the replay then finds each answer in the cache. (Signatures are most of an
// audit's time.)
void PreverifySignatures(const v1::Block& block, const std::string& chain_id, crypto::SignatureVerifier& cache) {
  const int n = block.transactions_size();
  const int threads = std::max(1, std::min<int>(static_cast<int>(std::thread::hardware_concurrency()), n / 64));
  auto work = [&](int first) {
    for (int i = first; i < n; i += threads) {
      const v1::Transaction& tx = block.transactions(i);
      auto key = crypto::PublicKey::FromBytes(tx.public_key());
      if (!key.ok()) continue;  // the replay reports it
      cache.Verify(*key, crypto::DomainMessage(crypto::Purpose::kTransaction, chain_id, tx.body()), tx.signature());
    }
  };
  std::vector<std::thread> helpers;
  for (int t = 1; t < threads; ++t) helpers.emplace_back(work, t);
  work(0);
  for (auto& helper : helpers) helper.join();
}

}  // namespace

Result<std::optional<std::pair<v1::Block, v1::QuorumCertificate>>> StoreAuditSource::Get(uint64_t height) {
  using Out = std::optional<std::pair<v1::Block, v1::QuorumCertificate>>;
  CAIRN_ASSIGN_OR_RETURN(auto block_bytes, store_.Get(keys::Block(height)));
  if (!block_bytes) return Out();
  v1::Block block;
  if (!block.ParseFromString(*block_bytes)) return Failure(height, "block record", "does not parse");
  CAIRN_ASSIGN_OR_RETURN(auto qc_bytes, store_.Get(keys::Certificate(height)));
  v1::QuorumCertificate qc;
  if (!qc_bytes || !qc.ParseFromString(*qc_bytes)) return Failure(height, "certificate record", "missing or does not parse");
  return Out(std::pair{std::move(block), std::move(qc)});
}

Result<std::optional<v1::QuorumCertificate>> StoreAuditSource::Finality(uint64_t height) {
  using Out = std::optional<v1::QuorumCertificate>;
  CAIRN_ASSIGN_OR_RETURN(auto bytes, store_.Get(keys::Finality(height)));
  if (!bytes) return Out();
  v1::QuorumCertificate qc;
  if (!qc.ParseFromString(*bytes)) return Failure(height, "finality record", "does not parse");
  return Out(std::move(qc));
}

Result<AuditReport> AuditChain(const v1::Genesis& genesis, AuditSource& source, const CertificateCheck& check,
                               const KvStore* stored) {
  const auto start = std::chrono::steady_clock::now();
  auto replay_store = std::make_unique<MemoryStore>();
  const MemoryStore* replayed = replay_store.get();
  crypto::CachingVerifier signatures(1 << 16);
  CAIRN_ASSIGN_OR_RETURN(auto replay, Ledger::Open(std::move(replay_store), genesis, &signatures));
  AuditReport report;
  for (uint64_t height = 1;; ++height) {
    CAIRN_ASSIGN_OR_RETURN(auto next, source.Get(height));
    if (!next) break;
    const auto& [block, qc] = *next;
    v1::BlockHeader header;
    if (!header.ParseFromString(block.header())) return Failure(height, "header", "does not parse");
    if (header.height() != height) return Failure(height, "header", "says height " + std::to_string(header.height()));
    const Hash hash = crypto::BlockHash(genesis.chain_id(), block.header());
    if (header.parent_hash() != AsView(replay->head_hash())) {
      return Failure(height, "hash chain", "the parent hash is not the hash of block " + std::to_string(height - 1));
    }
    if (qc.block_hash() != AsView(hash) || qc.height() != height || qc.round() != header.round() ||
        qc.epoch() != header.epoch()) {
      return Failure(height, "certificate", "it is not for this block");
    }
    auto validators = replay->ValidatorSet(header.epoch());
    if (!validators.ok()) return Failure(height, "certificate", "no validator set for epoch " + std::to_string(header.epoch()));
    if (Status valid = check(qc, *validators); !valid.ok()) return Failure(height, "certificate", valid.message());
    PreverifySignatures(block, genesis.chain_id(), signatures);
    auto executed = replay->Execute(block);
    if (!executed.ok()) return Failure(height, "execution", executed.status().message());
    if (stored != nullptr) CAIRN_RETURN_IF_ERROR(CompareBlockRecords(*stored, height, *executed));
    // The last block of an epoch changes the set that checks every later certificate:
    // it must be proven final by a certificate of its own epoch.
    std::optional<v1::QuorumCertificate> epoch_end;
    if (executed->ends_epoch()) {
      CAIRN_ASSIGN_OR_RETURN(epoch_end, source.Finality(height));
      if (!epoch_end) return Failure(height, "end of epoch " + std::to_string(header.epoch()), "no finality certificate");
      if (epoch_end->commit_hash() != AsView(hash) || epoch_end->epoch() != header.epoch()) {
        return Failure(height, "end of epoch " + std::to_string(header.epoch()), "the finality certificate does not name this block");
      }
      if (Status valid = check(*epoch_end, *validators); !valid.ok()) {
        return Failure(height, "end of epoch " + std::to_string(header.epoch()), valid.message());
      }
    }
    CAIRN_RETURN_IF_ERROR(replay->Commit(*executed, qc, epoch_end ? &*epoch_end : nullptr)
                              .Annotate("replaying block " + std::to_string(height)));
    ++report.blocks;
    report.transactions += static_cast<uint64_t>(block.transactions_size());
    report.evidence += static_cast<uint64_t>(block.evidence_size());
    if (epoch_end) ++report.epochs;
  }
  const uint64_t head = replay->height();
  if (head > 0) {
    CAIRN_ASSIGN_OR_RETURN(auto finality, source.Finality(head));
    if (finality) {
      auto validators = replay->ValidatorSet(finality->epoch());
      if (finality->commit_hash() != AsView(replay->head_hash()) || !validators.ok() ||
          !check(*finality, *validators).ok()) {
        return Failure(head, "finality certificate", "it does not prove the head final");
      }
      report.head_proven_final = true;
    }
  }
  if (stored != nullptr) {
    CAIRN_ASSIGN_OR_RETURN(auto head_bytes, stored->Get(keys::kHead));
    v1::ChainHead recorded;
    if (!head_bytes || !recorded.ParseFromString(*head_bytes) || recorded.height() != head ||
        recorded.block_hash() != AsView(replay->head_hash())) {
      return Failure(head, "head record", "it does not name the last block");
    }
    CAIRN_RETURN_IF_ERROR(CompareState(*stored, *replayed, head));
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace cairn::ledger
