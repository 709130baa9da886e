#include "node/state_bootstrap.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "cairn/v1/storage.pb.h"
#include "crypto/domain.h"
#include "ledger/genesis.h"
#include "ledger/keys.h"
#include "ledger/state_base.h"
#include "ledger/state_chunk.h"
#include "ledger/state_restore.h"
#include "net/transport.h"
#include "node/epoch_chain.h"
#include "node/leader_history.h"
#include "node/health.h"
#include "node/log.h"
#include "node/metrics_server.h"
#include "node/state_metrics.h"
#include "node/state_target.h"
#include "node/version.h"

namespace cairn::node {

namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

constexpr auto kProgressEvery = std::chrono::seconds(5);
constexpr auto kRetryPause = std::chrono::milliseconds(500);

std::string Short(const crypto::PublicKey& key) { return key.hex().substr(0, 16); }

// What the transport's thread hands the driver's thread.
struct Event {
  enum class Kind { kConnected, kGone, kMessage } kind = Kind::kMessage;
  crypto::PublicKey peer;
  uint64_t height = 0;  // kConnected: its Hello's committed height
  v1::PeerMessage message;
};

}  // namespace

class StateBootstrap::Impl {
 public:
  Impl(v1::Genesis genesis, ledger::KvStore& store, Send send, const std::atomic<bool>& stop,
       const StateBootstrapOptions& options)
      : genesis_(std::move(genesis)), store_(store), send_(std::move(send)), stop_(stop), options_(options) {}

  void Push(Event event);
  Result<StateBootstrapReport> Run();
  StateBootstrapReport Progress() const {
    std::lock_guard lock(report_mu_);
    return report_;
  }

 private:
  // The next event until `deadline` (peer heights are kept up to date on the way).
  std::optional<Event> Next(Clock::time_point deadline);
  // Sends `request` to `peer` and waits for its message of `answer` kind.
  std::optional<v1::PeerMessage> Ask(const crypto::PublicKey& peer, const v1::PeerMessage& request,
                                     v1::PeerMessage::KindCase answer);
  std::vector<crypto::PublicKey> Peers() const;
  // Waits kRetryPause before asking again, taking the events that come meanwhile.
  void Pause() {
    const auto until = Clock::now() + kRetryPause;
    while (!stop_ && Clock::now() < until) Next(until);
  }
  Status Stopped() const { return Status::Unavailable("state sync stopped"); }

  Status ProveEpochs();
  // After ProveEpochs: OK when the proven sets pass through the checkpoint (if any).
  Status CheckCheckpointReached() const;
  Status ChooseTarget();
  Status RestoreState();
  Status FetchBlocks();
  Status Install();
  // Blocks [from, to] in one epoch, fetched from one peer at a time until one answers
  // them all and `check` accepts the whole run (a peer whose run fails is not asked
  // again).
  Result<std::vector<v1::CertifiedBlock>> FetchRun(uint64_t from, uint64_t to,
                                                   const std::function<Status(const std::vector<v1::CertifiedBlock>&)>& check);

  const v1::Genesis genesis_;
  ledger::KvStore& store_;
  const Send send_;
  const std::atomic<bool>& stop_;
  const StateBootstrapOptions options_;
  crypto::CachingVerifier verifier_{1 << 16};

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Event> events_;
  std::map<crypto::PublicKey, uint64_t> heights_;  // connected peers (Run's thread)
  std::set<crypto::PublicKey> liars_;              // for this run
  uint64_t off_checkpoint_ = 0;                    // epoch changes that conflicted with it

  std::vector<TrustedEpoch> epochs_;           // 0, 1, ...: proven
  std::vector<v1::EpochChangeProof> changes_;  // into epochs 1, 2, ...
  v1::StateTargetResponse target_;
  VerifiedTarget verified_;
  std::vector<ledger::BaseBlock> blocks_;
  mutable std::mutex report_mu_;  // report_ is read by Progress from other threads
  StateBootstrapReport report_;

