// The mempool: transactions admitted but not yet committed. Admission runs the
// stateless checks (signatures through the node's caching verifier, so block validation
// finds the answers cached) and then the checks against committed state (nonce, expiry,
// the quorums of the accounts it acts for); it rejects with a reason. A transaction
// whose expiry a committed block's time passed leaves. Bounded in count, bytes, per-sender depth and nonce gap.
// Proposals take transactions per sender in nonce order, senders in turn by arrival.
// Thread-safe: RPC handlers, the verify pool and the consensus thread all call it.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include "crypto/verifier.h"
#include "ledger/tx_check.h"
#include "node/ledger_engine.h"

namespace cairn::node {

struct MempoolLimits {
  size_t max_txs = 20'000;
  size_t max_bytes = 32u << 20;
  size_t max_per_sender = 512;
  // A nonce further than this above the sender's committed nonce is refused: it could
  // only sit there, holding room that others need.
  uint64_t max_nonce_gap = 1'024;
};

class Mempool : public TransactionSource {
 public:
  // `committed(tx)`: the nonce of the sender's last committed transaction (0 for an
  // account with none or that does not exist yet), or why the committed state refuses
  // `tx` (ledger::Ledger::AdmissionNonce).
  using AdmissionLookup = std::function<Result<uint64_t>(const ledger::CheckedTx& tx)>;

  Mempool(std::string chain_id, crypto::SignatureVerifier& verifier, AdmissionLookup committed,
          MempoolLimits limits = {});

  // Admits `tx` and returns its hash, or why not: INVALID_ARGUMENT (malformed, bad
  // signature), FAILED_PRECONDITION (another chain, nonce already used or too far
  // ahead, the sender's nonce already pending, expired, signatures short of a quorum),
  // ALREADY_EXISTS (this very transaction is pending), RESOURCE_EXHAUSTED (full).
  Result<Hash> Add(const v1::Transaction& tx);

  // TransactionSource: up to `max`, skipping those already in the pending blocks below
  // the proposal (`exclude`).
  std::vector<v1::Transaction> Candidates(size_t max, const std::set<Hash>& exclude) override;
  void LeftOut(const v1::Transaction& tx, const Status& reason) override;
  // Stops at the first sender with a transaction ready (the consensus thread asks this
  // before every proposal).
  bool HasCandidates(const std::set<Hash>& exclude) override;

  // Drops the transactions of a committed block, every pending one its senders' nonces
  // have now passed, and every one that expired before its time.
  void RemoveCommitted(const v1::Block& block);

  bool Contains(const Hash& tx_hash) const;
  size_t size() const;
  size_t bytes() const;

 private:
  struct Entry {
    v1::Transaction tx;
    Bytes sender;
    uint64_t nonce = 0;
    uint64_t arrival = 0;
    size_t bytes = 0;
    uint64_t expires_at_ms = 0;  // 0: never
  };
  using Queue = std::map<uint64_t, Hash>;  // nonce -> hash
  struct Sender {
    Queue queue;
    // The sender's committed nonce, read from the ledger when its first transaction came
    // and raised by RemoveCommitted: proposals (Candidates, HasCandidates, on the
    // consensus thread) need it for every sender, and a ledger read each was a tenth of
    // that thread's time under load.
    uint64_t committed = 0;
  };
  void EraseLocked(const Hash& hash);
  // The sender's first transaction that can go next (skipping nonces committed or in
  // `exclude`), and its nonce; queue.end() when there is none or a gap comes first.
  static std::pair<Queue::const_iterator, uint64_t> FirstReady(const Sender& sender, const std::set<Hash>& exclude);

  const std::string chain_id_;
  crypto::SignatureVerifier& verifier_;
  const AdmissionLookup committed_;
  const MempoolLimits limits_;

  mutable std::mutex mu_;
  std::map<Hash, Entry> by_hash_;
  std::map<Bytes, Sender> by_sender_;
  // The transactions that expire, by expiry: a commit drops those its time passed
  // without looking at the others.
  std::multimap<uint64_t, Hash> by_expiry_;
  // RemoveCommitted calls so far: Add reads the committed nonce before taking the lock,
  // and reads it again if a commit came in between (a sender new to the mempool would
  // otherwise keep the nonce from before that commit).
  std::atomic<uint64_t> commits_seen_{0};  // raised under mu_
  uint64_t next_arrival_ = 0;
  size_t bytes_ = 0;
};

}  // namespace cairn::node
