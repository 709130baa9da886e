// One simulated replica: its store (which survives crashes), and while it is up, its
// ledger, speculator, engine and replica.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "consensus/replica.h"
#include "crypto/ed25519.h"
#include "ledger/kv_store.h"
#include "ledger/ledger.h"
#include "ledger/speculator.h"
#include "node/evidence_pool.h"
#include "node/ledger_engine.h"

namespace cairn::sim {

// A submitted transaction and when gossip brings it to each instance.
struct SubmittedTx {
  v1::Transaction tx;
  std::vector<uint64_t> visible_at_ms;  // per instance
};

// The transactions an instance has heard of by now (gossip itself is not what the
// simulator tests, only that replicas see them at different times and so build
// different blocks): those its own ledger has not committed yet.
class SharedPool : public node::TransactionSource {
 public:
  SharedPool(const std::vector<SubmittedTx>& submitted, const ledger::Ledger& ledger, int instance,
             const uint64_t& now_ms)
      : submitted_(submitted), ledger_(ledger), instance_(instance), now_ms_(now_ms) {}
  std::vector<v1::Transaction> Candidates(size_t max, const std::set<Hash>& exclude) override;
  void LeftOut(const v1::Transaction&, const Status&) override {}

 private:
  const std::vector<SubmittedTx>& submitted_;
  const ledger::Ledger& ledger_;
  const int instance_;
  const uint64_t& now_ms_;
};

// Lets several ledgers (one after each restart) use one in-memory store.
class SharedStore : public ledger::KvStore {
 public:
  explicit SharedStore(std::shared_ptr<ledger::MemoryStore> store) : store_(std::move(store)) {}
  Result<std::optional<Bytes>> Get(ByteView key) const override { return store_->Get(key); }
  Status Write(const ledger::WriteBatch& batch, ledger::Durability d) override { return store_->Write(batch, d); }
  Status Scan(ByteView prefix, ByteView start, const Visitor& visit) const override {
    return store_->Scan(prefix, start, visit);
  }
  Status Reopen() override { return store_->Reopen(); }
  Status Compact(ByteView begin, ByteView end) override { return store_->Compact(begin, end); }

 private:
  std::shared_ptr<ledger::MemoryStore> store_;
};

struct Instance {
  uint32_t validator = 0;  // its genesis (or spare) key: TestChain::validator(validator)
  // The key a rotation replaces it with (a node's KEY_FILE.next): signs once the set
  // names it.
  std::optional<crypto::PrivateKey> next_key;
  bool up = false;
  // Scenario::token_signers: when the token is done with the last signature asked of it
  // (it signs one at a time, in order, as node/consensus_signer.h does).
  uint64_t token_free_at_ms = 0;
  uint64_t generation = 0;  // bumped at every restart: timers of an earlier life are void
  std::shared_ptr<ledger::MemoryStore> store = std::make_shared<ledger::MemoryStore>();
  std::unique_ptr<ledger::Ledger> ledger;
  std::unique_ptr<ledger::Speculator> speculator;
  std::unique_ptr<SharedPool> pool;
  std::unique_ptr<node::EvidencePool> evidence;
  std::unique_ptr<node::LedgerEngine> engine;
  // The replica of the ledger's current epoch, with that epoch's context and leaders.
  std::unique_ptr<consensus::Context> context;
  std::unique_ptr<consensus::LeaderElection> leaders;
  std::unique_ptr<consensus::Replica> replica;
  bool epoch_ended = false;  // a commit ended the epoch: the next replica takes over after the batch
  uint64_t height_at_stabilisation = 0;
  uint64_t isolated_until_ms = 0;  // the network adversary cuts it off until then
  int crash_inside_event = -1;      // a pending Crash::inside_event
  bool crash_when_voting_for_equivocator = false;
  v1::SafetyRecord persisted;  // the record a crash now would leave
  // The blocks it voted for (PersistSafetyAction::voted_block) above its ledger's head:
  // durable, like the record, and handed back to the replica after a restart.
  std::vector<v1::Block> voted_blocks;
  // Messages that arrived while it was down, which the network delivers after it restarts.
  std::vector<std::pair<int, std::shared_ptr<const v1::ConsensusMessage>>> held;
};

}  // namespace cairn::sim