  template <typename F>
  void Update(F change) {
    std::lock_guard lock(report_mu_);
    change(report_);
  }
  void Phase(const char* phase) {
    Update([phase](StateBootstrapReport& r) { r.phase = phase; });
  }
};

void StateBootstrap::Impl::Push(Event event) {
  {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(event));
  }
  wake_.notify_one();
}

std::optional<Event> StateBootstrap::Impl::Next(Clock::time_point deadline) {
  std::optional<Event> event;
  {
    std::unique_lock lock(mu_);
    if (!wake_.wait_until(lock, deadline, [this] { return !events_.empty() || stop_.load(); })) return std::nullopt;
    if (events_.empty()) return std::nullopt;  // stopping
    event = std::move(events_.front());
    events_.pop_front();
  }
  switch (event->kind) {
    case Event::Kind::kConnected: heights_[event->peer] = event->height; break;
    case Event::Kind::kGone: heights_.erase(event->peer); break;
    case Event::Kind::kMessage:
      if (event->message.has_status() && heights_.count(event->peer)) {
        heights_[event->peer] = event->message.status().committed_height();
      }
      break;
  }
  return event;
}

std::vector<crypto::PublicKey> StateBootstrap::Impl::Peers() const {
  std::vector<crypto::PublicKey> peers;
  for (const auto& [peer, height] : heights_) {
    if (!liars_.count(peer)) peers.push_back(peer);
  }
  return peers;
}

std::optional<v1::PeerMessage> StateBootstrap::Impl::Ask(const crypto::PublicKey& peer, const v1::PeerMessage& request,
                                              v1::PeerMessage::KindCase answer) {
  send_(peer, request);
  const auto deadline = Clock::now() + std::chrono::milliseconds(options_.request_timeout_ms);
  while (!stop_ && Clock::now() < deadline) {
    std::optional<Event> event = Next(deadline);
    if (!event) continue;
    if (event->kind == Event::Kind::kGone && event->peer == peer) return std::nullopt;
    if (event->kind == Event::Kind::kMessage && event->peer == peer && event->message.kind_case() == answer) {
      return std::move(event->message);
    }
  }
  return std::nullopt;
}

Status StateBootstrap::Impl::ProveEpochs() {
  if (epochs_.empty()) epochs_.push_back(GenesisEpoch(genesis_));
  // Every peer is asked from the newest proven epoch on: a peer that stops early (or
  // lies) costs a request, and any honest one brings the chain to its current epoch.
  for (const crypto::PublicKey& peer : Peers()) {
    for (;;) {
      v1::PeerMessage request;
      request.mutable_epoch_changes_request()->set_from_epoch(epochs_.back().epoch + 1);
      auto answer = Ask(peer, request, v1::PeerMessage::kEpochChangesResponse);
      if (stop_) return Stopped();
      // No answer, a refusal (busy), or a late answer to an earlier request: ask the next.
      if (!answer || !answer->epoch_changes_response().error().empty() ||
          answer->epoch_changes_response().from_epoch() != epochs_.back().epoch + 1) {
        break;
      }
      const v1::EpochChangesResponse& page = answer->epoch_changes_response();
      bool lied = false;
      for (const v1::EpochChangeProof& change : page.changes()) {
        auto next = VerifyEpochChange(genesis_.chain_id(), epochs_.back(), change, verifier_);
        if (!next.ok()) {
          LogWarn("state-sync", "peer " + Short(peer) + " sent a bad epoch change: " + next.status().message());
          liars_.insert(peer);
          Update([](StateBootstrapReport& r) { ++r.lies; });
          lied = true;
          break;
        }
        if (options_.checkpoint) {
          if (Status on_path = CheckChangeAgainst(*options_.checkpoint, epochs_.back(), *next); !on_path.ok()) {
            LogWarn("state-sync", "peer " + Short(peer) + " gave a chain off the checkpoint: " + on_path.message());
            liars_.insert(peer);
            Update([](StateBootstrapReport& r) { ++r.lies; });
            ++off_checkpoint_;
            lied = true;
            break;
          }
        }
        epochs_.push_back(std::move(next).value());
        changes_.push_back(change);
      }
      if (lied || page.changes().empty() || epochs_.back().epoch >= page.current_epoch()) break;
    }
  }
  return Status::Ok();
}

