// A running node: the ledger, the mempool, the consensus replica (a validator's, or an
// observer's that never votes), the transport to its peers and the metrics endpoint.
//
// Threads (architecture rule 7): the net thread runs the transport and the metrics
// server; the core thread owns consensus and every ledger write, and runs the round
// timers; a small verify pool admits gossiped transactions (their signatures are the
// expensive part). The transport hands messages to the core by posting, never by
// blocking it.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "cairn/v1/config.pb.h"
#include "consensus/replica.h"
#include "crypto/verifier.h"
#include "ledger/ledger.h"
#include "ledger/speculator.h"
#include "net/block_sync.h"
#include "net/seen_cache.h"
#include "net/transport.h"
#include "node/admission_budget.h"
#include "node/consensus_keys.h"
#include "node/consensus_signer.h"
#include "node/evidence_pool.h"
#include "node/health.h"
#include "node/leader_failures.h"
#include "node/leader_history.h"
#include "node/log.h"
#include "node/ledger_engine.h"
#include "node/mempool.h"
#include "node/metrics.h"
#include "node/metrics_server.h"
#include "node/safety_file.h"
#include "node/voted_block_log.h"
#include "node/pruner.h"
#include "node/state_server.h"
#include "node/sync_buffer.h"
#include "node/tx_outbox.h"
#include "rpc/http_gateway.h"
#include "rpc/node_api.h"
#include "rpc/server.h"

namespace cairn::node {

class Node : public rpc::NodeApi {
 public:
  // Loads the key and genesis, opens the ledger (refusing a data dir of another chain)
  // and builds every part; nothing listens yet.
  static Result<std::unique_ptr<Node>> Open(const v1::NodeConfig& config);
  ~Node();

  // Listens (a busy port is an error), dials the peers and starts consensus.
  Status Start();
  // Stops everything and joins the threads. Idempotent.
  void Stop();

  // rpc::NodeApi. Submit admits a client's transaction: mempool, then gossip.
  Result<Hash> Submit(const v1::Transaction& tx) override;
  bool IsPending(const Hash& tx_hash) const override { return mempool_->Contains(tx_hash); }
  rpc::NodeStatus CurrentStatus() const override;
  v1::GetConsensusStateResponse ConsensusState() const override;
  const ledger::Ledger& ledger() const override { return *ledger_; }
  v1::EpochChangesResponse EpochChanges(uint64_t from_epoch) const override;
  bool WaitForHeightAbove(uint64_t height, std::chrono::steady_clock::time_point deadline) override;

  uint64_t committed_height() const { return ledger_->height(); }
  bool is_validator() const { return self_.has_value(); }
  const MetricsRegistry& metrics() const { return metrics_; }

 private:
  Node() = default;
  void RegisterMetrics();
  // A fresh speculator, engine and replica from the ledger's head and safety record, for
  // the ledger's current epoch (its set, leaders and this node's place in it): at open,
  // when sync has moved the head under consensus, and when an epoch ends.
  Status MakeConsensus();
  // Who may link to this node: the current validators, the keys that open proposals
  // would add (so that a joining validator syncs before its epoch starts) and the
  // configured observers. Called by MakeConsensus; read by the transport's thread.
  void UpdateAllowedPeers();
  // What the transport dials: the configured peers, and, while this node is in the
  // current set, every other validator at its on-chain address (one that joined, or
  // moved, by governance). A configured address wins for its key: it is the operator's
  // view (a tunnel, a proxy).
  std::vector<net::DialTarget> DialTargets() const;
  bool IsAllowedPeer(const crypto::PublicKey& key) const;
  // Whether `key` is a current validator's link key (any thread).
  bool IsValidatorLink(const crypto::PublicKey& key) const;
  // The current validator whose links present `link_key` (core thread).
  std::optional<uint32_t> ValidatorIndexOf(const crypto::PublicKey& link_key) const;
  // Block sync (core thread): a tick every kSyncTickMs, responses as they come.
  void SyncTick();
  void OnSyncResponse(const crypto::PublicKey& from, v1::SyncResponse response);
  // Block sync's requests due now (new windows, timed-out ones again).
  void SendSyncRequests();
  void AfterCommit(const std::vector<const v1::Block*>& blocks);
  void CountLeaderFailures(const v1::Block& block);
  // Core thread.
  void Apply(consensus::Actions actions);
  // A token's answer to a SignAction of the replica of `generation` (core thread).
  void OnSigned(ConsensusSigner::Signed result);
  void OnCommitted(const consensus::CommitAction& action);
  void OnPeerMessage(const crypto::PublicKey& from, v1::PeerMessage message);
  // A peer's committed height, epoch and the lowest height it serves blocks from, from
  // its Hello or ChainStatus.
  void OnPeerStatus(const crypto::PublicKey& from, uint64_t height, uint64_t epoch, uint64_t blocks_from);
  void AdmitGossip(const crypto::PublicKey& from, v1::TxBatch batch);
  // Equivocation evidence this node's replica caught (spread to the peers) or a peer sent.
  void OnEvidence(const v1::Evidence& evidence, const crypto::PublicKey* from);
  // Lets consensus know that transactions wait (a leader idling for them proposes).
  void WakeConsensusForTransactions();
  void SendConsensus(uint32_t to, v1::ConsensusMessage message);
  uint64_t NowMs() const;
  void ScheduleSyncTick();
  // A ledger write failed: stop consensus and say so (log, metric); TryResume, on the
  // sync tick, reloads the ledger and restarts consensus once writes go through again.
  void Halt(std::string_view component, const std::string& why);
  void TryResume();

