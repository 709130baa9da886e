#include "node/admission_budget.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace cairn::node {

void AdmissionBudget::OnCommitted(size_t txs, Clock::time_point now) {
  std::lock_guard lock(mu_);
  const int64_t bucket = BucketOf(now);
  if (!buckets_.empty() && buckets_.back().first == bucket) {
    buckets_.back().second += txs;
  } else {
    buckets_.emplace_back(bucket, txs);
  }
}

double AdmissionBudget::RateLocked(Clock::time_point now) const {
  const int64_t oldest = BucketOf(now - limits_.window);
  while (!buckets_.empty() && buckets_.front().first < oldest) buckets_.pop_front();
  // A window of `span` buckets slides over the deque, each bucket ending one span
  // (buckets with no commit are absent from the deque). This runs at every client
  // submission, so once through.
  const int64_t span = std::max<int64_t>(1, limits_.span / limits_.bucket);
  size_t best = 0, sum = 0;
  auto first = buckets_.begin();
  for (auto end = buckets_.begin(); end != buckets_.end(); ++end) {
    sum += end->second;
    for (; first->first <= end->first - span; ++first) sum -= first->second;
    best = std::max(best, sum);
  }
  return static_cast<double>(best) / (static_cast<double>(span) * std::chrono::duration<double>(limits_.bucket).count());
}

double AdmissionBudget::CommitRate(Clock::time_point now) const {
  std::lock_guard lock(mu_);
  return RateLocked(now);
}

size_t AdmissionBudget::CapacityAt(double rate) const {
  return std::max(limits_.floor, static_cast<size_t>(rate * std::chrono::duration<double>(limits_.budget).count()));
}

size_t AdmissionBudget::Capacity(Clock::time_point now) const { return CapacityAt(CommitRate(now)); }

size_t AdmissionBudget::MaxBlockTxs(Clock::time_point now) const {
  const double per_round = CommitRate(now) * std::chrono::duration<double>(limits_.round_target).count();
  return std::max(limits_.block_floor, static_cast<size_t>(per_round));
}

Status AdmissionBudget::Admit(size_t pending, Clock::time_point now) const {
  const double rate = CommitRate(now);
  const size_t capacity = CapacityAt(rate);
  if (pending < capacity) return Status::Ok();
  // Long enough for what is over the line to commit, at the rate measured (or a budget
  // when nothing has committed lately).
  const double excess = static_cast<double>(pending - capacity + 1);
  const double retry_ms = rate > 0 ? std::max(100.0, 1000.0 * excess / rate)
                                   : static_cast<double>(limits_.budget.count());
  return Status::ResourceExhausted(
      "node at capacity: " + std::to_string(pending) + " transactions pending, the most that commit within " +
      std::to_string(limits_.budget.count()) + " ms at the " + std::to_string(static_cast<int64_t>(std::lround(rate))) +
      " tx/s this chain commits; retry in " + std::to_string(static_cast<int64_t>(std::ceil(retry_ms))) + " ms");
}

}  // namespace cairn::node