Status StateBootstrap::Impl::CheckCheckpointReached() const {
  if (!options_.checkpoint) return Status::Ok();
  const Checkpoint& checkpoint = *options_.checkpoint;
  for (const TrustedEpoch& epoch : epochs_) {
    if (epoch.root_height == checkpoint.height && epoch.root_hash == checkpoint.hash) return Status::Ok();
  }
  const std::string why = off_checkpoint_ > 0
                              ? std::to_string(off_checkpoint_) + " of the peers' epoch changes conflicted with it: is it of this chain?"
                              : "the sets proven end at block " + std::to_string(epochs_.back().root_height) + ", before it";
  return Status::FailedPrecondition("no peer gave a chain of validator sets through the checkpoint " + checkpoint.ToString() +
                                    " (state_sync_checkpoint): " + why);
}

Status StateBootstrap::Impl::ChooseTarget() {
  CAIRN_ASSIGN_OR_RETURN(auto stored, store_.Get(ledger::keys::kStateSyncTarget));
  if (stored) {
    if (!target_.ParseFromString(*stored)) return Status::Corruption("the stored state sync target does not parse");
    v1::BlockHeader header;
    if (!header.ParseFromString(target_.head().block().header())) return Status::Corruption("the stored target's header");
    if (header.epoch() < epochs_.size()) {
      const TrustedEpoch& epoch = epochs_[header.epoch()];
      const TrustedEpoch* before = header.epoch() > 0 ? &epochs_[header.epoch() - 1] : nullptr;
      auto verified = VerifyStateTarget(genesis_.chain_id(), epoch, before, target_, verifier_);
      // The epoch proven next may be the one this block is the root of.
      if (!verified.ok() && header.epoch() + 1 < epochs_.size()) {
        verified = VerifyStateTarget(genesis_.chain_id(), epochs_[header.epoch() + 1], &epoch, target_, verifier_);
      }
      if (verified.ok()) {
        verified_ = *verified;
        Update([](StateBootstrapReport& r) { r.resumed = true; });
        LogInfo("state-sync", "resuming the state sync of block " + std::to_string(header.height()));
        return Status::Ok();
      }
    }
    LogInfo("state-sync", "the stored target does not check against the epochs proven yet; asking again");
  }
  for (;;) {
    const TrustedEpoch& current = epochs_.back();
    const TrustedEpoch* before = epochs_.size() > 1 ? &epochs_[epochs_.size() - 2] : nullptr;
    std::optional<v1::StateTargetResponse> best;
    bool later_epoch = false;
    for (const crypto::PublicKey& peer : Peers()) {
      v1::PeerMessage request;
      request.mutable_state_target_request();
      auto answer = Ask(peer, request, v1::PeerMessage::kStateTargetResponse);
      if (stop_) return Stopped();
      if (!answer || !answer->state_target_response().error().empty()) continue;
      const v1::StateTargetResponse& offered = answer->state_target_response();
      auto verified = VerifyStateTarget(genesis_.chain_id(), current, before, offered, verifier_);
      if (!verified.ok()) {
        if (verified.status().code() == StatusCode::kInvalidArgument) {
          LogWarn("state-sync", "peer " + Short(peer) + " offered a bad target: " + verified.status().message());
          liars_.insert(peer);
          Update([](StateBootstrapReport& r) { ++r.lies; });
        }
        later_epoch = later_epoch || verified.status().code() == StatusCode::kUnavailable;
        continue;
      }
      if (!best || verified->header.height() > verified_.header.height()) {
        best = offered;
        verified_ = *verified;
      }
    }
    if (best) {
      target_ = std::move(*best);
      break;
    }
    if (later_epoch) CAIRN_RETURN_IF_ERROR(ProveEpochs());
    Pause();
    if (stop_) return Stopped();
  }
  ledger::WriteBatch batch;
  if (stored) {
    // The subtrees restored for the target given up are of no use to this one.
    CAIRN_RETURN_IF_ERROR(store_.Scan(ledger::keys::kRestoredSubtreePrefix, ledger::keys::kRestoredSubtreePrefix, [&batch](ByteView key, ByteView) {
      batch.Delete(key);
      return true;
    }));
  }
  batch.Put(ledger::keys::kStateSyncTarget, target_.SerializeAsString());
  CAIRN_RETURN_IF_ERROR(store_.Write(batch, ledger::Durability::kSync).Annotate("storing the state sync target"));
  LogInfo("state-sync", "target: block " + std::to_string(verified_.header.height()) + " of epoch " +
                            std::to_string(verified_.header.epoch()) + ", state root " +
                            ToHex(verified_.header.state_root()).substr(0, 16));
  return Status::Ok();
}