  v1::NodeConfig config_;
  std::unique_ptr<crypto::PrivateKey> key_;            // the node key: its links' identity
  std::unique_ptr<ConsensusKeys> consensus_keys_;     // what signs consensus messages
  std::vector<crypto::PublicKey> link_keys_;           // by validator index, current epoch
  std::vector<std::string> validator_names_;           // by validator index, current epoch
  LeaderFailures leader_failures_;
  v1::Genesis genesis_;
  std::optional<uint32_t> self_;  // validator index in the current epoch; none for an observer
  std::unique_ptr<consensus::Committee> committee_;
  std::unique_ptr<consensus::Context> context_;
  uint64_t round_timeout_ms_ = 0;
  uint64_t min_block_interval_ms_ = 0;
  int64_t clock_offset_ms_ = 0;  // test hook (node.cc, kClockOffsetVariable)
  size_t max_block_txs_ = 0;
  std::unique_ptr<consensus::LeaderElection> leaders_;
  bool epoch_ended_ = false;  // a commit ended the epoch: Apply hands over when its batch is done
  mutable std::mutex allowed_mu_;  // guards allowed_peers_ and validator_links_ (read by other threads)
  std::set<crypto::PublicKey> allowed_peers_;
  std::set<crypto::PublicKey> validator_links_;

  crypto::CachingVerifier verifier_{1 << 18};
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<SafetyFile> safety_file_;
  std::unique_ptr<VotedBlockLog> voted_blocks_;
  std::unique_ptr<ledger::Speculator> speculator_;
  std::unique_ptr<Mempool> mempool_;
  AdmissionBudget admission_{AdmissionBudget::Limits{}};  // clients' submissions, against the commit rate
  std::unique_ptr<EvidencePool> evidence_pool_;
  std::unique_ptr<LedgerEngine> engine_;
  std::unique_ptr<consensus::Replica> replica_;
  uint64_t replica_generation_ = 0;  // counts MakeConsensus: a signature for an older replica is dropped
  LogThrottle token_failure_log_{std::chrono::seconds(10)};

  boost::asio::io_context net_io_;
  boost::asio::io_context core_io_;
  std::unique_ptr<boost::asio::steady_timer> round_timer_;
  std::unique_ptr<boost::asio::steady_timer> proposal_timer_;
  std::unique_ptr<boost::asio::steady_timer> sync_timer_;
  net::BlockSync sync_;
  bool syncing_ = false;  // consensus waits while sync catches up
  uint64_t announced_height_ = 0;  // the committed height last sent to the peers (SyncTick)
  mutable std::mutex view_mu_;                 // guards consensus_view_
  v1::GetConsensusStateResponse consensus_view_;  // refreshed after each consensus step
  void RefreshConsensusView();
  // Responses above the head, until the ones below them arrive (bounded by the
  // scheduler's requests in flight).
  SyncBuffer sync_buffer_{16};  // twice the windows block sync keeps in flight
  boost::asio::io_context verify_io_;  // run by verify_threads_
  std::atomic<int64_t> verify_queue_{0};      // gossip batches waiting for the verify pool
  std::atomic<int64_t> verify_queue_txs_{0};  // the transactions in them
  net::SeenCache gossip_seen_{1 << 16};  // transactions already handled from gossip
  std::atomic<bool> tx_wakeup_queued_{false};
  std::unique_ptr<TxOutbox> tx_outbox_;  // client transactions on their way to the peers
  std::unique_ptr<net::Transport> transport_;
  std::unique_ptr<StateServer> state_server_;  // answers peers that state-sync
  std::unique_ptr<Pruner> pruner_;             // retention, on a thread of its own
  std::unique_ptr<ConsensusSigner> consensus_signer_;  // a token's signatures, on a thread of its own
  MetricsRegistry metrics_;
  std::unique_ptr<Health> health_;  // what probes and GetStatus read off the core thread
  std::unique_ptr<MetricsServer> metrics_server_;
  std::unique_ptr<rpc::Server> rpc_server_;
  std::unique_ptr<rpc::HttpGateway> http_gateway_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> net_work_, core_work_,
      verify_work_;
  std::thread net_thread_, core_thread_;
  std::vector<std::thread> verify_threads_;
  bool started_ = false;
  std::atomic<bool> stopped_{false};
  std::mutex commit_mu_;  // with commit_cv_: wakes RPC waiters at each commit
  std::condition_variable commit_cv_;
  bool halted_ = false;  // a ledger write failed: consensus stops until TryResume succeeds
  uint64_t halted_ticks_ = 0;

  struct {
    Gauge* committed_height;
    Gauge* round;
    Counter* blocks_committed;
    Counter* txs_committed;
    Counter* blocks_synced;
    Counter* evidence;
    Counter* round_timeouts;
    Counter* overload_refusals;
    Gauge* syncing;
    Gauge* halted;
    Histogram* commit_latency;
    Counter* token_signatures;
    Counter* token_failures;
    Histogram* token_sign_latency;
  } m_{};
};

}  // namespace cairn::node
