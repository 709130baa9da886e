#include "node/node.h"

#include <cstdlib>
#include <filesystem>

#include <sys/resource.h>
#include <unistd.h>

#include "crypto/domain.h"
#include "crypto/quorum.h"
#include "ledger/genesis.h"
#include "node/epoch_chain.h"
#include "node/ledger_recovery.h"
#include "node/log.h"
#include "node/process_metrics.h"
#include "node/state_metrics.h"
#include "node/safety_file.h"
#include "node/sync_apply.h"
#include "node/version.h"

namespace cairn::node {

namespace asio = boost::asio;

namespace {

constexpr uint64_t kDefaultRoundTimeoutMs = 2'000;
// Chosen with scripts/bench.sh at 600 tx/s (5% of the ceiling on a quiet machine), once
// commits no longer delayed votes and a lone transaction no longer waited in the
// outbox: 10 ms gave p50 21 ms, p99 29 ms at 110% of a core for four validators; 6 ms
// p50 14 ms, p99 44-48 ms at 125%; 5 ms p50 13 ms, p99 50 ms at 141%. A 2-chain commit
// waits for the next block, so the interval is most of the latency at low load, and
// every block costs each validator two synced writes and its signatures, so it is also
// most of the CPU. Under load, rounds take longer than this and it does not bind.
constexpr uint64_t kDefaultMinBlockIntervalMs = 6;
// Back-off doubles the round timer while rounds end without progress and returns to
// the base at the next certificate or commit. The cap bounds what one stretch of
// asynchrony costs once it ends: a round on this network needs tens of milliseconds
// (a full block is executed and voted on in well under a second), so 10 s outgrows any
// delay back-off is for, where a cap of minutes would leave a healed network idle.
constexpr uint64_t kMaxRoundTimeoutMs = 10'000;
// A validator does not vote for a block stamped further ahead of its clock than this
// (ReplicaConfig::max_future_timestamp_ms): well above the clock error of machines kept
// by NTP, well below what would mislead a reader of block times.
constexpr uint64_t kMaxFutureTimestampMs = 30'000;
// Test hook: CAIRN_TEST_CLOCK_OFFSET_MS shifts this node's clock (signed milliseconds),
// so that fault tests can skew and step one node's clock. Logged when set.
constexpr const char* kClockOffsetVariable = "CAIRN_TEST_CLOCK_OFFSET_MS";
constexpr size_t kMaxPendingBlocks = 4096;
constexpr int kVerifyThreads = 2;
constexpr int kVerifyNice = 10;
// Gossip batches waiting for the verify pool; beyond, new ones are dropped (peers
// re-gossip and clients retry, while an unbounded queue would be a memory attack).
constexpr int64_t kMaxVerifyQueue = 4096;
// A sync response packs blocks up to this many bytes (under the frame limit).
constexpr size_t kSyncResponseBudgetBytes = 8u << 20;
constexpr uint32_t kMaxSyncBlocks = 256;
constexpr uint64_t kSyncTickMs = 200;
// A halted node (a write failed: a full disk, say) tries its ledger again this often.
constexpr uint64_t kResumeEveryTicks = 10;
// Evidence waiting for a block (at most 4 enter each block).
constexpr size_t kMaxPendingEvidence = 64;
// Client transactions go to the peers in batches of at most this many, at most this late.
constexpr size_t kMaxGossipBatch = 512;
constexpr std::chrono::milliseconds kGossipDelay{5};

// /readyz: how far behind its peers a node may be and still take clients (config.proto).
constexpr uint64_t kDefaultReadyMaxLagBlocks = 100;
// How long a state offered to a joining node is kept after its last request (config:
// retention.state_sync_hold_s): a state sync of 1M accounts takes about 16 s.
constexpr uint32_t kDefaultStateSyncHoldS = 600;

std::string Short(const crypto::PublicKey& key) { return key.hex().substr(0, 16); }

}  // namespace

Result<std::unique_ptr<Node>> Node::Open(const v1::NodeConfig& config) {
  std::unique_ptr<Node> node(new Node());
  node->config_ = config;
  node->health_ = std::make_unique<Health>(Health::Policy{
      .max_lag_blocks = config.ready_max_lag_blocks() > 0 ? config.ready_max_lag_blocks() : kDefaultReadyMaxLagBlocks,
      .validator = config.validator()});
  CAIRN_ASSIGN_OR_RETURN(auto key, crypto::PrivateKey::ReadFile(config.key_file()));
  node->key_ = std::make_unique<crypto::PrivateKey>(std::move(key));
  CAIRN_ASSIGN_OR_RETURN(node->consensus_keys_, ConsensusKeys::Open(config, *node->key_));
  if (const std::shared_ptr<TokenSigner>& token = node->consensus_keys_->token()) {
    Node* self = node.get();
    node->consensus_signer_ = std::make_unique<ConsensusSigner>(token, [self](ConsensusSigner::Signed signed_message) {
      asio::post(self->core_io_, [self, s = std::move(signed_message)]() mutable { self->OnSigned(std::move(s)); });
    });
  }
  CAIRN_ASSIGN_OR_RETURN(node->genesis_, ledger::ReadGenesisFile(config.genesis_file()));
  ledger::LedgerOptions ledger_options;
  if (config.state_cache_mb() > 0) ledger_options.state_cache_bytes = size_t{config.state_cache_mb()} << 20;
  CAIRN_ASSIGN_OR_RETURN(node->ledger_,
                         OpenOrRecoverLedger(config.data_dir(), node->genesis_, &node->verifier_, ledger_options));
  node->safety_file_ = std::make_unique<SafetyFile>(config.data_dir());
  CAIRN_RETURN_IF_ERROR(node->safety_file_->Load().status());  // a damaged record stops the start
  CAIRN_ASSIGN_OR_RETURN(node->voted_blocks_, VotedBlockLog::Open(config.data_dir(), node->ledger_->height()));
  ledger::Ledger* ledger_ptr = node->ledger_.get();
  node->mempool_ = std::make_unique<Mempool>(node->genesis_.chain_id(), node->verifier_,
                                             [ledger_ptr](const ledger::CheckedTx& tx) -> Result<uint64_t> {
                                               auto nonce = ledger_ptr->AdmissionNonce(tx);
                                               if (nonce.ok() || nonce.status().code() == StatusCode::kFailedPrecondition) {
                                                 return nonce;
                                               }
                                               return uint64_t{0};  // a read error: the block decides
                                             });
  node->evidence_pool_ = std::make_unique<EvidencePool>(*node->ledger_, kMaxPendingEvidence);
  if (const char* offset = std::getenv(kClockOffsetVariable)) {
    node->clock_offset_ms_ = std::strtoll(offset, nullptr, 10);
    LogWarn("node", std::string("test hook ") + kClockOffsetVariable + ": this node's clock runs " +
                        std::to_string(node->clock_offset_ms_) + " ms off the system clock");
  }
  const auto& params = node->genesis_.consensus();
  node->max_block_txs_ = params.max_block_txs() ? params.max_block_txs() : ledger::kDefaultMaxBlockTxs;
  node->round_timeout_ms_ = params.round_timeout_ms() ? params.round_timeout_ms() : kDefaultRoundTimeoutMs;
  node->min_block_interval_ms_ = params.min_block_interval_ms() ? params.min_block_interval_ms() : kDefaultMinBlockIntervalMs;
  if (node->min_block_interval_ms_ * 4 > node->round_timeout_ms_) {
    return Status::InvalidArgument("genesis: consensus.min_block_interval_ms (" + std::to_string(node->min_block_interval_ms_) +
                                   ") must be at most a quarter of the round timeout (" +
                                   std::to_string(node->round_timeout_ms_) + " ms)");
  }
  node->round_timer_ = std::make_unique<asio::steady_timer>(node->core_io_);
  node->proposal_timer_ = std::make_unique<asio::steady_timer>(node->core_io_);
  node->sync_timer_ = std::make_unique<asio::steady_timer>(node->core_io_);
  node->sync_.OnCommitted(node->ledger_->height());
  CAIRN_RETURN_IF_ERROR(node->MakeConsensus());

  net::TransportConfig transport_config{.listen = config.p2p_listen(),
                                        .genesis_hash = ToBytes(ledger::GenesisHash(node->genesis_)),
                                        .agent = std::string("cairnd/") + kVersion};
  transport_config.dial = node->DialTargets();
  Node* self = node.get();
  transport_config.allowed = [self](const crypto::PublicKey& key) { return self->IsAllowedPeer(key); };
  net::TransportEvents events{
      .on_connected =
          [self](const crypto::PublicKey& peer, const v1::Hello& hello) {
            asio::post(self->core_io_, [self, peer, height = hello.committed_height(), epoch = hello.epoch(),
                                        blocks_from = hello.blocks_from()] {
              self->OnPeerStatus(peer, height, epoch, blocks_from);
            });
          },
      .on_disconnected =
          [self](const crypto::PublicKey& peer) { asio::post(self->core_io_, [self, peer] { self->sync_.OnPeerGone(peer); }); },
      .on_message =
          [self](const crypto::PublicKey& from, v1::PeerMessage message) {
            if (message.has_transactions()) {
              if (self->verify_queue_.load() >= kMaxVerifyQueue) return;
              ++self->verify_queue_;
              const int64_t txs = message.transactions().transactions_size();
              self->verify_queue_txs_ += txs;
              asio::post(self->verify_io_, [self, from, txs, batch = std::move(*message.mutable_transactions())]() mutable {
                self->AdmitGossip(from, std::move(batch));
                --self->verify_queue_;
                self->verify_queue_txs_ -= txs;
              });
              return;
            }
            if (message.has_sync_response()) {
              // Its signatures are checked on the verify threads first (several
              // responses at once), then the consensus thread applies it from the cache.
              // Sync hears at once that it arrived, so that it is not asked for again
              // while it waits for its checks.
              asio::post(self->core_io_, [self, from, height = message.sync_response().from_height()] {
                self->sync_.OnArrived(from, height, self->NowMs());
              });
              asio::post(self->verify_io_, [self, from, message = std::move(message)]() mutable {
                WarmSyncSignatures(*self->ledger_, self->verifier_, message.sync_response());
                asio::post(self->core_io_, [self, from, message = std::move(message)]() mutable {
                  self->OnPeerMessage(from, std::move(message));
                });
              });
              return;
            }
            if (message.has_state_request()) {
              self->state_server_->Offer(from, std::move(*message.mutable_state_request()));
              return;
            }
            if (message.has_epoch_changes_request()) {
              self->state_server_->Offer(from, message.epoch_changes_request());
              return;
            }
            if (message.has_state_target_request()) {
              self->state_server_->Offer(from, message.state_target_request());
              return;
            }
            asio::post(self->core_io_, [self, from, message = std::move(message)]() mutable {
              self->OnPeerMessage(from, std::move(message));
            });
          },
      .log = [](const std::string& line) { LogInfo("net", line); },
      .committed_height = [ledger_ptr] { return ledger_ptr->height(); },
      .epoch = [ledger_ptr] { return ledger_ptr->epoch(); },
      .blocks_from = [ledger_ptr] { return ledger_ptr->retained_from(); }};
  node->transport_ = std::make_unique<net::Transport>(node->net_io_, *node->key_, std::move(transport_config), std::move(events));
  net::Transport* transport = node->transport_.get();
  const v1::RetentionConfig& retention = config.retention();
  node->state_server_ = std::make_unique<StateServer>(
      *node->ledger_, [transport](const crypto::PublicKey& to, const v1::PeerMessage& message) { transport->Send(to, message); },
      uint64_t{retention.state_sync_hold_s() > 0 ? retention.state_sync_hold_s() : kDefaultStateSyncHoldS} * 1000);
  StateServer* state_server = node->state_server_.get();
  node->pruner_ = std::make_unique<Pruner>(
      *node->ledger_,
      RetentionPolicy{.keep_blocks = retention.keep_blocks(),
                      .keep_days = retention.keep_days(),
                      .keep_state_versions = retention.keep_state_versions()},
      [state_server] { return state_server->OldestTargetInUse(); },
      node->genesis_.governance().leader_reputation().window_blocks(), [self] { return self->NowMs(); });
  node->tx_outbox_ = std::make_unique<TxOutbox>(
      node->net_io_,
      [transport](v1::TxBatch batch) {
        v1::PeerMessage message;
        *message.mutable_transactions() = std::move(batch);
        transport->Broadcast(message);
      },
      kMaxGossipBatch, kGossipDelay);
  node->metrics_server_ = std::make_unique<MetricsServer>(node->net_io_, node->metrics_, *node->health_);
  rpc::ServerLimits rpc_limits;
  if (config.max_submits_per_second() > 0) rpc_limits.submits_per_second = config.max_submits_per_second();
  node->rpc_server_ = std::make_unique<rpc::Server>(*node, rpc_limits);
  node->RegisterMetrics();
  return node;
}

Node::~Node() { Stop(); }

Status Node::MakeConsensus() {
  // Order matters: the replica refers to the engine, the engine to the speculator.
  replica_.reset();
  engine_.reset();
  CAIRN_ASSIGN_OR_RETURN(ledger::ConsensusStart start, ledger_->StartOfConsensus());
  CAIRN_ASSIGN_OR_RETURN(auto committee, consensus::Committee::From(start.validators));
  const bool new_epoch = committee_ != nullptr && committee_->epoch() != committee.epoch();
  committee_ = std::make_unique<consensus::Committee>(std::move(committee));
  context_ = std::make_unique<consensus::Context>(
      consensus::Context{genesis_.chain_id(), *committee_, start.root.hash, start.root.height});
  leaders_ = MakeLeaderElection(genesis_, committee_->size());
  CAIRN_ASSIGN_OR_RETURN(auto history, CommittedChainRecords(*ledger_, start, leaders_->window_blocks()));
  // Validators are found on the network by their link keys (a validator that rotated its
  // consensus key keeps its node key for links), and this node by its own.
  link_keys_.clear();
  validator_names_.clear();
  for (const v1::ValidatorInfo& v : start.validators.validators()) {
    CAIRN_ASSIGN_OR_RETURN(crypto::PublicKey link, crypto::PublicKey::FromBytes(ledger::LinkKeyOf(v)));
    link_keys_.push_back(link);
    validator_names_.push_back(v.name());
  }
  self_ = ValidatorIndexOf(key_->public_key());
  const ConsensusKeys::Choice signing = self_ ? consensus_keys_->For(committee_->key(*self_)) : ConsensusKeys::Choice{};
  if (self_ && signing.key == nullptr && signing.token == nullptr) self_.reset();
  health_->SetCurrentSet(self_.has_value(), static_cast<uint32_t>(start.validators.validators_size()));
  UpdateAllowedPeers();
  if (transport_) transport_->SetDialTargets(DialTargets());

  speculator_ = std::make_unique<ledger::Speculator>(*ledger_, kMaxPendingBlocks);
  engine_ = std::make_unique<LedgerEngine>(*ledger_, *speculator_, *mempool_, max_block_txs_, evidence_pool_.get());
  engine_->LimitProposals([this] { return admission_.MaxBlockTxs(std::chrono::steady_clock::now()); });
  // The record's own file; a data directory from before it had one keeps it in the ledger.
  CAIRN_ASSIGN_OR_RETURN(auto safety, safety_file_->Load());
  if (!safety) {
    CAIRN_ASSIGN_OR_RETURN(safety, ledger_->LoadSafetyRecord());
  }
  v1::SafetyRecord record = safety.value_or(v1::SafetyRecord());
  if (record.epoch() > committee_->epoch() && self_) {
    // This node signed in a later epoch than its ledger has reached (its ledger was set
    // aside after damage): until sync brings the ledger there, it only follows, so that
    // it cannot sign anything in the older epoch's rounds again.
    LogWarn("consensus", "the safety record is of epoch " + std::to_string(record.epoch()) + ", the ledger of epoch " +
                             std::to_string(committee_->epoch()) + ": following without voting until sync catches up");
    self_.reset();
  }
  if (record.epoch() != committee_->epoch()) {
    record.Clear();  // rounds start again in every epoch, and so does what this validator signed
    record.set_epoch(committee_->epoch());
  }
  CAIRN_ASSIGN_OR_RETURN(Hash parent, HashFromBytes(start.head.header.parent_hash()));
  consensus::RecoveredState recovered{
      .head = {start.head.block, start.head.header, start.head.hash, parent},
      .head_qc = start.head_qc,
      .safety = std::move(record),
      .history = std::move(history),
      .voted_blocks = voted_blocks_->Above(start.head.header.height())};
  if (new_epoch) {
    LogInfo("consensus", "epoch " + std::to_string(committee_->epoch()) + " starts after height " +
                             std::to_string(start.root.height) + " with " + std::to_string(committee_->size()) +
                             " validators; this node is " +
                             (self_ ? "validator " + std::to_string(*self_) : std::string("an observer")));
  }
  consensus::ReplicaConfig config{.context = *context_,
                                  .self = self_,
                                  .base_timeout_ms = round_timeout_ms_,
                                  .max_timeout_ms = std::max(round_timeout_ms_, kMaxRoundTimeoutMs),
                                  .idle_proposal_delay_ms = round_timeout_ms_ / 2,
                                  .min_block_interval_ms = min_block_interval_ms_,
                                  .max_future_timestamp_ms = kMaxFutureTimestampMs,
                                  .driver_signs = self_ && signing.token != nullptr};
  replica_ = std::make_unique<consensus::Replica>(config, self_ ? signing.key : nullptr, *engine_, verifier_, *leaders_,
                                                  std::move(recovered));
  ++replica_generation_;
  return Status::Ok();
}

std::optional<uint32_t> Node::ValidatorIndexOf(const crypto::PublicKey& link_key) const {
  for (uint32_t i = 0; i < link_keys_.size(); ++i) {
    if (link_keys_[i] == link_key) return i;
  }
  return std::nullopt;
}

void Node::UpdateAllowedPeers() {
  std::set<crypto::PublicKey> allowed(link_keys_.begin(), link_keys_.end());
  const v1::GovernanceState governance = ledger_->Governance();
  for (const v1::ChangeProposal& proposal : governance.open()) {
    auto key = crypto::PublicKey::FromBytes(ledger::LinkKeyOf(proposal.change().validator()));
    if (key.ok()) allowed.insert(*key);
  }
  for (const auto& observer : config_.observers()) {
    if (auto key = crypto::PublicKey::FromHex(observer); key.ok()) allowed.insert(*key);
  }
  std::lock_guard lock(allowed_mu_);
  allowed_peers_ = std::move(allowed);
  validator_links_ = std::set<crypto::PublicKey>(link_keys_.begin(), link_keys_.end());
}

std::vector<net::DialTarget> Node::DialTargets() const {
  std::vector<net::DialTarget> targets;
  for (const auto& peer : config_.peers()) {
    targets.push_back({peer.address(), crypto::PublicKey::FromHex(peer.public_key()).value()});
  }
  const v1::GovernanceState governance = ledger_->Governance();
  const auto& members = governance.validators().validators();
  const Bytes own(key_->public_key().bytes());
  auto is_self = [&](const v1::ValidatorInfo& v) { return ledger::LinkKeyOf(v) == own; };
  // An observer keeps to the peers it was given (validators may not admit it).
  if (std::none_of(members.begin(), members.end(), is_self)) return targets;
  for (const v1::ValidatorInfo& v : members) {
    auto link = crypto::PublicKey::FromBytes(ledger::LinkKeyOf(v));
    if (!link.ok() || v.address().empty() || *link == key_->public_key()) continue;
    const bool configured =
        std::any_of(targets.begin(), targets.end(), [&](const net::DialTarget& t) { return t.key == *link; });
    if (!configured) targets.push_back({v.address(), *link});
  }
  return targets;
}

bool Node::IsValidatorLink(const crypto::PublicKey& key) const {
  std::lock_guard lock(allowed_mu_);
  return validator_links_.count(key) > 0;
}

bool Node::IsAllowedPeer(const crypto::PublicKey& key) const {
  std::lock_guard lock(allowed_mu_);
  return allowed_peers_.count(key) > 0;
}

void Node::RegisterMetrics() {
  AddProcessMetrics(metrics_);
  metrics_.AddCollector("cairn_build_info", "gauge", "The version of this cairnd and the git revision it was built from.",
                        [](std::string* out) {
                          *out += std::string("cairn_build_info{version=\"") + kVersion + "\",revision=\"" +
                                  EscapeLabel(kRevision) + "\"} 1\n";
                        });
  m_.committed_height = &metrics_.AddGauge("cairn_committed_height", "Height of the last committed block.");
  m_.committed_height->Set(static_cast<int64_t>(ledger_->height()));
  health_->SetCommittedHeight(ledger_->height());
  m_.round = &metrics_.AddGauge("cairn_round", "The consensus round this node is in.");
  m_.blocks_committed = &metrics_.AddCounter("cairn_commits_total", "Blocks committed since start.");
  m_.txs_committed = &metrics_.AddCounter("cairn_txs_committed_total", "Transactions committed since start.");
  m_.blocks_synced = &metrics_.AddCounter("cairn_blocks_synced_total", "Blocks committed through block sync since start.");
  m_.evidence = &metrics_.AddCounter("cairn_evidence_total",
                                     "Equivocation evidence this node caught or received that was new and valid.");
  m_.round_timeouts = &metrics_.AddCounter("cairn_round_timeouts_total",
                                           "Rounds whose timer ran out on this node before the round ended.");
  metrics_.AddCollector("cairn_leader_failures_total", "counter",
                        "Rounds charged to a validator by committed blocks: it led them and no block came.",
                        [this](std::string* out) { leader_failures_.Render(out); });
  m_.overload_refusals = &metrics_.AddCounter(
      "cairn_overload_refusals_total",
      "Client transactions refused because those pending would not commit within the admission budget.");
  AdmissionBudget* admission = &admission_;
  metrics_.AddCollector("cairn_admission_capacity", "gauge",
                        "Pending transactions this node admits clients' transactions up to (commit rate x budget).",
                        [admission](std::string* out) {
                          *out += "cairn_admission_capacity " +
                                  std::to_string(admission->Capacity(std::chrono::steady_clock::now())) + "\n";
                        });
  m_.syncing = &metrics_.AddGauge("cairn_syncing", "1 while block sync catches up (consensus waits), else 0.");
  m_.halted = &metrics_.AddGauge("cairn_halted", "1 while a failed ledger write keeps the node from committing, else 0.");
  m_.commit_latency = &metrics_.AddHistogram("cairn_commit_latency_seconds",
                                             "From a block's proposal timestamp to its commit here.",
                                             {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
  m_.token_signatures = &metrics_.AddCounter("cairn_token_signatures_total",
                                             "Consensus messages the PKCS#11 token signed and the node checked.");
  m_.token_failures = &metrics_.AddCounter(
      "cairn_token_failures_total",
      "Consensus messages left unsent because the token failed or its signature did not verify.");
  m_.token_sign_latency = &metrics_.AddHistogram(
      "cairn_token_sign_seconds", "From the safety record's sync to the token's checked signature, per message.",
      {0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5});
  if (TokenSigner* token = consensus_keys_->token().get()) {
    metrics_.AddCollector("cairn_token_reopen_attempts_total", "counter",
                          "Attempts to open the token's session again after an error.", [token](std::string* out) {
                            *out += "cairn_token_reopen_attempts_total " + std::to_string(token->reopen_attempts()) + "\n";
                          });
  }
  AddStateTreeMetrics(metrics_, *ledger_);
  AddStateServingMetrics(metrics_, *state_server_);
  AddRetentionMetrics(metrics_, *pruner_);
  // From the health's atomics: the alert rules compare them (scripts/deploy/prometheus).
  const Health* health = health_.get();
  metrics_.AddCollector("cairn_best_peer_height", "gauge", "The highest committed height a peer has announced.",
                        [health](std::string* out) {
                          *out += "cairn_best_peer_height " + std::to_string(health->best_peer_height()) + "\n";
                        });
  metrics_.AddCollector("cairn_validators", "gauge", "Validators in the current set.", [health](std::string* out) {
    *out += "cairn_validators " + std::to_string(health->set_size()) + "\n";
  });
  metrics_.AddCollector("cairn_quorum", "gauge", "Signatures a certificate of the current set needs (n - f).",
                        [health](std::string* out) {
                          *out += "cairn_quorum " + std::to_string(crypto::QuorumSize(health->set_size())) + "\n";
                        });
  net::Transport* transport = transport_.get();
  metrics_.AddCollector("cairn_peers_connected", "gauge", "Peers with an authenticated link.", [transport](std::string* out) {
    *out += "cairn_peers_connected " + std::to_string(transport->Counters().peers_connected) + "\n";
  });
  Mempool* mempool = mempool_.get();
  metrics_.AddCollector("cairn_mempool_size", "gauge", "Transactions waiting in the mempool.", [mempool](std::string* out) {
    *out += "cairn_mempool_size " + std::to_string(mempool->size()) + "\n";
  });
  metrics_.AddCollector("cairn_mempool_bytes", "gauge", "Bytes of the transactions in the mempool.", [mempool](std::string* out) {
    *out += "cairn_mempool_bytes " + std::to_string(mempool->bytes()) + "\n";
  });
  std::atomic<int64_t>* verify_queue = &verify_queue_;
  metrics_.AddCollector("cairn_verify_queue", "gauge", "Gossiped transaction batches waiting for signature checks.",
                        [verify_queue](std::string* out) { *out += "cairn_verify_queue " + std::to_string(verify_queue->load()) + "\n"; });
  crypto::CachingVerifier* verifier = &verifier_;
  metrics_.AddCollector("cairn_signature_checks_total", "counter",
                        "Signature checks by outcome: answered from the cache, verified, or waited for another thread's check.",
                        [verifier](std::string* out) {
                          *out += "cairn_signature_checks_total{outcome=\"cached\"} " + std::to_string(verifier->hits()) + "\n";
                          *out += "cairn_signature_checks_total{outcome=\"verified\"} " + std::to_string(verifier->misses()) + "\n";
                          *out += "cairn_signature_checks_total{outcome=\"waited\"} " + std::to_string(verifier->waits()) + "\n";
                        });
  auto by_label = [transport](const char* name, const char* label, auto pick) {
    return [transport, name, label, pick](std::string* out) {
      const net::TransportCounters counters = transport->Counters();
      for (const auto& [key, value] : pick(counters)) {
        *out += std::string(name) + "{" + label + "=\"" + EscapeLabel(key) + "\"} " + std::to_string(value) + "\n";
      }
    };
  };
  metrics_.AddCollector("cairn_messages_in_total", "counter", "Peer messages received, by kind.",
                        by_label("cairn_messages_in_total", "kind", [](const net::TransportCounters& c) { return c.messages_in; }));
  metrics_.AddCollector("cairn_messages_out_total", "counter", "Peer messages queued to send, by kind.",
                        by_label("cairn_messages_out_total", "kind", [](const net::TransportCounters& c) { return c.messages_out; }));
  metrics_.AddCollector("cairn_peer_disconnects_total", "counter", "Peer links closed, by reason.",
                        by_label("cairn_peer_disconnects_total", "reason", [](const net::TransportCounters& c) { return c.disconnects; }));
  metrics_.AddCollector("cairn_send_queue_drops_total", "counter", "Messages dropped because a peer's send queue was full.",
                        [transport](std::string* out) {
                          *out += "cairn_send_queue_drops_total " + std::to_string(transport->Counters().send_queue_drops) + "\n";
                        });
}

Status Node::Start() {
  CAIRN_RETURN_IF_ERROR(transport_->Start());
  if (!config_.metrics_listen().empty()) CAIRN_RETURN_IF_ERROR(metrics_server_->Start(config_.metrics_listen()));
  if (!config_.grpc_listen().empty()) {
    const bool tls = config_.has_rpc_tls() && !config_.rpc_tls().cert_file().empty();
    CAIRN_RETURN_IF_ERROR(rpc_server_->Start(config_.grpc_listen(), tls ? &config_.rpc_tls() : nullptr));
    if (!config_.http_listen().empty()) {
      http_gateway_ = std::make_unique<rpc::HttpGateway>();
      CAIRN_RETURN_IF_ERROR(
          http_gateway_->Start(config_.http_listen(), rpc_server_->InProcessChannel(), tls ? &config_.rpc_tls() : nullptr));
    }
  }
  started_ = true;
  net_work_.emplace(net_io_.get_executor());
  core_work_.emplace(core_io_.get_executor());
  verify_work_.emplace(verify_io_.get_executor());
  // Named, so that top -H and perf show which part of the node spends the time.
  auto run = [](asio::io_context& io, const char* name, int nice) {
    return std::thread([&io, name, nice] {
      pthread_setname_np(pthread_self(), name);
      if (nice != 0) setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), nice);
      io.run();
    });
  };
  state_server_->Start();
  pruner_->Start();
  net_thread_ = run(net_io_, "cairn-net", 0);
  core_thread_ = run(core_io_, "cairn-core", 0);
  // Admission yields the CPU to consensus: a round's critical path (proposal, vote,
  // certificate, commit) must not queue behind a backlog of gossip to verify.
  for (int i = 0; i < kVerifyThreads; ++i) verify_threads_.push_back(run(verify_io_, "cairn-verify", kVerifyNice));
  LogInfo("node", std::string(self_ ? "validator " + std::to_string(*self_) : "observer") + " " +
                      Short(key_->public_key()) + " of chain " + genesis_.chain_id() + " at height " +
                      std::to_string(ledger_->height()) + "; peers on " + config_.p2p_listen() +
                      (config_.grpc_listen().empty() ? "" : ", gRPC on " + config_.grpc_listen()) +
                      (config_.metrics_listen().empty() ? "" : ", metrics on " + config_.metrics_listen()) +
                      (config_.http_listen().empty() ? "" : ", HTTP on " + config_.http_listen()));
  asio::post(core_io_, [this] {
    Apply(replica_->Start(NowMs()));
    SyncTick();
  });
  return Status::Ok();
}

void Node::Stop() {
  if (stopped_.exchange(true)) return;
  if (started_) {
    if (http_gateway_) http_gateway_->Stop();  // its calls end before the server they go to
    rpc_server_->Stop();
    asio::post(net_io_, [this] {
      tx_outbox_->Cancel();
      transport_->Stop();
      metrics_server_->Stop();
    });
    asio::post(core_io_, [this] {
      round_timer_->cancel();
      proposal_timer_->cancel();
      sync_timer_->cancel();
    });
    state_server_->Stop();
    pruner_->Stop();
    net_work_.reset();
    core_work_.reset();
    verify_work_.reset();
    verify_io_.stop();
    for (std::thread& t : verify_threads_) t.join();
    core_io_.stop();
    core_thread_.join();
    consensus_signer_.reset();  // after the core: the core submits to it, it posts to the core
    // The transport's closes go out before the loop ends.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    net_io_.stop();
    net_thread_.join();
    LogInfo("node", "stopped at height " + std::to_string(ledger_->height()));
  }
}

uint64_t Node::NowMs() const {
  const int64_t now =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  return static_cast<uint64_t>(std::max<int64_t>(0, now + clock_offset_ms_));
}

void Node::Apply(consensus::Actions actions) {
  // Commits go after everything else a step produced: a step that commits a block also
  // votes or proposes (the certificate that finalises a block certifies its child), and
  // the vote or proposal is the round's critical path, which the commit's synced write
  // would only delay. The replica built both on its own tree, which has committed
  // already, so no message of the step depends on the ledger having the block.
  std::vector<const consensus::CommitAction*> commits;
  for (consensus::Action& action : actions) {
    if (halted_) return;
    if (auto* send = std::get_if<consensus::SendAction>(&action)) {
      SendConsensus(send->to, std::move(send->message));
    } else if (auto* broadcast = std::get_if<consensus::BroadcastAction>(&action)) {
      // A proposal may carry transactions of this node's clients still in the outbox:
      // they go first, so that peers check them on their admission pools, not on their
      // consensus threads when the proposal arrives.
      tx_outbox_->Flush();
      // One envelope and one serialization for all (a proposal carries its block).
      v1::PeerMessage envelope;
      *envelope.mutable_consensus() = std::move(broadcast->message);
      std::vector<crypto::PublicKey> others;
      for (uint32_t i = 0; i < link_keys_.size(); ++i) {
        if (!self_ || i != *self_) others.push_back(link_keys_[i]);
      }
      transport_->SendToEach(others, envelope);
    } else if (auto* persist = std::get_if<consensus::PersistSafetyAction>(&action)) {
      // Nothing after this action may leave before the record is on disk.
      if (persist->voted_block) {
        Status stored = voted_blocks_->Append(std::move(*persist->voted_block), ledger_->height());
        if (!stored.ok()) return Halt("consensus", "cannot store the block voted for: " + stored.ToString());
      }
      Status saved = safety_file_->Save(persist->record);
      if (!saved.ok()) return Halt("consensus", "cannot persist the safety record: " + saved.ToString());
    } else if (auto* commit = std::get_if<consensus::CommitAction>(&action)) {
      commits.push_back(commit);
    } else if (auto* sign = std::get_if<consensus::SignAction>(&action)) {
      // After the PersistSafetyAction before it: what the message commits to is on disk.
      consensus_signer_->Submit(replica_generation_, std::move(*sign), committee_->key(*self_));
    } else if (auto* evidence = std::get_if<consensus::EvidenceAction>(&action)) {
      OnEvidence(evidence->evidence, nullptr);
    } else if (auto* timer = std::get_if<consensus::SetTimerAction>(&action)) {
      const bool proposal = timer->kind == consensus::SetTimerAction::Kind::kProposal;
      asio::steady_timer& t = proposal ? *proposal_timer_ : *round_timer_;
      t.expires_after(std::chrono::milliseconds(timer->delay_ms));
      t.async_wait([this, round = timer->round, proposal](boost::system::error_code ec) {
        if (ec || halted_ || syncing_) return;
        if (!proposal && round == replica_->current_round()) m_.round_timeouts->Add();
        Apply(proposal ? replica_->OnProposalTimer(round, NowMs()) : replica_->OnTimer(round, NowMs()));
      });
    }
  }
  for (const consensus::CommitAction* commit : commits) {
    if (halted_) return;
    OnCommitted(*commit);
  }
  if (epoch_ended_ && !halted_) {
    // The old epoch's replica has finished what it was doing (its last messages help the
    // others commit the epoch's last block); the next epoch's replica takes over.
    epoch_ended_ = false;
    if (Status made = MakeConsensus(); !made.ok()) return Halt("consensus", "cannot start the next epoch: " + made.ToString());
    return Apply(replica_->Start(NowMs()));
  }
  m_.round->Set(static_cast<int64_t>(replica_->current_round()));
  RefreshConsensusView();
}

void Node::OnSigned(ConsensusSigner::Signed result) {
  if (halted_) return;
  const bool ok = result.status.ok();
  (ok ? m_.token_signatures : m_.token_failures)->Add();
  if (ok) m_.token_sign_latency->Observe(static_cast<double>(result.took.count()) / 1e6);
  if (result.generation + 1 == replica_generation_ && ok) {
    // The replica before this one asked (an epoch ended, or sync moved the head): what
    // it signed is on disk in its record, and its last messages help the others finish
    // its epoch, as they would have left before the handover with a key file.
    return Apply({consensus::BroadcastAction{std::move(result.message)}});
  }
  // Older ones are of no use now. While sync moves the head, consensus waits.
  if (result.generation != replica_generation_ || syncing_) return;
  if (ok) return Apply(replica_->OnSigned(std::move(result.message), NowMs()));
  token_failure_log_.Note(std::chrono::steady_clock::now(), [&](uint64_t more) {
    LogWarn("consensus", "no signature from the token for this validator's " +
                             std::string(result.message.has_vote()      ? "vote"
                                         : result.message.has_timeout() ? "timeout"
                                                                        : "proposal") +
                             ", so it stays silent there: " + result.status.ToString() +
                             (more > 0 ? " (" + std::to_string(more) + " more since the last report)" : ""));
  });
  Apply(replica_->OnSignFailed(result.message, NowMs()));
}

void Node::RefreshConsensusView() {
  const consensus::Replica::RoundView view = replica_->View();
  v1::GetConsensusStateResponse state;
  state.set_round(view.round);
  state.set_leader(view.leader);
  state.set_next_leader(view.next_leader);
  state.set_high_qc_round(view.high_qc_round);
  state.set_last_tc_round(view.last_tc_round);
  for (uint32_t v : view.voted) state.add_voted(v);
  for (uint32_t v : view.timed_out) state.add_timed_out(v);
  state.set_quorum(static_cast<uint32_t>(view.quorum));
  state.set_votes_missing(static_cast<uint32_t>(view.quorum > view.voted.size() ? view.quorum - view.voted.size() : 0));
  state.set_timeouts_missing(
      static_cast<uint32_t>(view.quorum > view.timed_out.size() ? view.quorum - view.timed_out.size() : 0));
  state.set_syncing(syncing_);
  state.set_committed_height(ledger_->height());
  for (uint32_t v : view.upcoming_leaders) state.add_upcoming_leaders(v);
  for (uint32_t v = 0; v < view.standings.size(); ++v) {
    const consensus::LeaderStanding& s = view.standings[v];
    v1::LeaderStanding* out = state.add_standings();
    out->set_validator(v);
    if (v < validator_names_.size()) out->set_name(validator_names_[v]);
    out->set_candidate(s.candidate);
    out->set_failures(s.failures);
    out->set_last_active_round(s.last_active_round);
    out->set_last_proposed_round(s.last_proposed_round);
    out->set_last_failed_round(s.last_failed_round);
  }
  std::lock_guard lock(view_mu_);
  consensus_view_ = std::move(state);
}

v1::EpochChangesResponse Node::EpochChanges(uint64_t from_epoch) const { return BuildEpochChanges(*ledger_, from_epoch); }

v1::GetConsensusStateResponse Node::ConsensusState() const {
  std::lock_guard lock(view_mu_);
  return consensus_view_;
}

void Node::OnCommitted(const consensus::CommitAction& action) {
  Status committed = engine_->Commit(action);
  // The ledger stays at its last good block; consensus cannot go on without it.
  if (!committed.ok()) return Halt("ledger", "commit failed: " + committed.ToString());
  if (ledger_->epoch() != committee_->epoch()) epoch_ended_ = true;
  const uint64_t now = NowMs();
  std::vector<const v1::Block*> blocks;
  for (const auto& [block, certificate] : action.blocks) {
    v1::BlockHeader header;
    if (header.ParseFromString(block.header()) && now >= header.timestamp_ms()) {
      m_.commit_latency->Observe(static_cast<double>(now - header.timestamp_ms()) / 1000.0);
    }
    blocks.push_back(&block);
  }
  AfterCommit(blocks);
}

void Node::CountLeaderFailures(const v1::Block& block) {
  v1::BlockHeader header;
  if (!header.ParseFromString(block.header()) || header.failed_proposers().empty()) return;
  if (header.epoch() == committee_->epoch()) return leader_failures_.OnCommitted(header, validator_names_);
  std::vector<std::string> names;  // a block of an earlier epoch, through block sync
  if (auto set = ledger_->ValidatorSet(header.epoch()); set.ok()) {
    for (const v1::ValidatorInfo& v : set->validators()) names.push_back(v.name());
  }
  leader_failures_.OnCommitted(header, names);
}

void Node::AfterCommit(const std::vector<const v1::Block*>& blocks) {
  uint64_t txs = 0;
  for (const v1::Block* block : blocks) {
    mempool_->RemoveCommitted(*block);
    txs += static_cast<uint64_t>(block->transactions_size());
    CountLeaderFailures(*block);
  }
  m_.blocks_committed->Add(blocks.size());
  m_.txs_committed->Add(txs);
  admission_.OnCommitted(txs, std::chrono::steady_clock::now());
  UpdateAllowedPeers();  // a proposal may name a validator that will need to sync
  evidence_pool_->Prune();
  const uint64_t height = ledger_->height();
  {
    std::lock_guard lock(commit_mu_);  // so that a waiter cannot miss the notification
  }
  commit_cv_.notify_all();
  sync_.OnCommitted(height);
  m_.committed_height->Set(static_cast<int64_t>(height));
  health_->SetCommittedHeight(height);
  if (txs > 0 || LogEnabled(LogLevel::kDebug)) {
    LogInfo(syncing_ ? "sync" : "consensus", "committed up to height " + std::to_string(height) + " (" +
                                                 std::to_string(txs) + " txs in " + std::to_string(blocks.size()) + " blocks)");
  }
}

void Node::SyncTick() {
  if (stopped_) return;
  if (halted_) {
    TryResume();
    return ScheduleSyncTick();
  }
  // Peers learn our height from here, at most once a tick, rather than at every
  // commit: under load that was more messages than consensus itself sent.
  if (ledger_->height() != announced_height_) {
    announced_height_ = ledger_->height();
    v1::PeerMessage status;
    status.mutable_status()->set_committed_height(announced_height_);
    status.mutable_status()->set_epoch(ledger_->epoch());
    status.mutable_status()->set_blocks_from(ledger_->retained_from());
    transport_->Broadcast(status);
  }
  health_->SetBestPeerHeight(sync_.best_peer_height());
  if (!syncing_ && sync_.Behind()) {
    syncing_ = true;
    m_.syncing->Set(1);
    health_->SetSyncing(true);
    RefreshConsensusView();
    round_timer_->cancel();
    proposal_timer_->cancel();
    LogInfo("sync", "behind: height " + std::to_string(ledger_->height()) + ", peers up to " +
                        std::to_string(sync_.best_peer_height()) + "; syncing, consensus waits");
  }
  if (syncing_ && !sync_.Behind()) {
    syncing_ = false;
    m_.syncing->Set(0);
    health_->SetSyncing(false);
    sync_buffer_.Clear();
    if (Status made = MakeConsensus(); !made.ok()) {
      Halt("sync", "cannot restart consensus after sync: " + made.ToString());
      return ScheduleSyncTick();
    }
    LogInfo("sync", "caught up at height " + std::to_string(ledger_->height()) + "; consensus resumes");
    Apply(replica_->Start(NowMs()));
  }
  if (syncing_) SendSyncRequests();
  ScheduleSyncTick();
}

void Node::SendSyncRequests() {
  for (const net::SyncRequest& r : sync_.Poll(NowMs())) {
    v1::PeerMessage request;
    request.mutable_sync_request()->set_from_height(r.from_height);
    request.mutable_sync_request()->set_max_blocks(r.max_blocks);
    transport_->Send(r.peer, request);
  }
}

void Node::ScheduleSyncTick() {
  sync_timer_->expires_after(std::chrono::milliseconds(kSyncTickMs));
  sync_timer_->async_wait([this](boost::system::error_code ec) {
    if (!ec) SyncTick();
  });
}

void Node::Halt(std::string_view component, const std::string& why) {
  halted_ = true;
  halted_ticks_ = 0;
  m_.halted->Set(1);
  health_->SetHalted(true);
  rpc_server_->SetServing(false);
  LogError(component, why + "; the node stops committing and keeps serving reads, and tries its ledger again every " +
                          std::to_string(kResumeEveryTicks * kSyncTickMs / 1000) + " s");
}

void Node::TryResume() {
  if (++halted_ticks_ % kResumeEveryTicks != 0) return;
  // Reload reopens the store and reads back what the disk holds: the failed block may
  // or may not be there; either way the head it reports is a committed one.
  if (Status reloaded = ledger_->Reload(); !reloaded.ok()) {
    if (halted_ticks_ % (kResumeEveryTicks * 15) == kResumeEveryTicks) {
      LogWarn("ledger", "still cannot write the ledger: " + reloaded.ToString());
    }
    return;
  }
  // While syncing, consensus restarts when sync has caught up (SyncTick).
  if (!syncing_) {
    if (Status made = MakeConsensus(); !made.ok()) {
      LogWarn("ledger", "the ledger takes writes again, but consensus cannot restart: " + made.ToString());
      return;
    }
  }
  halted_ = false;
  health_->SetHalted(false);
  rpc_server_->SetServing(true);
  m_.halted->Set(0);
  LogInfo("ledger", "the ledger takes writes again: resuming at height " + std::to_string(ledger_->height()) +
                        " (block sync fetches what the others committed meanwhile)");
  if (!syncing_) Apply(replica_->Start(NowMs()));
}

void Node::OnSyncResponse(const crypto::PublicKey& from, v1::SyncResponse response) {
  if (!syncing_) return;
  crypto::PublicKey peer = from;
  for (;;) {
    if (response.from_height() > ledger_->height() + 1) {
      // Above the head: it waits until the blocks below arrive (one per window in flight).
      sync_buffer_.Add(peer, std::move(response));
      return;
    }
    const uint64_t from_height = response.from_height();
    SyncOutcome outcome = ApplySyncResponse(*ledger_, verifier_, std::move(response));
    sync_.OnResponse(peer, from_height, outcome.committed.size(), outcome.lied, NowMs());
    if (outcome.lied) LogWarn("sync", "peer " + Short(peer) + " sent a bad sync response: " + outcome.why);
    if (!outcome.committed.empty()) {
      m_.blocks_synced->Add(outcome.committed.size());
      std::vector<const v1::Block*> blocks;
      for (const v1::Block& block : outcome.committed) blocks.push_back(&block);
      AfterCommit(blocks);
    }
    if (!outcome.lied && !outcome.why.empty()) return Halt("sync", outcome.why);  // our disk, not the peer
    // The next windows are asked for now, not at the next tick: fetching overlaps
    // verifying and committing.
    SendSyncRequests();
    // Go on with the lowest buffered response, if it now joins the head.
    auto next = sync_buffer_.TakeJoining(ledger_->height());
    if (!next) return;
    peer = next->peer;
    response = std::move(next->response);
  }
}

void Node::OnPeerStatus(const crypto::PublicKey& from, uint64_t height, uint64_t epoch, uint64_t blocks_from) {
  sync_.OnPeerHeight(from, height, blocks_from);
  // A peer in a later epoch has committed the last block of ours: without it this node
  // cannot know the next set, and the validators that moved on no longer answer in the
  // old epoch. Fetch it however small the lag.
  if (epoch > ledger_->epoch()) sync_.CatchUpNow();
}

void Node::SendConsensus(uint32_t to, v1::ConsensusMessage message) {
  v1::PeerMessage envelope;
  *envelope.mutable_consensus() = std::move(message);
  transport_->Send(link_keys_.at(to), envelope);
}

void Node::OnPeerMessage(const crypto::PublicKey& from, v1::PeerMessage message) {
  if (halted_) return;
  switch (message.kind_case()) {
    case v1::PeerMessage::kStatus:
      OnPeerStatus(from, message.status().committed_height(), message.status().epoch(), message.status().blocks_from());
      return;
    case v1::PeerMessage::kSyncResponse:
      OnSyncResponse(from, std::move(*message.mutable_sync_response()));
      return;
    case v1::PeerMessage::kEvidence:
      OnEvidence(message.evidence(), &from);
      return;
    case v1::PeerMessage::kConsensus: {
      if (syncing_) return;  // consensus waits until sync has caught up
      if (consensus::ClaimedEpoch(message.consensus()) > committee_->epoch()) {
        // The sender has committed the last block of our epoch and moved on; this node
        // learns the next set only from that block, which it must fetch.
        sync_.CatchUpNow();
        return;
      }
      const std::optional<uint32_t> sender = ValidatorIndexOf(from);
      if (!sender) return;  // observers take no part in consensus
      Apply(replica_->OnMessage(*sender, message.consensus(), NowMs()));
      return;
    }
    case v1::PeerMessage::kSyncRequest: {
      const auto& request = message.sync_request();
      v1::PeerMessage reply;
      *reply.mutable_sync_response() = BuildSyncResponse(*ledger_, request.from_height(),
                                                         std::min(request.max_blocks(), kMaxSyncBlocks),
                                                         kSyncResponseBudgetBytes);
      transport_->Send(from, reply);
      return;
    }
    default:
      return;
  }
}

void Node::AdmitGossip(const crypto::PublicKey& from, v1::TxBatch batch) {
  // Validators are a full mesh and each sends its clients' transactions to all the
  // others, so what a validator sent is not relayed again (that would triple the
  // traffic for nothing; a transaction a link lost still arrives in the block that
  // commits it). What an observer's clients sent reaches the validators it links to,
  // and they relay it.
  const bool relay = !IsValidatorLink(from);
  v1::PeerMessage forward;
  bool admitted = false;
  for (v1::Transaction& tx : *batch.mutable_transactions()) {
    // Seen before (from any peer, pending or long committed): nothing to check or send.
    if (!gossip_seen_.FirstSight(ledger::TransactionHash(genesis_.chain_id(), tx))) continue;
    if (!mempool_->Add(tx).ok()) continue;
    admitted = true;
    if (relay) *forward.mutable_transactions()->add_transactions() = std::move(tx);
  }
  if (forward.transactions().transactions_size() > 0) transport_->Broadcast(forward, from);
  if (admitted) WakeConsensusForTransactions();
}

void Node::OnEvidence(const v1::Evidence& evidence, const crypto::PublicKey* from) {
  auto offence = evidence_pool_->Add(evidence);
  if (!offence.ok()) {
    // Known already, or not valid (a peer that sends invalid evidence gains nothing: it
    // is dropped here, never relayed).
    if (from != nullptr && offence.status().code() == StatusCode::kInvalidArgument) {
      LogWarn("net", "peer " + Short(*from) + " sent invalid evidence: " + offence.status().ToString());
    }
    return;
  }
  m_.evidence->Add(1);
  LogWarn("consensus", "validator " + offence->signer_name + " signed two conflicting " +
                           (offence->kind == ledger::Offence::Kind::kDoubleVote ? "votes" : "proposals") + " in round " +
                           std::to_string(offence->round) + " of epoch " + std::to_string(offence->epoch) + " (" +
                           (from ? "evidence from peer " + Short(*from) : std::string("caught here")) +
                           "); the next leader includes the evidence in a block");
  if (from == nullptr) {
    v1::PeerMessage message;
    *message.mutable_evidence() = evidence;
    transport_->Broadcast(message);
  }
}

void Node::WakeConsensusForTransactions() {
  // One wake-up in the core's queue at a time: it sees every transaction admitted
  // before it runs.
  if (tx_wakeup_queued_.exchange(true)) return;
  asio::post(core_io_, [this] {
    tx_wakeup_queued_ = false;
    if (!halted_ && !syncing_) Apply(replica_->OnTransactionsAvailable(NowMs()));
  });
}

bool Node::WaitForHeightAbove(uint64_t height, std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(commit_mu_);
  return commit_cv_.wait_until(lock, deadline, [&] { return ledger_->height() > height || stopped_; }) &&
         ledger_->height() > height;
}

rpc::NodeStatus Node::CurrentStatus() const {
  return {.round = static_cast<uint64_t>(m_.round->value()),
          .validator = health_->in_current_set(),
          .node_key = Bytes(key_->public_key().bytes()),
          .peers = static_cast<uint32_t>(transport_->ConnectedPeers().size()),
          .mempool_size = mempool_->size(),
          .syncing = m_.syncing->value() != 0,
          .best_peer_height = health_->best_peer_height(),
          .version = kVersion,
          .revision = kRevision,
          .retention = pruner_->Report()};
}

Result<Hash> Node::Submit(const v1::Transaction& tx) {
  // Pending here includes the peers' transactions still waiting for their signature
  // checks: under overload that queue held more than the pool, and leaving it out let
  // each node admit its own budget's worth on top of the others'.
  const size_t pending = mempool_->size() + static_cast<size_t>(std::max<int64_t>(0, verify_queue_txs_.load()));
  if (Status room = admission_.Admit(pending, std::chrono::steady_clock::now()); !room.ok()) {
    m_.overload_refusals->Add(1);
    return room;
  }
  CAIRN_ASSIGN_OR_RETURN(Hash hash, mempool_->Add(tx));
  gossip_seen_.FirstSight(hash);  // a peer may relay it back: no need to check it again
  tx_outbox_->Add(tx);
  WakeConsensusForTransactions();
  return hash;
}

}  // namespace cairn::node