Status StateBootstrap::Impl::RestoreState() {
  const uint64_t version = verified_.header.height();
  Hash root{};
  std::copy(verified_.header.state_root().begin(), verified_.header.state_root().end(), root.begin());
  CAIRN_ASSIGN_OR_RETURN(auto restore, ledger::StateRestore::Open(store_, version, root));
  net::StateSync sync(options_.chunks);
  for (const auto& [peer, height] : heights_) {
    if (height >= version && !liars_.count(peer)) sync.OnPeer(peer);
  }
  auto last_progress = Clock::now();
  while (!restore->finished()) {
    if (stop_) return Stopped();
    const uint64_t now_ms = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count());
    for (const net::ChunkRequest& r : sync.Poll(restore->wanted(), now_ms)) {
      v1::PeerMessage request;
      v1::StateChunkRequest* chunk = request.mutable_state_request();
      chunk->set_version(version);
      chunk->set_path(r.chunk);
      chunk->set_expected_hash(ToBytes(restore->wanted().at(r.chunk)));
      chunk->set_max_leaves(options_.chunk_leaves);
      send_(r.peer, request);
    }
    std::optional<Event> event = Next(Clock::now() + std::chrono::milliseconds(20));
    if (event) {
      // A peer that links, or reports a height that reached the target, can serve it.
      auto height = heights_.find(event->peer);
      if (height != heights_.end() && height->second >= version && !liars_.count(event->peer)) sync.OnPeer(event->peer);
      if (event->kind == Event::Kind::kGone) {
        sync.OnPeerGone(event->peer);
      } else if (event->kind == Event::Kind::kMessage && event->message.has_state_response()) {
        const v1::StateChunkResponse& response = event->message.state_response();
        if (response.version() != version) continue;
        auto applied = restore->Apply(response);
        net::StateSync::Answer answer = net::StateSync::Answer::kIgnored;
        if (!applied.ok()) {
          if (applied.status().code() != StatusCode::kInvalidArgument) return applied.status();
          LogWarn("state-sync", "peer " + Short(event->peer) + " sent a chunk that fails its proof (" +
                                    applied.status().message() + "); it is not asked again");
          Update([](StateBootstrapReport& r) { ++r.lies; });
          answer = net::StateSync::Answer::kLied;
        } else if (*applied == ledger::StateRestore::Applied::kStored) {
          answer = net::StateSync::Answer::kStored;
          Update([&](StateBootstrapReport& r) {
            const uint64_t bytes = response.ByteSizeLong();
            r.chunk_bytes += bytes;
            r.bytes_by_peer[event->peer.hex()] += bytes;
            ++r.chunks_by_peer[event->peer.hex()];
            r.leaves_fetched = restore->leaves_stored();
          });
        } else if (*applied == ledger::StateRestore::Applied::kNotServed) {
          answer = net::StateSync::Answer::kNotServed;
        }
        sync.OnAnswer(event->peer, response.path(), answer);
      }
    }
    if (Clock::now() - last_progress >= kProgressEvery) {
      last_progress = Clock::now();
      LogInfo("state-sync", "state of block " + std::to_string(version) + ": " +
                                std::to_string(restore->leaves_stored()) + " accounts stored, " +
                                std::to_string(restore->wanted().size()) + " subtrees wanted, " +
                                std::to_string(sync.in_flight()) + " requests to " + std::to_string(sync.peers()) +
                                " peers in flight");
    }
  }
  Update([&](StateBootstrapReport& r) {
    r.leaves_fetched = restore->leaves_stored();
    r.accounts = restore->accounts();
  });
  LogInfo("state-sync", "state of block " + std::to_string(version) + " restored: " + std::to_string(restore->accounts()) +
                            " accounts, root checked");
  return Status::Ok();
}

