#include "node/load/driver.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <memory>
#include <map>
#include <mutex>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "cairn/v1/api.grpc.pb.h"
#include "crypto/domain.h"
#include "ledger/tx_check.h"
#include "node/proc_stats.h"

namespace cairn::load {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kSampleEvery = std::chrono::milliseconds(250);
constexpr int64_t kNotYet = -1;

int64_t Nanos(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

Clock::duration Seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

class Driver {
 public:
  Driver(const LoadConfig& config, const Workload& workload)
      : config_(config),
        workload_(workload),
        submit_ns_(workload.txs.size(), kNotYet),
        commit_ns_(workload.txs.size(), kNotYet),
        acknowledged_(workload.txs.size(), 0) {
    uint32_t accounts = 0;
    for (const SignedTransfer& tx : workload.txs) accounts = std::max(accounts, tx.account + 1);
    accounts_.resize(accounts);
    for (const std::string& node : config.nodes) {
      auto channel = grpc::CreateChannel(node, grpc::InsecureChannelCredentials());
      lanes_.push_back(std::make_unique<Lane>(v1::Transactions::NewStub(channel)));
      if (!ledger_stub_) ledger_stub_ = v1::Ledger::NewStub(channel);
    }
  }

  LoadResult Run() {
    // The block stream starts after the head found now: no transaction of the workload
    // can be in a block before it, and a chain with a long history (a million accounts
    // made by transactions) is not streamed from genesis to this client, by node 0,
    // while they measure.
    stream_from_ = HeadHeight() + 1;
    start_ = Clock::now();
    window_start_ = start_ + Seconds(config_.warmup_seconds);
    window_end_ = window_start_ + Seconds(config_.seconds);
    std::thread watcher([this] { WatchBlocks(); });
    std::thread submitter;
    std::vector<std::thread> lane_threads;
    if (config_.mode != LoadMode::kIdle) {
      for (auto& lane : lanes_) {
        lane->stream = lane->stub->SubmitStream(&lane->context);
        lane_threads.emplace_back([this, l = lane.get()] { WriteLane(*l); });
        lane_threads.emplace_back([this, l = lane.get()] { ReadLane(*l); });
      }
      submitter = std::thread([this] { SubmitAll(); });
    }
    std::thread killer;
    if (!config_.kill_pids.empty()) {
      killer = std::thread([this] {
        std::this_thread::sleep_until(window_start_ + Seconds(config_.kill_at_seconds));
        for (pid_t pid : config_.kill_pids) ::kill(pid, SIGKILL);
      });
    }
    SampleValidators();
    if (killer.joinable()) killer.join();
    if (submitter.joinable()) submitter.join();
    StopSending();
    Drain();
    for (auto& lane : lanes_) {
      std::lock_guard lock(lane->mu);
      lane->closing = true;
      lane->cv.notify_all();
    }
    for (std::thread& t : lane_threads) t.join();
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      if (stream_context_) stream_context_->TryCancel();
    }
    watcher.join();
    return Summarise();
  }

 private:
  // One submit stream to one validator: the submitter queues, a writer sends, a reader
  // matches the answers (in order) to what was sent.
  struct Lane {
    explicit Lane(std::unique_ptr<v1::Transactions::Stub> s) : stub(std::move(s)) {}
    std::unique_ptr<v1::Transactions::Stub> stub;
    grpc::ClientContext context;
    std::unique_ptr<grpc::ClientReaderWriter<v1::SubmitRequest, v1::SubmitStreamResponse>> stream;
    std::mutex mu;
    std::condition_variable cv;
    std::deque<uint32_t> to_send;  // guarded by mu
    std::deque<uint32_t> sent;     // guarded by mu
    bool closing = false;          // guarded by mu: nothing more will be queued
  };

  // A wallet's order: an account's next transaction goes once the node has taken the
  // one before (else its nonce would run ahead of what the node holds); one refused for
  // capacity goes again when the node said to retry.
  struct AccountFlow {
    bool waiting = false;       // one of its transactions is out, unanswered or to retry
    std::deque<uint32_t> held;  // due, behind that one
  };

  void Submit(uint32_t index) {
    std::lock_guard lock(mu_);
    ++submitted_;
    if (InWindow(Nanos(Clock::now()))) ++submitted_in_window_;  // what is offered, retries aside
    AccountFlow& account = accounts_[workload_.txs[index].account];
    if (account.waiting) {
      account.held.push_back(index);
      return;
    }
    account.waiting = true;
    SendLocked(index);
  }

  // Latency counts from the attempt the node took.
  void SendLocked(uint32_t index) {
    submit_ns_[index] = Nanos(Clock::now());
    Lane& lane = *lanes_[workload_.txs[index].account % lanes_.size()];
    std::lock_guard lock(lane.mu);
    lane.to_send.push_back(index);
    lane.cv.notify_one();
  }

  // The account's next held transaction, if any, goes now.
  void NextOfAccountLocked(uint32_t index) {
    AccountFlow& account = accounts_[workload_.txs[index].account];
    if (stop_sending_) return;
    account.waiting = !account.held.empty();
    if (!account.waiting) return;
    const uint32_t next = account.held.front();
    account.held.pop_front();
    SendLocked(next);
  }

  void SendDueRetries() {
    std::lock_guard lock(mu_);
    const Clock::time_point now = Clock::now();
    while (!retries_.empty() && retries_.begin()->first <= now) {
      SendLocked(retries_.begin()->second);
      retries_.erase(retries_.begin());
    }
  }

  // The "retry in N ms" of a capacity refusal (node/admission_budget.h), else 100 ms.
  static Clock::duration RetryHint(const std::string& message) {
    const size_t at = message.find("retry in ");
    long ms = at == std::string::npos ? 100 : std::strtol(message.c_str() + at + 9, nullptr, 10);
    return std::chrono::milliseconds(std::clamp(ms, 10L, 2000L));
  }

  void WriteLane(Lane& lane) {
    std::vector<uint32_t> batch;
    for (;;) {
      {
        std::unique_lock lock(lane.mu);
        lane.cv.wait(lock, [&] { return !lane.to_send.empty() || lane.closing; });
        if (lane.to_send.empty()) break;
        batch.assign(lane.to_send.begin(), lane.to_send.end());
        lane.to_send.clear();
        lane.sent.insert(lane.sent.end(), batch.begin(), batch.end());
      }
      for (size_t i = 0; i < batch.size(); ++i) {
        // All but the last of a batch may wait in gRPC's buffer for the next.
        grpc::WriteOptions options;
        if (i + 1 < batch.size()) options.set_buffer_hint();
        if (!lane.stream->Write(workload_.txs[batch[i]].request, options)) {
          lane.stream->WritesDone();
          return;
        }
      }
    }
    lane.stream->WritesDone();
  }

  void ReadLane(Lane& lane) {
    v1::SubmitStreamResponse response;
    while (lane.stream->Read(&response)) {
      uint32_t index;
      {
        std::lock_guard lock(lane.mu);
        if (lane.sent.empty()) break;  // an answer to nothing: the node is wrong
        index = lane.sent.front();
        lane.sent.pop_front();
      }
      OnSubmitted(index, response.code(), response.message());
    }
    const grpc::Status status = lane.stream->Finish();
    std::deque<uint32_t> unanswered;
    {
      std::lock_guard lock(lane.mu);
      unanswered.swap(lane.sent);
    }
    // Whatever was sent and not answered was not admitted.
    for (uint32_t index : unanswered) {
      OnSubmitted(index, status.ok() ? grpc::StatusCode::UNKNOWN : status.error_code(),
                  "no answer: " + status.error_message());
    }
  }

  void OnSubmitted(uint32_t index, int code, const std::string& message) {
    std::lock_guard lock(mu_);
    if (code == 0) {
      acknowledged_[index] = 1;
    } else if (code == grpc::StatusCode::RESOURCE_EXHAUSTED && message.find("retry in ") != std::string::npos) {
      ++refused_;
      if (stop_sending_) {
        ++unsent_;
      } else {
        retries_.emplace(Clock::now() + RetryHint(message), index);
      }
      return;  // the account waits for this one
    } else {
      ++failed_;
      ++failures_[std::to_string(code) + ": " + message];
      cv_.notify_all();  // a failure frees a slot of the closed loop
    }
    NextOfAccountLocked(index);
  }

  bool InWindow(int64_t ns) const { return ns >= Nanos(window_start_) && ns < Nanos(window_end_); }

  uint64_t InFlight() const { return submitted_ - committed_ - failed_ - unsent_; }

  // The window is over: what the node has not taken yet (held behind a refused one, or
  // waiting to be sent again) is not sent; the drain waits only for what it took.
  void StopSending() {
    std::lock_guard lock(mu_);
    stop_sending_ = true;
    unsent_ += retries_.size();
    retries_.clear();
    for (AccountFlow& account : accounts_) {
      unsent_ += account.held.size();
      account.held.clear();
    }
  }

  void SubmitAll() {
    const size_t total = workload_.txs.size();
    size_t next = 0;
    while (Clock::now() < window_end_) {
      if (next == total) {
        {
          std::lock_guard lock(mu_);
          ran_out_ = true;
        }
        // Populating: what the node refused for capacity is still sent again, to the end.
        while (config_.until_all_committed && Clock::now() < window_end_ && !AllCommitted()) {
          SendDueRetries();
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        return;
      }
      SendDueRetries();
      if (config_.mode == LoadMode::kSaturation) {
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, std::chrono::milliseconds(5), [&] { return InFlight() < config_.inflight; });
        size_t room = InFlight() < config_.inflight ? config_.inflight - InFlight() : 0;
        lock.unlock();
        while (room-- > 0 && next < total) Submit(static_cast<uint32_t>(next++));
      } else {
        const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
        const size_t due = std::min(total, static_cast<size_t>(elapsed * config_.rate));
        while (next < due) Submit(static_cast<uint32_t>(next++));
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
  }

  // Until every acknowledged transaction has committed, or the drain time is over.
  void Drain() {
    std::unique_lock lock(mu_);
    cv_.wait_until(lock, Clock::now() + Seconds(config_.drain_seconds),
                   [&] { return InFlight() == 0 || !stream_error_.empty(); });
  }

  // The committed head's height on the first node (0 when it cannot say: the stream
  // then starts at the first block).
  uint64_t HeadHeight() {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::GetBlockRequest request;
    request.set_latest(true);
    v1::GetBlockResponse response;
    v1::BlockHeader header;
    if (!ledger_stub_->GetBlock(&context, request, &response).ok() || !header.ParseFromString(response.block().header())) {
      return 0;
    }
    return header.height();
  }

  void WatchBlocks() {
    grpc::ClientContext context;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      stream_context_ = &context;
    }
    v1::StreamBlocksRequest request;
    request.set_from_height(stream_from_);
    auto stream = ledger_stub_->StreamBlocks(&context, request);
    v1::GetBlockResponse response;
    const std::string chain_id = ChainIdOfWorkload();
    while (stream->Read(&response)) {
      const int64_t now = Nanos(Clock::now());
      v1::BlockHeader header;
      header.ParseFromString(response.block().header());
      uint64_t mine = 0;
      for (const v1::Transaction& tx : response.block().transactions()) {
        const Hash hash = ledger::TransactionHash(chain_id, tx);
        auto it = workload_.index.find(hash);
        if (it == workload_.index.end()) continue;
        commit_ns_[it->second] = now;
        ++mine;
      }
      std::lock_guard lock(mu_);
      arrivals_.push_back({now, static_cast<uint32_t>(response.block().transactions_size())});
      chain_height_ = header.height();
      chain_txs_ += static_cast<uint64_t>(response.block().transactions_size());
      committed_ += mine;
      if (InWindow(now)) {
        ++blocks_in_window_;
        committed_in_window_ += static_cast<uint64_t>(response.block().transactions_size());
        if (response.block().transactions_size() == 0) ++empty_blocks_in_window_;
      }
      cv_.notify_all();
    }
    grpc::Status status = stream->Finish();
    std::lock_guard lock(mu_);
    stream_context_ = nullptr;
    if (!stopping_) stream_error_ = "the block stream of " + config_.nodes.front() + " ended: " + status.error_message();
    cv_.notify_all();
  }

  std::string ChainIdOfWorkload() const {
    if (workload_.txs.empty()) return "";
    v1::TxBody body;
    body.ParseFromString(workload_.txs.front().request.transaction().body());
    return body.chain_id();
  }

  // CPU at the window's ends, memory every kSampleEvery within it.
  void SampleValidators() {
    usage_.assign(config_.pids.size(), {});
    std::vector<double> cpu_at_start(config_.pids.size(), 0);
    std::this_thread::sleep_until(window_start_);
    for (size_t i = 0; i < config_.pids.size(); ++i) {
      if (auto u = node::ReadProcessUsage(config_.pids[i])) cpu_at_start[i] = u->cpu_seconds;
    }
    while (Clock::now() < window_end_ && !AllCommitted()) {
      for (size_t i = 0; i < config_.pids.size(); ++i) {
        if (auto u = node::ReadProcessUsage(config_.pids[i])) {
          usage_[i].rss_mb_max = std::max(usage_[i].rss_mb_max, u->rss_mb);
          usage_[i].cpu_seconds = u->cpu_seconds - cpu_at_start[i];
          usage_[i].peak_rss_mb = u->peak_rss_mb;
        }
      }
      std::this_thread::sleep_until(std::min(window_end_, Clock::now() + kSampleEvery));
    }
  }

  bool AllCommitted() {
    std::lock_guard lock(mu_);
    return config_.until_all_committed && ran_out_ && InFlight() == 0;
  }

  LoadResult Summarise() {
    std::lock_guard lock(mu_);
    LoadResult result;
    result.committed_in_window = committed_in_window_;
    result.blocks_in_window = blocks_in_window_;
    result.empty_blocks_in_window = empty_blocks_in_window_;
    result.submitted = submitted_;
    result.failed = failed_;
    result.refused = refused_;
    result.unsent = unsent_;
    result.submitted_in_window = submitted_in_window_;
    result.failures = failures_;
    result.ran_out = ran_out_;
    result.chain_height = chain_height_;
    result.chain_txs = chain_txs_;
    result.usage = usage_;
    result.error = stream_error_;
    SummariseGaps(result);
    for (size_t j = 0; j < workload_.txs.size(); ++j) {
      if (submit_ns_[j] == kNotYet) continue;
      if (acknowledged_[j] && commit_ns_[j] == kNotYet && ++result.lost <= 3) {
        std::fprintf(stderr, "lost: %s (account %u)\n", ToHex(workload_.txs[j].hash).c_str(), workload_.txs[j].account);
      }
      if (InWindow(submit_ns_[j]) && commit_ns_[j] != kNotYet) {
        result.latencies_ms.push_back(static_cast<double>(commit_ns_[j] - submit_ns_[j]) / 1e6);
      }
    }
    return result;
  }

  // LoadResult's longest_commit_gap_ms and recovery_s, from the block arrivals.
  void SummariseGaps(LoadResult& result) const {
    for (size_t i = 1; i < arrivals_.size(); ++i) {
      if (!InWindow(arrivals_[i].ns)) continue;
      result.longest_commit_gap_ms =
          std::max(result.longest_commit_gap_ms, static_cast<double>(arrivals_[i].ns - arrivals_[i - 1].ns) / 1e6);
    }
    if (config_.kill_pids.empty()) return;
    const bool idle = config_.mode == LoadMode::kIdle;
    // Stretches of 5 s: at saturation a block carries hundreds of transactions and a
    // second holds only a few blocks, so one-second counts swing by a quarter anyway.
    const int64_t stretch = 5'000'000'000;
    const int64_t kill_ns = Nanos(window_start_ + Seconds(config_.kill_at_seconds));
    auto amount_between = [&](int64_t from, int64_t to) {
      double amount = 0;
      for (const Arrival& a : arrivals_) {
        if (a.ns >= from && a.ns < to) amount += idle ? 1 : a.txs;
      }
      return amount;
    };
    const double before_s = static_cast<double>(kill_ns - Nanos(window_start_)) / 1e9;
    if (before_s < 5) return;
    const double level_per_s = amount_between(Nanos(window_start_), kill_ns) / before_s;
    // The last stretch after the kill that fell below 80% of that level ends the
    // recovery.
    int64_t recovered_ns = kill_ns;
    bool below_at_end = false;
    for (int64_t from = kill_ns; from + stretch <= Nanos(window_end_); from += stretch / 50) {
      below_at_end = amount_between(from, from + stretch) < 0.8 * level_per_s * 5;
      if (below_at_end) recovered_ns = from + stretch;
    }
    if (!below_at_end) result.recovery_s = static_cast<double>(recovered_ns - kill_ns) / 1e9;
  }

  const LoadConfig& config_;
  const Workload& workload_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::unique_ptr<v1::Ledger::Stub> ledger_stub_;
  Clock::time_point start_, window_start_, window_end_;

  // Per transaction; each slot is written by one thread and read after it is done.
  std::vector<int64_t> submit_ns_;  // under mu_, when sent (the last attempt)
  std::vector<int64_t> commit_ns_;  // the watcher
  std::vector<uint8_t> acknowledged_;  // the lanes' readers, under mu_

  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t submitted_ = 0, submitted_in_window_ = 0, committed_ = 0, failed_ = 0, refused_ = 0, unsent_ = 0;
  bool stop_sending_ = false;
  std::vector<AccountFlow> accounts_;                   // by load account
  std::multimap<Clock::time_point, uint32_t> retries_;  // refused for capacity: when to send again
  std::map<std::string, uint64_t> failures_;
  bool ran_out_ = false, stopping_ = false;
  grpc::ClientContext* stream_context_ = nullptr;
  std::string stream_error_;
  uint64_t stream_from_ = 1;
  uint64_t chain_height_ = 0, chain_txs_ = 0;
  uint64_t committed_in_window_ = 0, blocks_in_window_ = 0, empty_blocks_in_window_ = 0;
  struct Arrival {
    int64_t ns;
    uint32_t txs;
  };
  std::vector<Arrival> arrivals_;  // every block seen on the stream, in order
  std::vector<ValidatorUsage> usage_;
};

}  // namespace

LoadResult RunLoad(const LoadConfig& config, const Workload& workload) { return Driver(config, workload).Run(); }

}  // namespace cairn::load
