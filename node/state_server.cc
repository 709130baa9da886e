#include "node/state_server.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>

#include "ledger/state_chunk.h"
#include "node/epoch_chain.h"
#include "node/state_target.h"

namespace cairn::node {

namespace {

// An answer's leaves at most: a tenth of the peer frame limit, so that a chunk is a
// fraction of a second on a slow link and a hedge costs little.
constexpr size_t kChunkBudgetBytes = 1u << 20;

uint64_t NowMs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

}  // namespace

StateServer::StateServer(const ledger::Ledger& ledger, Reply reply, uint64_t hold_ms, size_t max_queued)
    : ledger_(ledger), reply_(std::move(reply)), max_queued_(max_queued), hold_ms_(hold_ms) {}

StateServer::~StateServer() { Stop(); }

void StateServer::Start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "cairn-state");
    Run();
  });
}

void StateServer::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    queue_.clear();
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool StateServer::Enqueue(const crypto::PublicKey& from, v1::PeerMessage request) {
  std::lock_guard lock(mu_);
  if (stopping_) return true;  // dropped: the node is going away
  if (queue_.size() >= max_queued_) return false;
  queue_.emplace_back(from, std::move(request));
  wake_.notify_one();
  return true;
}

void StateServer::Offer(const crypto::PublicKey& from, v1::StateChunkRequest request) {
  v1::PeerMessage message;
  *message.mutable_state_request() = request;
  if (Enqueue(from, std::move(message))) return;
  v1::StateChunkResponse busy;
  busy.set_version(request.version());
  busy.set_path(request.path());
  busy.set_error("busy: too many state requests queued");
  Answer(from, std::move(busy));
}

void StateServer::Offer(const crypto::PublicKey& from, v1::EpochChangesRequest request) {
  v1::PeerMessage message;
  *message.mutable_epoch_changes_request() = request;
  if (Enqueue(from, std::move(message))) return;
  v1::PeerMessage busy;
  busy.mutable_epoch_changes_response()->set_from_epoch(request.from_epoch());
  busy.mutable_epoch_changes_response()->set_error("busy: too many state requests queued");
  reply_(from, busy);
}

void StateServer::Offer(const crypto::PublicKey& from, v1::StateTargetRequest request) {
  v1::PeerMessage message;
  *message.mutable_state_target_request() = request;
  if (Enqueue(from, std::move(message))) return;
  v1::PeerMessage busy;
  busy.mutable_state_target_response()->set_error("busy: too many state requests queued");
  reply_(from, busy);
}

void StateServer::Run() {
  for (;;) {
    std::pair<crypto::PublicKey, v1::PeerMessage> next;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      next = std::move(queue_.front());
      queue_.pop_front();
    }
    const auto& [from, message] = next;
    if (message.has_epoch_changes_request()) {
      v1::PeerMessage reply;
      *reply.mutable_epoch_changes_response() = BuildEpochChanges(ledger_, message.epoch_changes_request().from_epoch());
      reply_(from, reply);
      continue;
    }
    if (message.has_state_target_request()) {
      v1::PeerMessage reply;
      *reply.mutable_state_target_response() = BuildStateTarget(ledger_);
      if (reply.state_target_response().has_head()) {
        MarkInUse(reply.state_target_response().head().certificate().height(), true);
      }
      reply_(from, reply);
      continue;
    }
    const v1::StateChunkRequest& request = message.state_request();
    MarkInUse(request.version(), false);
    v1::StateChunkResponse response;
    auto tree = ledger_.StateAt(request.version());
    if (tree.ok()) {
      response = ledger::ServeStateChunk(*tree, request, kChunkBudgetBytes);
    } else {
      response.set_version(request.version());
      response.set_path(request.path());
      response.set_error(tree.status().message());
    }
    Answer(from, std::move(response));
  }
}

void StateServer::Answer(const crypto::PublicKey& to, v1::StateChunkResponse response) {
  {
    std::lock_guard lock(mu_);
    if (response.error().empty()) {
      ++stats_.served;
      stats_.bytes_out += response.ByteSizeLong();
    } else {
      ++stats_.refused;
    }
  }
  v1::PeerMessage message;
  *message.mutable_state_response() = std::move(response);
  reply_(to, message);
}

void StateServer::MarkInUse(uint64_t version, bool offered) {
  std::lock_guard lock(mu_);
  auto it = targets_in_use_.find(version);
  if (it == targets_in_use_.end()) {
    if (!offered) return;
    if (targets_in_use_.size() == kMaxTargetsInUse) {
      targets_in_use_.erase(std::min_element(targets_in_use_.begin(), targets_in_use_.end(),
                                             [](const auto& a, const auto& b) { return a.second < b.second; }));
    }
    it = targets_in_use_.emplace(version, 0).first;
  }
  it->second = NowMs();
}

std::optional<uint64_t> StateServer::OldestTargetInUse() const {
  std::lock_guard lock(mu_);
  const uint64_t now = NowMs();
  for (const auto& [version, last_ms] : targets_in_use_) {
    if (now - last_ms <= hold_ms_) return version;
  }
  return std::nullopt;
}

StateServer::Stats StateServer::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace cairn::node