Result<std::vector<v1::CertifiedBlock>> StateBootstrap::Impl::FetchRun(
    uint64_t from, uint64_t to, const std::function<Status(const std::vector<v1::CertifiedBlock>&)>& check) {
  for (;;) {
    for (const crypto::PublicKey& peer : Peers()) {
      std::vector<v1::CertifiedBlock> run;
      while (from + run.size() <= to) {
        v1::PeerMessage request;
        request.mutable_sync_request()->set_from_height(from + run.size());
        request.mutable_sync_request()->set_max_blocks(static_cast<uint32_t>(to - from - run.size() + 1));
        auto answer = Ask(peer, request, v1::PeerMessage::kSyncResponse);
        if (stop_) return Stopped();
        if (!answer || answer->sync_response().from_height() != from + run.size() ||
            answer->sync_response().blocks().empty()) {
          break;
        }
        for (const v1::CertifiedBlock& block : answer->sync_response().blocks()) {
          if (from + run.size() > to) break;
          run.push_back(block);
        }
      }
      if (from + run.size() <= to) continue;  // this peer does not hold them all
      if (Status fits = check(run); !fits.ok()) {
        LogWarn("state-sync", "peer " + Short(peer) + " sent blocks that do not check: " + fits.message());
        liars_.insert(peer);
        Update([](StateBootstrapReport& r) { ++r.lies; });
        continue;
      }
      return run;
    }
    Pause();
    if (stop_) return Stopped();
  }
}

Status StateBootstrap::Impl::FetchBlocks() {
  const std::string& chain_id = genesis_.chain_id();
  const uint64_t height = verified_.header.height();
  const uint64_t epoch_count = target_.governance().epoch();  // the epochs the base holds: 1 .. this
  blocks_.clear();
  blocks_.push_back({target_.head().block(), target_.head().certificate(), target_.finality()});
  // Each epoch's root, by the hash its epoch change proved, certified by the epoch before.
  for (uint64_t e = 1; e <= epoch_count; ++e) {
    const TrustedEpoch& epoch = epochs_[e];
    if (epoch.root_height == height) continue;
    CAIRN_ASSIGN_OR_RETURN(auto run, FetchRun(epoch.root_height, epoch.root_height, [&](const auto& blocks) {
      return CheckEpochRoot(chain_id, epochs_[e - 1], epoch, blocks.front(), verifier_);
    }));
    blocks_.push_back({run.front().block(), run.front().certificate(), changes_[e - 1].finality()});
  }
  // The blocks leader reputation reads (CommittedChainRecords): the last window of the
  // current epoch, chained by hash from the target down.
  if (verified_.header.epoch() != epoch_count) return Status::Ok();  // the target is the epoch's root
  const TrustedEpoch& current = epochs_[epoch_count];
  const size_t window = MakeLeaderElection(genesis_, current.validators.validators_size())->window_blocks();
  const uint64_t first = std::max<uint64_t>(current.root_height + 1, height >= window ? height - window + 1 : 0);
  if (first >= height) return Status::Ok();
  CAIRN_ASSIGN_OR_RETURN(auto run, FetchRun(first, height - 1, [&](const auto& blocks) {
    return CheckChainBelow(chain_id, current, verified_.header.parent_hash(), blocks, verifier_);
  }));
  for (v1::CertifiedBlock& b : run) blocks_.push_back({std::move(*b.mutable_block()), std::move(*b.mutable_certificate()), std::nullopt});
  return Status::Ok();
}

