// Transactions this node admitted from its own clients, on their way to its peers:
// batched in time (one TxBatch per flush rather than one message per transaction), so
// that under load a peer parses, posts and checks a batch at a time. Batches go at most
// one per `delay`: a transaction that comes `delay` or more after the last batch went
// goes at once (a trickle is not held back: each transaction waits for the leader, and
// at low load that wait is most of its latency), one that comes sooner waits for the
// rest of the `delay`; a full batch goes at once.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>

#include "cairn/v1/p2p.pb.h"
#include "net/asio.h"

namespace cairn::node {

class TxOutbox {
 public:
  using Send = std::function<void(v1::TxBatch batch)>;
  // `send` runs on `io`'s thread, or on Add's caller for a full batch.
  TxOutbox(boost::asio::io_context& io, Send send, size_t max_batch, std::chrono::milliseconds delay)
      : io_(io), send_(std::move(send)), max_batch_(max_batch), delay_(delay), timer_(io) {}

  // Thread-safe.
  void Add(const v1::Transaction& tx);
  // Thread-safe: sends what waits now, on the caller's thread. A leader calls it before
  // its proposal goes out, so that its peers receive these transactions (and start
  // checking them on their admission pools) ahead of the proposal that carries them.
  void Flush();
  // On `io`'s thread, before it stops: what waits is dropped (clients resubmit).
  void Cancel() { timer_.cancel(); }

 private:
  boost::asio::io_context& io_;
  const Send send_;
  const size_t max_batch_;
  const std::chrono::milliseconds delay_;
  boost::asio::steady_timer timer_;  // used on io_'s thread only
  std::mutex mu_;
  v1::TxBatch pending_;  // guarded by mu_
  bool flush_scheduled_ = false;  // guarded by mu_
  std::chrono::steady_clock::time_point last_sent_{};  // guarded by mu_
};

}  // namespace cairn::node
