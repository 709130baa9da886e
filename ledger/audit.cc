#include "ledger/audit.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include "crypto/domain.h"
#include "crypto/verifier.h"
#include "ledger/keys.h"
#include "ledger/state_base.h"
#include "ledger/ledger.h"
#include "ledger/records.h"
#include "ledger/tree_store.h"

namespace cairn::ledger {

namespace {

// The records the node kept for block `height` must be what the replay computed.
Status CompareBlockRecords(const KvStore& stored, uint64_t height, const ExecutedBlock& executed) {
  // The state tree's root record, where the node has one (a converted or state-synced
  // node has none for the heights before it built its tree), must name the block's root.
  CAIRN_ASSIGN_OR_RETURN(auto root_bytes, stored.Get(keys::StateRoot(height)));
  if (root_bytes) {
    v1::StateTreeRoot root;
    const Hash expected = executed.state_after.root();
    if (!root.ParseFromString(*root_bytes) || root.has_node() != executed.state_after.root_ref().has_value() ||
        root.hash() != (root.has_node() ? ToBytes(expected) : Bytes()) || root.leaf_count() != executed.state_after.size()) {
      return AuditFailure(height, "state tree root record", "it does not name the state root re-execution gives");
    }
  }
  if (executed.ends_epoch()) {
    // (Absent in a directory written before the record was: that node cannot serve this
    // epoch change, nothing it serves is wrong.)
    const v1::GovernanceState& next = executed.outcome.governance;
    CAIRN_ASSIGN_OR_RETURN(auto bytes, stored.Get(keys::EpochGovernance(next.epoch())));
    if (bytes && *bytes != next.SerializeAsString()) {
      return AuditFailure(height, "governance of epoch " + std::to_string(next.epoch()),
                     "the stored state the epoch starts with differs from re-execution");
    }
  }
  for (uint32_t i = 0; i < executed.outcome.receipts.size(); ++i) {
    CAIRN_ASSIGN_OR_RETURN(auto bytes, stored.Get(keys::Receipt(height, i)));
    if (!bytes || *bytes != executed.outcome.receipts[i].SerializeAsString()) {
      return AuditFailure(height, "receipt " + std::to_string(i), "the stored receipt differs from re-execution");
    }
    CAIRN_ASSIGN_OR_RETURN(auto location, stored.Get(keys::TxLocation(executed.tx_hashes[i])));
    v1::TxLocation expected;
    expected.set_height(height);
    expected.set_index(i);
    if (!location || *location != expected.SerializeAsString()) {
      return AuditFailure(height, "transaction index " + std::to_string(i), "the stored location differs");
    }
  }
  return Status::Ok();
}

// One page after another of a tree's leaves, in key order.
class LeafPages {
 public:
  explicit LeafPages(const StateTree& tree) : tree_(tree) {}
  // The next leaf, nullopt after the last.
  Result<std::optional<StateTree::Entry>> Next() {
    if (at_ == page_.size()) {
      if (done_) return std::optional<StateTree::Entry>();
      CAIRN_ASSIGN_OR_RETURN(page_, tree_.Leaves(from_, kPage));
      at_ = 0;
      std::optional<Hash> next = page_.size() == kPage ? KeyAfter(page_.back().first) : std::nullopt;
      done_ = !next;
      if (next) from_ = *next;
      if (page_.empty()) return std::optional<StateTree::Entry>();
    }
    return std::optional<StateTree::Entry>(std::move(page_[at_++]));
  }