Status StateBootstrap::Impl::Install() {
  ledger::StateBase base;
  base.height = verified_.header.height();
  base.governance = target_.governance();
  for (uint64_t e = 1; e <= base.governance.epoch(); ++e) {
    base.epoch_starts.push_back(epochs_[e].governance);
    base.epoch_roots.push_back(epochs_[e].root_height);
  }
  base.blocks = std::move(blocks_);
  return ledger::InstallStateBase(store_, genesis_, base);
}

Result<StateBootstrapReport> StateBootstrap::Impl::Run() {
  const auto started = Clock::now();
  Update([](StateBootstrapReport& r) { r.ran = true; });
  // A checkpoint at height 0 is the genesis file's own block, known before any peer.
  if (options_.checkpoint && options_.checkpoint->height == 0 && options_.checkpoint->hash != GenesisEpoch(genesis_).root_hash) {
    return Status::FailedPrecondition("the checkpoint " + options_.checkpoint->ToString() +
                                      " (state_sync_checkpoint) is not this genesis file's block");
  }
  LogInfo("state-sync", "joining by state sync: proving the validator sets from genesis");
  while (Peers().empty()) {
    if (stop_) return Stopped();
    Next(Clock::now() + std::chrono::milliseconds(200));
  }
  // The others a moment longer: the epoch changes are asked of every peer there is.
  const auto settled = Clock::now() + std::chrono::milliseconds(options_.peer_wait_ms);
  while (!stop_ && Clock::now() < settled) Next(settled);
  CAIRN_RETURN_IF_ERROR(ProveEpochs());
  CAIRN_RETURN_IF_ERROR(CheckCheckpointReached());
  LogInfo("state-sync", "proved " + std::to_string(epochs_.size() - 1) + " epoch changes from genesis" +
                            (options_.checkpoint ? ", through the checkpoint " + options_.checkpoint->ToString() : ""));
  Phase("target");
  CAIRN_RETURN_IF_ERROR(ChooseTarget());
  Update([&](StateBootstrapReport& r) {
    r.height = verified_.header.height();
    r.epoch = verified_.header.epoch();
  });
  Phase("state");
  CAIRN_RETURN_IF_ERROR(RestoreState());
  Phase("blocks");
  CAIRN_RETURN_IF_ERROR(FetchBlocks());
  Phase("install");
  CAIRN_RETURN_IF_ERROR(Install());
  Phase("done");
  Update([&](StateBootstrapReport& r) { r.seconds = std::chrono::duration<double>(Clock::now() - started).count(); });
  return Progress();
}

StateBootstrap::StateBootstrap(v1::Genesis genesis, ledger::KvStore& store, Send send, const std::atomic<bool>& stop,
                               const StateBootstrapOptions& options)
    : impl_(std::make_unique<Impl>(std::move(genesis), store, std::move(send), stop, options)) {}

StateBootstrap::~StateBootstrap() = default;

void StateBootstrap::OnConnected(const crypto::PublicKey& peer, uint64_t committed_height) {
  impl_->Push({Event::Kind::kConnected, peer, committed_height, {}});
}
void StateBootstrap::OnGone(const crypto::PublicKey& peer) { impl_->Push({Event::Kind::kGone, peer, 0, {}}); }
void StateBootstrap::OnMessage(const crypto::PublicKey& peer, v1::PeerMessage message) {
  impl_->Push({Event::Kind::kMessage, peer, 0, std::move(message)});
}
Result<StateBootstrapReport> StateBootstrap::Run() { return impl_->Run(); }
StateBootstrapReport StateBootstrap::Progress() const { return impl_->Progress(); }

