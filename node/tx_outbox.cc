#include "node/tx_outbox.h"

namespace cairn::node {

void TxOutbox::Add(const v1::Transaction& tx) {
  v1::TxBatch full;
  {
    std::lock_guard lock(mu_);
    *pending_.add_transactions() = tx;
    if (static_cast<size_t>(pending_.transactions_size()) >= max_batch_) {
      full.Swap(&pending_);
      last_sent_ = std::chrono::steady_clock::now();
    } else if (!flush_scheduled_) {
      flush_scheduled_ = true;
      const auto due = last_sent_ + delay_;
      boost::asio::post(io_, [this, due] {
        timer_.expires_at(due);  // in the past after a quiet spell: at once
        timer_.async_wait([this](boost::system::error_code ec) {
          if (!ec) Flush();
        });
      });
    }
  }
  if (full.transactions_size() > 0) send_(std::move(full));
}

void TxOutbox::Flush() {
  v1::TxBatch batch;
  {
    std::lock_guard lock(mu_);
    flush_scheduled_ = false;
    batch.Swap(&pending_);
    if (batch.transactions_size() > 0) last_sent_ = std::chrono::steady_clock::now();
  }
  if (batch.transactions_size() > 0) send_(std::move(batch));
}

}  // namespace cairn::node