 private:
  static constexpr size_t kPage = 4096;
  const StateTree& tree_;
  std::vector<StateTree::Entry> page_;
  size_t at_ = 0;
  Hash from_{};
  bool done_ = false;
};

// The node's state tree at the head, node by node: every node reachable from its root
// record is read and checked against the hash its parent names (a damaged node is an
// error there), and the leaves must be the replay's, key for key and byte for byte, none
// more and none missing.
Status CompareStateTree(const KvStore& stored, const KvStore& replayed, uint64_t height) {
  TreeStore stored_nodes(stored, 0);
  TreeStore replayed_nodes(replayed, 0);
  auto tree = stored_nodes.Load(height);
  if (!tree.ok()) return AuditFailure(height, "state tree", tree.status().message());
  CAIRN_ASSIGN_OR_RETURN(StateTree expected, replayed_nodes.Load(height));
  LeafPages mine(*tree), theirs(expected);
  for (;;) {
    auto leaf = mine.Next();
    if (!leaf.ok()) return AuditFailure(height, "state tree", leaf.status().message());
    CAIRN_ASSIGN_OR_RETURN(auto want, theirs.Next());
    if (!*leaf && !want) return Status::Ok();
    if (!want || (*leaf && (*leaf)->first < want->first)) {
      return AuditFailure(height, "state tree", "the leaf of key " + ToHex((*leaf)->first) + " should not exist");
    }
    if (!*leaf || (*leaf)->first != want->first) {
      return AuditFailure(height, "state tree", "no leaf for key " + ToHex(want->first));
    }
    if ((*leaf)->second != want->second) {
      return AuditFailure(height, "state tree", "the leaf of key " + ToHex(want->first) + " differs from re-execution");
    }
  }
}

// The parent certificate a block carries is served with it (a light client reads who
// signed the parent from it): it must certify the parent. The first block of an epoch
// (block 1 included) carries the epoch-start certificate of its root instead, with no
// signatures; any other, a quorum of the parent's epoch.
Status CheckParentCertificate(const Ledger& replay, const v1::Block& block, const v1::BlockHeader& header,
                              const CertificateCheck& check) {
  const uint64_t height = header.height();
  const v1::QuorumCertificate& qc = block.parent_qc();
  auto parent = replay.GetBlockHeader(height - 1);
  if (!parent.ok()) return AuditFailure(height, "parent certificate", parent.status().message());
  if (qc.block_hash() != header.parent_hash() || qc.height() != height - 1) {
    return AuditFailure(height, "parent certificate", "it is not for the parent block");
  }
  const bool starts_epoch = height == 1 || parent->header.epoch() != header.epoch();
  if (starts_epoch) {
    if (qc.round() != 0 || qc.epoch() != header.epoch() || qc.signatures_size() != 0 || !qc.commit_hash().empty()) {
      return AuditFailure(height, "parent certificate", "the first block of an epoch must carry its root's epoch-start certificate");
    }
    return Status::Ok();
  }
  if (qc.round() != parent->header.round() || qc.epoch() != parent->header.epoch()) {
    return AuditFailure(height, "parent certificate", "it is not for the parent block");
  }
  auto validators = replay.ValidatorSet(qc.epoch());
  if (!validators.ok()) return AuditFailure(height, "parent certificate", validators.status().message());
  if (Status valid = check(qc, *validators); !valid.ok()) return AuditFailure(height, "parent certificate", valid.message());
  return Status::Ok();
}

}  // namespace

// Every record of the node's store must be the replay's, byte for byte, none more and
// none missing: indexes, history, governance and validator-set records, the state tree's
// nodes, stale lists and roots are all derived from the chain, and so re-derived here.
// Not derived, and so not compared: the consensus safety record (this validator's own
// state, never served); finality proofs (certificates the node chose to keep, checked as
// certificates: each must prove final the block it is stored under); state sync's
// progress records; and the mark of the oldest state version kept (keys.h Q), which
// must name a kept root at or below the head (it may lawfully sit above records a crash
// kept from deletion, so it is not pinned further; a higher one only makes the node
// refuse reads). A ledger that prunes state versions deleted the tree records only
// versions below the mark read: exactly those may be missing. One converted from store format 1 built its tree whole at the
// conversion height (and lacks the epoch-start records written before they existed): its
// tree is checked from the head's root (CompareStateTree) only. Tree records above the
// head are a commit cut between the two databases (split_store.h), written again when
// that block commits.
Status CompareWholeStore(const KvStore& stored, const KvStore& replayed, const Ledger& replay,
                         const CertificateCheck& check, bool joined) {
  const uint64_t head = replay.height();
  const Bytes finality_prefix = keys::Finality(0).substr(0, 1);
  auto is_finality = [&](ByteView key) { return key.size() == keys::Finality(0).size() && key.starts_with(finality_prefix); };
  auto is_own = [&](ByteView key) {
    return key == keys::kSafetyRecord || key == keys::kOldestStateVersion || key == keys::kStateSyncTarget ||
           key.starts_with(keys::kRestoredSubtreePrefix) || is_finality(key);
  };
  CAIRN_ASSIGN_OR_RETURN(auto oldest, ReadU64Record(stored, keys::kOldestStateVersion, "the oldest state version record"));
  if (oldest) {
    CAIRN_ASSIGN_OR_RETURN(auto kept, stored.Get(keys::StateRoot(*oldest)));
    if (*oldest > head || !kept) {
      return AuditFailure(head, "oldest state version record", "it names version " + std::to_string(*oldest) + ", whose root is not kept");
    }
  }
  // Converted from format 1: no tree record below the conversion height. (A native
  // ledger keeps genesis's nodes until it prunes; one both converted and pruned is taken
  // for pruned, and its conversion-height nodes then fail the comparison.)
  std::optional<uint64_t> lowest_version;
  CAIRN_RETURN_IF_ERROR(stored.Scan(keys::kNodePrefix, keys::kNodePrefix, [&](ByteView key, ByteView) {
    if (key.size() >= 9) lowest_version = ReadU64(key.substr(1, 8));
    return false;
  }));
  const bool converted = !joined && !oldest && lowest_version.value_or(0) > 0;
  // What pruning below the mark deleted, by the replay's own stale lists: each version's
  // root, the list of nodes the next version replaced, and those nodes. (Memory: a part
  // of the replay's store, which holds every version.)
  std::set<Bytes> pruned_away;
  TreeStore replayed_nodes(replayed, 0);
  for (uint64_t v = 0; oldest && v < *oldest; ++v) {
    pruned_away.insert(keys::StateRoot(v));
    pruned_away.insert(keys::StaleNodes(v + 1));
    CAIRN_ASSIGN_OR_RETURN(std::vector<Bytes> stale, replayed_nodes.StaleNodes(v + 1));
    pruned_away.insert(std::make_move_iterator(stale.begin()), std::make_move_iterator(stale.end()));
  }
  const Bytes epoch_start_prefix = keys::EpochGovernance(0).substr(0, 1);
  // Tree records are compared unless converted; those pruning deleted may be missing.
  auto compared = [&](ByteView key, bool missing_side) {
    if (is_own(key)) return false;
    if (!key.starts_with(keys::kNodePrefix)) return !(missing_side && converted && key.starts_with(epoch_start_prefix));
    if (converted || (missing_side && pruned_away.contains(Bytes(key)))) return false;
    return key.size() >= 9 && ReadU64(key.substr(1, 8)) <= head;
  };
  Status failure;
  CAIRN_RETURN_IF_ERROR(stored.Scan("", "", [&](ByteView key, ByteView value) {
    if (is_finality(key)) {
      const uint64_t height = ReadU64(key.substr(1));
      v1::QuorumCertificate qc;
      // A record that does not parse may still leave a whole certificate behind (a
      // length byte changed after its last signature): it fails as it is.
      const bool parses = qc.ParseFromString(Bytes(value));
      auto hash = replay.CommittedBlockHash(height);
      auto validators = replay.ValidatorSet(qc.epoch());
      if (!parses || !hash.ok() || qc.commit_hash() != AsView(*hash) || !validators.ok() || !check(qc, *validators).ok()) {
        failure = AuditFailure(height, "finality record", "it does not prove this block final");
      }
      return failure.ok();
    }
    if (!compared(key, false)) return true;
    auto theirs = replayed.Get(key);
    if (!theirs.ok() || !*theirs) {
      failure = AuditFailure(head, "store", "the record " + ToHex(key) + " is not derived from the chain");
    } else if (**theirs != value) {
      failure = AuditFailure(head, "store", "the record " + ToHex(key) + " differs from re-execution");
    }
    return failure.ok();
  }));
  if (!failure.ok()) return failure;
  CAIRN_RETURN_IF_ERROR(replayed.Scan("", "", [&](ByteView key, ByteView) {
    if (!compared(key, true)) return true;
    auto mine = stored.Get(key);
    if (!mine.ok() || !*mine) failure = AuditFailure(head, "store", "the record " + ToHex(key) + " that re-execution writes is missing");
    return failure.ok();
  }));
  return failure;
}

namespace {

// Checks the block's transaction signatures on every core before the replay executes
// it; the replay then finds each answer in the cache. (Signatures are most of an
// audit's time.)
void PreverifySignatures(const v1::Block& block, const std::string& chain_id, crypto::SignatureVerifier& cache) {
  const int n = block.transactions_size();
  const int threads = std::max(1, std::min<int>(static_cast<int>(std::thread::hardware_concurrency()), n / 64));
  auto work = [&](int first) {
    for (int i = first; i < n; i += threads) {
      const v1::Transaction& tx = block.transactions(i);
      auto signatures = TransactionSignatures(tx);
      if (!signatures.ok()) continue;  // the replay reports it
      const Bytes message = crypto::DomainMessage(crypto::Purpose::kTransaction, chain_id, tx.body());
      for (const auto& [public_key, signature] : *signatures) {
        auto key = crypto::PublicKey::FromBytes(public_key);
        if (key.ok()) cache.Verify(*key, message, signature);
      }
    }
  };
  std::vector<std::thread> helpers;
  for (int t = 1; t < threads; ++t) helpers.emplace_back(work, t);
  work(0);
  for (auto& helper : helpers) helper.join();
}

}  // namespace

Status AuditFailure(uint64_t height, const std::string& check, const std::string& detail) {
  return Status::Corruption("height " + std::to_string(height) + ": " + check + ": " + detail);
}

Status BaseRefusal(uint64_t base) {
  return Status::FailedPrecondition("this ledger joined by state sync at height " + std::to_string(base) +
                                    " and holds no history below it: a replay from genesis cannot run on it (audit a node "
                                    "that holds the whole chain)");
}

Result<std::optional<std::pair<v1::Block, v1::QuorumCertificate>>> StoreAuditSource::Get(uint64_t height) {
  using Out = std::optional<std::pair<v1::Block, v1::QuorumCertificate>>;
  CAIRN_ASSIGN_OR_RETURN(auto block_bytes, store_.Get(keys::Block(height)));
  if (!block_bytes) {
    CAIRN_ASSIGN_OR_RETURN(auto base, ReadBase(store_));
    if (base && height <= *base) return BaseRefusal(*base);
    return Out();
  }
  v1::Block block;
  if (!block.ParseFromString(*block_bytes)) return AuditFailure(height, "block record", "does not parse");
  CAIRN_ASSIGN_OR_RETURN(auto qc_bytes, store_.Get(keys::Certificate(height)));
  v1::QuorumCertificate qc;
  if (!qc_bytes || !qc.ParseFromString(*qc_bytes)) return AuditFailure(height, "certificate record", "missing or does not parse");
  return Out(std::pair{std::move(block), std::move(qc)});
}

Result<std::optional<v1::QuorumCertificate>> StoreAuditSource::Finality(uint64_t height) {
  using Out = std::optional<v1::QuorumCertificate>;
  CAIRN_ASSIGN_OR_RETURN(auto bytes, store_.Get(keys::Finality(height)));
  if (!bytes) return Out();
  v1::QuorumCertificate qc;
  if (!qc.ParseFromString(*bytes)) return AuditFailure(height, "finality record", "does not parse");
  return Out(std::move(qc));
}

Status ReplayBlocks(const v1::Genesis& genesis, Ledger& replay, const KvStore& replayed, AuditSource& source,
                    const CertificateCheck& check, crypto::CachingVerifier& signatures, const KvStore* stored,
                    AuditReport* report) {
  for (uint64_t height = replay.height() + 1;; ++height) {
    CAIRN_ASSIGN_OR_RETURN(auto next, source.Get(height));
    if (!next) break;
    const auto& [block, qc] = *next;
    v1::BlockHeader header;
    if (!header.ParseFromString(block.header())) return AuditFailure(height, "header", "does not parse");
    if (header.height() != height) return AuditFailure(height, "header", "says height " + std::to_string(header.height()));
    const Hash hash = crypto::BlockHash(genesis.chain_id(), block.header());
    if (header.parent_hash() != AsView(replay.head_hash())) {
      return AuditFailure(height, "hash chain", "the parent hash is not the hash of block " + std::to_string(height - 1));
    }
    if (qc.block_hash() != AsView(hash) || qc.height() != height || qc.round() != header.round() ||
        qc.epoch() != header.epoch()) {
      return AuditFailure(height, "certificate", "it is not for this block");
    }
    auto validators = replay.ValidatorSet(header.epoch());
    if (!validators.ok()) return AuditFailure(height, "certificate", "no validator set for epoch " + std::to_string(header.epoch()));
    if (Status valid = check(qc, *validators); !valid.ok()) return AuditFailure(height, "certificate", valid.message());
    CAIRN_RETURN_IF_ERROR(CheckParentCertificate(replay, block, header, check));
    PreverifySignatures(block, genesis.chain_id(), signatures);
    auto executed = replay.Execute(block);
    if (!executed.ok()) return AuditFailure(height, "execution", executed.status().message());
    if (stored != nullptr) CAIRN_RETURN_IF_ERROR(CompareBlockRecords(*stored, height, *executed));
    // The last block of an epoch changes the set that checks every later certificate:
    // it must be proven final by a certificate of its own epoch.
    std::optional<v1::QuorumCertificate> epoch_end;
    if (executed->ends_epoch()) {
      CAIRN_ASSIGN_OR_RETURN(epoch_end, source.Finality(height));
      if (!epoch_end) return AuditFailure(height, "end of epoch " + std::to_string(header.epoch()), "no finality certificate");
      if (epoch_end->commit_hash() != AsView(hash) || epoch_end->epoch() != header.epoch()) {
        return AuditFailure(height, "end of epoch " + std::to_string(header.epoch()), "the finality certificate does not name this block");
      }
      if (Status valid = check(*epoch_end, *validators); !valid.ok()) {
        return AuditFailure(height, "end of epoch " + std::to_string(header.epoch()), valid.message());
      }
    }
    CAIRN_RETURN_IF_ERROR(replay.Commit(*executed, qc, epoch_end ? &*epoch_end : nullptr)
                              .Annotate("replaying block " + std::to_string(height)));
    ++report->blocks;
    report->transactions += static_cast<uint64_t>(block.transactions_size());
    report->evidence += static_cast<uint64_t>(block.evidence_size());
    if (epoch_end) ++report->epochs;
  }
  const uint64_t head = replay.height();
  if (head > 0) {
    CAIRN_ASSIGN_OR_RETURN(auto finality, source.Finality(head));
    if (finality) {
      auto validators = replay.ValidatorSet(finality->epoch());
      if (finality->commit_hash() != AsView(replay.head_hash()) || !validators.ok() ||
          !check(*finality, *validators).ok()) {
        return AuditFailure(head, "finality certificate", "it does not prove the head final");
      }
      report->head_proven_final = true;
    }
  }
  if (stored != nullptr) {
    CAIRN_ASSIGN_OR_RETURN(auto head_bytes, stored->Get(keys::kHead));
    v1::ChainHead recorded;
    if (!head_bytes || !recorded.ParseFromString(*head_bytes) || recorded.height() != head ||
        recorded.block_hash() != AsView(replay.head_hash())) {
      return AuditFailure(head, "head record", "it does not name the last block");
    }
    CAIRN_RETURN_IF_ERROR(CompareStateTree(*stored, replayed, head));
  }
  return Status::Ok();
}

Result<AuditReport> AuditChain(const v1::Genesis& genesis, AuditSource& source, const CertificateCheck& check,
                               const KvStore* stored) {
  const auto start = std::chrono::steady_clock::now();
  auto replay_store = std::make_unique<MemoryStore>();
  const MemoryStore* replayed = replay_store.get();
  crypto::CachingVerifier signatures(1 << 16);
  CAIRN_ASSIGN_OR_RETURN(auto replay, Ledger::Open(std::move(replay_store), genesis, &signatures));
  AuditReport report;
  CAIRN_RETURN_IF_ERROR(ReplayBlocks(genesis, *replay, *replayed, source, check, signatures, stored, &report));
  if (stored != nullptr) CAIRN_RETURN_IF_ERROR(CompareWholeStore(*stored, *replayed, *replay, check, /*joined=*/false));
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace cairn::ledger
