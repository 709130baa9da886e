#include "node/pruned_records_check.h"

#include <algorithm>
#include <set>
#include <utility>

#include "cairn/v1/storage.pb.h"
#include "cairn/v1/transaction.pb.h"
#include "crypto/domain.h"
#include "ledger/audit.h"
#include "ledger/executor.h"
#include "ledger/genesis.h"
#include "ledger/governance.h"
#include "ledger/keys.h"

namespace cairn::node {

namespace {
namespace keys = ledger::keys;
using ledger::AuditFailure;

// Counts the records under `prefix`; false from `each` stops with that record's key.
Result<uint64_t> CountRecords(const ledger::KvStore& stored, ByteView prefix, const std::function<bool(ByteView key)>& each,
                              Bytes* bad_key) {
  uint64_t count = 0;
  CAIRN_RETURN_IF_ERROR(stored.Scan(prefix, prefix, [&](ByteView key, ByteView) {
    if (!each(key)) {
      *bad_key = Bytes(key);
      return false;
    }
    ++count;
    return true;
  }));
  return count;
}
// The governance state stored under `key`: the one `header` commits to, stored as it is
// written.
Result<v1::GovernanceState> CheckGovernanceRecord(std::string_view chain_id, const ledger::KvStore& stored, ByteView key,
                                                  const v1::BlockHeader& header, const std::string& check) {
  CAIRN_ASSIGN_OR_RETURN(auto bytes, stored.Get(key));
  v1::GovernanceState governance;
  if (!bytes || !governance.ParseFromString(*bytes) || governance.SerializeAsString() != *bytes ||
      header.governance_hash() != AsView(ledger::GovernanceHash(chain_id, governance))) {
    return AuditFailure(header.height(), check, "it is not the one the block's header commits to");
  }
  return governance;
}

}  // namespace

Status PrunedRecordsCheck::CheckGenesisRecords() {
  const ledger::GenesisState genesis_state = ledger::BuildGenesisState(genesis_);
  closed_start_ = genesis_state.governance.closed_digest();
  ledger::WriteBatch batch;
  ledger::AddGenesisRecords(genesis_, genesis_state, &batch);
  ledger::MemoryStore expected;
  CAIRN_RETURN_IF_ERROR(expected.Write(batch, ledger::Durability::kNoSync));
  Status failure;
  CAIRN_RETURN_IF_ERROR(expected.Scan("", "", [&](ByteView key, ByteView value) {
    auto mine = stored_.Get(key);
    if (!mine.ok() || !*mine || **mine != value) {
      failure = AuditFailure(0, "genesis records", "the record " + ToHex(key) + " is not what the genesis file writes");
    }
    if (key.starts_with(keys::BlockHeight(Hash{}).substr(0, 1))) ++block_index_entries_;  // block 0's
    return failure.ok();
  }));
  return failure;
}

Status PrunedRecordsCheck::CheckBlock(uint64_t height, const Hash& hash, const v1::BlockHeader& header,
                                      const v1::Block& block, Held held,
                                      const std::vector<TrustedEpoch>& epochs) {
  switch (held) {
    case Held::kWhole:
      CAIRN_RETURN_IF_ERROR(CheckBlockIndex(height, hash, Indexed::kRequired));
      CAIRN_RETURN_IF_ERROR(CheckHistory(height, block));
      break;
    case Held::kPruned:
      CAIRN_RETURN_IF_ERROR(CheckBlockIndex(height, hash, Indexed::kAbsent));
      if (block.transactions_size() > 0) return AuditFailure(height, "body", "a pruned block that holds transactions");
      break;
    case Held::kToBase:
      CAIRN_RETURN_IF_ERROR(CheckBlockIndex(height, hash, Indexed::kRequired));
      break;
  }
  // The finality record, when the node keeps one.
  CAIRN_ASSIGN_OR_RETURN(auto finality_bytes, stored_.Get(keys::Finality(height)));
  if (!finality_bytes) return Status::Ok();
  v1::QuorumCertificate finality;
  const uint64_t epoch = header.epoch();
  if (!finality.ParseFromString(*finality_bytes) || finality.epoch() != epoch || epoch >= epochs.size() ||
      finality.commit_hash() != AsView(hash) || !VerifyCertificateOf(chain_id_, epochs[epoch], finality, verifier_).ok()) {
    return AuditFailure(height, "finality record", "it does not prove this block final");
  }
  return Status::Ok();
}

Status PrunedRecordsCheck::CheckBlockIndex(uint64_t height, const Hash& hash, Indexed indexed) {
  CAIRN_ASSIGN_OR_RETURN(auto entry, stored_.Get(keys::BlockHeight(hash)));
  if (entry && *entry != U64Bytes(height)) return AuditFailure(height, "block-hash index", "it names another height");
  if (!entry && indexed == Indexed::kRequired) return AuditFailure(height, "block-hash index", "missing for a block the node keeps");
  if (entry && indexed == Indexed::kAbsent) return AuditFailure(height, "block-hash index", "present for a pruned block: the pruning mark is wrong");
  if (entry) ++block_index_entries_;
  return Status::Ok();
}

// Each transaction's entries: under its sender and the accounts that performed its
// operations, and the accounts its operations name when it succeeded (what the executor
// records it touched: ledger/executor.h).
Status PrunedRecordsCheck::CheckHistory(uint64_t height, const v1::Block& block) {
  for (int i = 0; i < block.transactions_size(); ++i) {
    const v1::Transaction& tx = block.transactions(i);
    const auto index = static_cast<uint32_t>(i);
    v1::TxBody body;
    if (!body.ParseFromString(tx.body())) return AuditFailure(height, "transaction " + std::to_string(i), "its body does not parse");
    // The executor records the account an operation names only when it succeeded.
    CAIRN_ASSIGN_OR_RETURN(auto receipt_bytes, stored_.Get(keys::Receipt(height, index)));
    v1::Receipt receipt;
    if (!receipt_bytes || !receipt.ParseFromString(*receipt_bytes)) {
      return AuditFailure(height, "receipt " + std::to_string(i), "missing or does not parse");
    }
    const Bytes sender = ledger::SenderOf(tx, body);
    const std::vector<Bytes> acting = ledger::AccountsActingIn(sender, body);
    std::set<Bytes> accounts(acting.begin(), acting.end());
    for (Bytes& address : ledger::AccountsNamedBy(sender, body)) {
      if (receipt.result() == v1::TX_OK) {
        accounts.insert(std::move(address));
      } else if (!accounts.count(address)) {
        CAIRN_ASSIGN_OR_RETURN(auto stray, stored_.Get(keys::History(address, height, index)));
        if (stray) return AuditFailure(height, "account history of transaction " + std::to_string(i), "an entry for an account a failed transaction named");
      }
    }
    const Hash tx_hash = ledger::TransactionHash(chain_id_, tx);
    if (receipt.result() == v1::TX_OK) {
      for (const ledger::RecordWrite& write : ledger::RecordWritesOf(sender, body, index)) {
        v1::RecordHistoryEntry expected;
        expected.set_tx_hash(ToBytes(tx_hash));
        expected.set_height(height);
        expected.set_index(index);
        expected.set_writer(write.writer);
        if (write.value) {
          expected.set_value(*write.value);
        } else {
          expected.set_deleted(true);
        }
        CAIRN_ASSIGN_OR_RETURN(auto stored, stored_.Get(keys::RecordHistory(write.account, write.key, height, index)));
        if (!stored || *stored != expected.SerializeAsString()) {
          return AuditFailure(height, "record history of transaction " + std::to_string(i),
                              "the entry of record " + write.key + " of " + ToHex(write.account) + " is missing or differs");
        }
        ++record_history_entries_;
      }
    }
    v1::HistoryEntry entry;
    entry.set_tx_hash(ToBytes(tx_hash));
    entry.set_height(height);
    entry.set_index(index);
    const Bytes expected = entry.SerializeAsString();
    for (const Bytes& address : accounts) {
      CAIRN_ASSIGN_OR_RETURN(auto stored, stored_.Get(keys::History(address, height, index)));
      if (!stored || *stored != expected) {
        return AuditFailure(height, "account history of transaction " + std::to_string(i),
                            "the entry of account " + ToHex(address) + " is missing or differs");
      }
      ++history_entries_;
    }
  }
  return Status::Ok();
}

Status PrunedRecordsCheck::CheckBaseGovernance(const v1::BlockHeader& base_header) {
  CAIRN_ASSIGN_OR_RETURN(v1::GovernanceState base,
                         CheckGovernanceRecord(chain_id_, stored_, keys::kBaseGovernance, base_header,
                                               "the governance state after the base"));
  closed_after_ = base_header.height();
  closed_start_ = base.closed_digest();
  return Status::Ok();
}

Status PrunedRecordsCheck::CheckClosedProposals(const v1::BlockHeader& head, const v1::GovernanceState& head_state) {
  const Bytes prefix = keys::Proposal(0).substr(0, 1);
  // By the order they closed: their block, then their id (ledger/governance.h).
  std::vector<v1::ChangeProposal> closed;
  Status bad = Status::Ok();
  CAIRN_RETURN_IF_ERROR(stored_.Scan(prefix, prefix, [&](ByteView key, ByteView value) {
    v1::ChangeProposal proposal;
    const bool parses = proposal.ParseFromArray(value.data(), static_cast<int>(value.size()));
    if (!parses || proposal.SerializeAsString() != value || key != keys::Proposal(proposal.id())) {
      bad = AuditFailure(head.height(), "closed proposal " + ToHex(key), "it does not parse, or is stored under another id");
      return false;
    }
    closed.push_back(std::move(proposal));
    return true;
  }));
  CAIRN_RETURN_IF_ERROR(bad);
  if (closed_start_.empty()) {
    // No digest to check them by: only a replay from genesis derives them.
    unproven_closed_proposals_ = closed.size();
    return Status::Ok();
  }
  std::sort(closed.begin(), closed.end(), [](const auto& a, const auto& b) {
    return std::pair(a.closed_height(), a.id()) < std::pair(b.closed_height(), b.id());
  });
  Bytes digest = closed_start_;
  for (const v1::ChangeProposal& proposal : closed) {
    if (proposal.closed_height() <= closed_after_ || proposal.closed_height() > head.height()) {
      return AuditFailure(head.height(), "closed proposal " + std::to_string(proposal.id()),
                          "it names a closing block the node does not hold the governance of");
    }
    digest = ToBytes(ledger::FoldClosedProposal(chain_id_, digest, proposal));
  }
  if (digest != head_state.closed_digest()) {
    return AuditFailure(head.height(), "closed proposals",
                        "the " + std::to_string(closed.size()) +
                            " proposal records do not fold to the digest the head's governance state commits to "
                            "(one is changed, missing or added)");
  }
  return Status::Ok();
}

Status PrunedRecordsCheck::Finish(const v1::BlockHeader& head) {
  CAIRN_ASSIGN_OR_RETURN(v1::GovernanceState governance,
                         CheckGovernanceRecord(chain_id_, stored_, keys::kGovernance, head, "governance state"));
  CAIRN_RETURN_IF_ERROR(CheckClosedProposals(head, governance));
  Bytes bad_key;
  const Bytes index_prefix = keys::BlockHeight(Hash{}).substr(0, 1);
  CAIRN_ASSIGN_OR_RETURN(const uint64_t index_entries,
                         CountRecords(stored_, index_prefix, [](ByteView key) { return key.size() == 33; }, &bad_key));
  if (!bad_key.empty() || index_entries != block_index_entries_) {
    return AuditFailure(head.height(), "block-hash index", "it holds entries that name no block of the chain");
  }
  const Bytes history_prefix = keys::HistoryPrefix("");
  CAIRN_ASSIGN_OR_RETURN(const uint64_t history_entries,
                         CountRecords(stored_, history_prefix, [](ByteView key) { return key.size() == 1 + 20 + 8 + 4; }, &bad_key));
  if (!bad_key.empty() || history_entries != history_entries_) {
    return AuditFailure(head.height(), "account history", "it holds entries of no kept transaction");
  }
  const Bytes record_history_prefix = keys::RecordHistoryPrefix("", "").substr(0, 1);
  CAIRN_ASSIGN_OR_RETURN(const uint64_t record_entries,
                         CountRecords(stored_, record_history_prefix, [](ByteView) { return true; }, &bad_key));
  if (record_entries != record_history_entries_) {
    return AuditFailure(head.height(), "record history", "it holds entries of no kept transaction");
  }
  return Status::Ok();
}

}  // namespace cairn::node
