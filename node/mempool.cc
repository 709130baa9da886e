#include "node/mempool.h"

#include <algorithm>

#include "crypto/domain.h"
#include "ledger/tx_check.h"

namespace cairn::node {

Mempool::Mempool(std::string chain_id, crypto::SignatureVerifier& verifier, AdmissionLookup committed,
                 MempoolLimits limits)
    : chain_id_(std::move(chain_id)), verifier_(verifier), committed_(std::move(committed)), limits_(limits) {}

Result<Hash> Mempool::Add(const v1::Transaction& tx) {
  // The expensive part (the signature) runs before the lock, so admissions from many
  // threads verify in parallel.
  CAIRN_ASSIGN_OR_RETURN(ledger::CheckedTx checked, ledger::CheckTransaction(tx, chain_id_, verifier_));
  const uint64_t nonce = checked.body.nonce();
  const uint64_t commits_before = commits_seen_.load();
  CAIRN_ASSIGN_OR_RETURN(uint64_t committed, committed_(checked));
  const size_t size = tx.ByteSizeLong();
  std::lock_guard lock(mu_);
  if (commits_seen_ != commits_before) {
    CAIRN_ASSIGN_OR_RETURN(committed, committed_(checked));
  }
  if (nonce <= committed) {
    return Status::FailedPrecondition("nonce " + std::to_string(nonce) + " is used: the sender's last committed nonce is " +
                                      std::to_string(committed));
  }
  if (nonce > committed + limits_.max_nonce_gap) {
    return Status::FailedPrecondition("nonce " + std::to_string(nonce) + " is too far ahead of the sender's committed nonce " +
                                      std::to_string(committed));
  }
  if (by_hash_.count(checked.hash)) return Status::AlreadyExists("transaction " + ToHex(checked.hash) + " is already pending");
  Sender& sender = by_sender_[checked.sender];
  sender.committed = std::max(sender.committed, committed);
  Queue& queue = sender.queue;
  auto cleanup = [&] {
    if (queue.empty()) by_sender_.erase(checked.sender);
  };
  if (queue.count(nonce)) {
    cleanup();
    return Status::FailedPrecondition("the sender already has a pending transaction with nonce " + std::to_string(nonce));
  }
  if (queue.size() >= limits_.max_per_sender) {
    cleanup();
    return Status::ResourceExhausted("the sender has " + std::to_string(queue.size()) + " pending transactions, the most allowed");
  }
  if (by_hash_.size() >= limits_.max_txs || bytes_ + size > limits_.max_bytes) {
    cleanup();
    return Status::ResourceExhausted("mempool is full (" + std::to_string(by_hash_.size()) + " transactions, " +
                                     std::to_string(bytes_) + " bytes)");
  }
  queue[nonce] = checked.hash;
  by_hash_[checked.hash] = Entry{tx, checked.sender, nonce, next_arrival_++, size, checked.body.expires_at_ms()};
  if (checked.body.expires_at_ms() != 0) by_expiry_.emplace(checked.body.expires_at_ms(), checked.hash);
  bytes_ += size;
  return checked.hash;
}

std::vector<v1::Transaction> Mempool::Candidates(size_t max, const std::set<Hash>& exclude) {
  std::lock_guard lock(mu_);
  // Each sender's queue from its first nonce not already pending in a block below, in
  // nonce order; senders take turns, the longest-waiting first.
  struct Cursor {
    uint64_t first_arrival;
    std::map<uint64_t, Hash>::const_iterator next, end;
    uint64_t expected;
  };
  std::vector<Cursor> cursors;
  for (const auto& [address, sender] : by_sender_) {
    auto [it, expected] = FirstReady(sender, exclude);
    if (it != sender.queue.end()) cursors.push_back({by_hash_.at(it->second).arrival, it, sender.queue.end(), expected});
  }
  std::sort(cursors.begin(), cursors.end(), [](const Cursor& a, const Cursor& b) { return a.first_arrival < b.first_arrival; });
  std::vector<v1::Transaction> out;
  bool progress = true;
  while (out.size() < max && progress) {
    progress = false;
    for (Cursor& c : cursors) {
      if (out.size() >= max) break;
      if (c.next == c.end || c.next->first != c.expected) continue;
      out.push_back(by_hash_.at(c.next->second).tx);
      ++c.expected;
      ++c.next;
      progress = true;
    }
  }
  return out;
}

bool Mempool::HasCandidates(const std::set<Hash>& exclude) {
  std::lock_guard lock(mu_);
  for (const auto& [address, sender] : by_sender_) {
    if (FirstReady(sender, exclude).first != sender.queue.end()) return true;
  }
  return false;
}

std::pair<Mempool::Queue::const_iterator, uint64_t> Mempool::FirstReady(const Sender& sender,
                                                                      const std::set<Hash>& exclude) {
  const Queue& queue = sender.queue;
  auto it = queue.begin();
  uint64_t expected = sender.committed + 1;
  while (it != queue.end() && (it->first < expected || exclude.count(it->second))) {
    expected = std::max(expected, it->first + 1);
    ++it;
  }
  if (it != queue.end() && it->first != expected) it = queue.end();  // a gap: nothing can go yet
  return {it, expected};
}

void Mempool::LeftOut(const v1::Transaction& tx, const Status& reason) {
  // A nonce that the pending chain has passed is not a reason to forget a transaction:
  // that chain may still be abandoned. Only a transaction that can never be valid goes.
  if (reason.code() != StatusCode::kInvalidArgument) return;
  const Hash hash = ledger::TransactionHash(chain_id_, tx);
  std::lock_guard lock(mu_);
  EraseLocked(hash);
}

void Mempool::RemoveCommitted(const v1::Block& block) {
  // Every transaction of a committed block used its nonce, whatever its outcome
  // (ledger/executor.cc), so a sender's highest nonce in the block is now its committed
  // nonce: no ledger read needed.
  std::map<Bytes, uint64_t> committed;
  std::lock_guard lock(mu_);
  ++commits_seen_;
  // Holding nothing, there is nothing to remove or to move past (a node catching up
  // by block sync commits thousands of blocks with an empty mempool).
  if (by_sender_.empty()) return;
  for (const v1::Transaction& tx : block.transactions()) {
    const Hash hash = ledger::TransactionHash(chain_id_, tx);
    auto it = by_hash_.find(hash);
    if (it != by_hash_.end()) {
      uint64_t& highest = committed[it->second.sender];
      highest = std::max(highest, it->second.nonce);
      EraseLocked(hash);
      continue;
    }
    v1::TxBody body;  // one this node never held: the block was checked, so it parses
    if (!body.ParseFromString(tx.body())) continue;
    uint64_t& highest = committed[ledger::SenderOf(tx, body)];
    highest = std::max(highest, body.nonce());
  }
  for (const auto& [address, nonce] : committed) {
    auto sender = by_sender_.find(address);
    if (sender == by_sender_.end()) continue;
    sender->second.committed = std::max(sender->second.committed, nonce);
    std::vector<Hash> stale;
    const Queue& queue = sender->second.queue;
    for (auto it = queue.begin(); it != queue.end() && it->first <= nonce; ++it) stale.push_back(it->second);
    for (const Hash& hash : stale) EraseLocked(hash);
  }
  // No later block can hold a transaction whose expiry this block's time passed: block
  // times never go back.
  v1::BlockHeader header;
  if (by_expiry_.empty() || !header.ParseFromString(block.header())) return;
  std::vector<Hash> expired;
  for (auto it = by_expiry_.begin(); it != by_expiry_.end() && it->first < header.timestamp_ms(); ++it) {
    expired.push_back(it->second);
  }
  for (const Hash& hash : expired) EraseLocked(hash);
}

void Mempool::EraseLocked(const Hash& hash) {
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return;
  auto sender = by_sender_.find(it->second.sender);
  if (sender != by_sender_.end()) {
    sender->second.queue.erase(it->second.nonce);
    if (sender->second.queue.empty()) by_sender_.erase(sender);
  }
  if (it->second.expires_at_ms != 0) {
    auto [first, last] = by_expiry_.equal_range(it->second.expires_at_ms);
    for (auto e = first; e != last; ++e) {
      if (e->second == hash) {
        by_expiry_.erase(e);
        break;
      }
    }
  }
  bytes_ -= it->second.bytes;
  by_hash_.erase(it);
}

bool Mempool::Contains(const Hash& tx_hash) const {
  std::lock_guard lock(mu_);
  return by_hash_.count(tx_hash) > 0;
}

size_t Mempool::size() const {
  std::lock_guard lock(mu_);
  return by_hash_.size();
}

size_t Mempool::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

}  // namespace cairn::node