Result<StateBootstrapReport> RunStateBootstrap(const v1::NodeConfig& config, const std::atomic<bool>& stop,
                                               const StateBootstrapOptions& options) {
  StateBootstrapReport report;
  if (config.sync_mode() != "state") return report;
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir(), ec);
  if (ec) return Status::IoError("cannot create data_dir " + config.data_dir() + ": " + ec.message());
  CAIRN_ASSIGN_OR_RETURN(auto store, ledger::OpenLevelDbStore(config.data_dir()));
  CAIRN_ASSIGN_OR_RETURN(auto has_ledger, store->Get(ledger::keys::kGenesisHash));
  if (has_ledger) return report;
  CAIRN_ASSIGN_OR_RETURN(auto key, crypto::PrivateKey::ReadFile(config.key_file()));
  CAIRN_ASSIGN_OR_RETURN(auto genesis, ledger::ReadGenesisFile(config.genesis_file()));
  StateBootstrapOptions configured = options;
  if (!config.state_sync_checkpoint().empty()) {
    CAIRN_ASSIGN_OR_RETURN(configured.checkpoint, ParseCheckpoint(config.state_sync_checkpoint()));
  }

  // The links: a transport of its own that dials the configured peers and admits only
  // them (it does not listen: nothing is served until the node opens).
  net::TransportConfig transport_config{.genesis_hash = ToBytes(ledger::GenesisHash(genesis)),
                                        .agent = std::string("cairnd/") + kVersion + " state-sync"};
  std::set<crypto::PublicKey> allowed;
  for (const auto& peer : config.peers()) {
    CAIRN_ASSIGN_OR_RETURN(auto peer_key, crypto::PublicKey::FromHex(peer.public_key()));
    transport_config.dial.push_back({peer.address(), peer_key});
    allowed.insert(peer_key);
  }
  transport_config.allowed = [allowed](const crypto::PublicKey& peer) { return allowed.count(peer) > 0; };
  asio::io_context io;
  std::unique_ptr<net::Transport> transport;
  StateBootstrap bootstrap(
      genesis, *store, [&transport](const crypto::PublicKey& to, const v1::PeerMessage& message) { transport->Send(to, message); },
      stop, configured);
  net::TransportEvents events{
      .on_connected = [&bootstrap](const crypto::PublicKey& peer,
                                   const v1::Hello& hello) { bootstrap.OnConnected(peer, hello.committed_height()); },
      .on_disconnected = [&bootstrap](const crypto::PublicKey& peer) { bootstrap.OnGone(peer); },
      .on_message = [&bootstrap](const crypto::PublicKey& peer,
                                 v1::PeerMessage message) { bootstrap.OnMessage(peer, std::move(message)); },
      .log = [](const std::string& line) { LogInfo("net", line); },
      .committed_height = [] { return uint64_t{0}; },
      .epoch = [] { return uint64_t{0}; }};
  transport = std::make_unique<net::Transport>(io, key, std::move(transport_config), std::move(events));
  CAIRN_RETURN_IF_ERROR(transport->Start());
  // The metrics port, until the node takes it over: /healthz 200, /readyz 503 "syncing",
  // and the phase and progress in /metrics.
  MetricsRegistry registry;
  AddStateSyncMetrics(registry, bootstrap);
  Health health(Health::Policy{.validator = config.validator()});
  health.SetSyncing(true);
  MetricsServer metrics(io, registry, health);
  if (!config.metrics_listen().empty()) CAIRN_RETURN_IF_ERROR(metrics.Start(config.metrics_listen()));
  auto work = asio::make_work_guard(io);  // until io.stop()
  std::thread io_thread([&io] { io.run(); });
  auto result = bootstrap.Run();
  asio::post(io, [&] {
    metrics.Stop();
    transport->Stop();
    io.stop();
  });
  io_thread.join();
  return result;
}

}  // namespace cairn::node
