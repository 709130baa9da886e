#include "tests/cluster/steady_load.h"

#include <random>

#include "crypto/domain.h"
#include "ledger/tx_check.h"
#include "node/load/load_accounts.h"

namespace cairn::cluster {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kResubmitAfter = std::chrono::seconds(5);
constexpr auto kPollEvery = std::chrono::milliseconds(200);

// One account's transfer in flight.
struct InFlight {
  uint32_t account = 0;
  crypto::PrivateKey key;
  uint64_t nonce = 0;  // of `tx`; 0 before the first
  v1::Transaction tx;
  std::string hash;
  Clock::time_point submitted{};
  bool accepted = false;  // some node took it
};

}  // namespace

SteadyLoad::SteadyLoad(Cluster& cluster, int accounts, int threads, uint64_t seed)
    : cluster_(cluster), accounts_(accounts), threads_(threads), seed_(seed) {}

SteadyLoad::~SteadyLoad() { Stop(); }

void SteadyLoad::Start() {
  for (int t = 0; t < threads_; ++t) workers_.emplace_back([this, t] { Run(t); });
}

void SteadyLoad::Stop() {
  stop_ = true;
  for (std::thread& worker : workers_) worker.join();
  workers_.clear();
}

std::vector<std::string> SteadyLoad::Acknowledged() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> hashes;
  for (const auto& [hash, receipt] : acknowledged_) hashes.push_back(hash);
  return hashes;
}

std::vector<std::pair<std::string, std::string>> SteadyLoad::AcknowledgedReceipts() const {
  std::lock_guard lock(mu_);
  return acknowledged_;
}

size_t SteadyLoad::acknowledged() const {
  std::lock_guard lock(mu_);
  return acknowledged_.size();
}

void SteadyLoad::Run(int thread_index) {
  std::mt19937_64 rng(seed_ + static_cast<uint64_t>(thread_index));
  auto any_node = [&] { return static_cast<int>(rng() % static_cast<uint64_t>(cluster_.size())); };
  std::vector<InFlight> mine;
  for (int a = thread_index; a < accounts_; a += threads_) {
    mine.push_back({.account = static_cast<uint32_t>(a), .key = load::LoadAccountKey(static_cast<uint32_t>(a))});
  }
  const std::string chain_id = cluster_.chain_id();
  auto sign_next = [&](InFlight& f) {
    v1::TxBody body;
    body.set_chain_id(chain_id);
    body.set_nonce(++f.nonce);
    const crypto::PrivateKey to = load::LoadAccountKey((f.account + 1) % static_cast<uint32_t>(accounts_));
    body.mutable_transfer()->set_to(crypto::AddressOf(to.public_key().bytes()));
    body.mutable_transfer()->set_asset(load::kLoadAsset);
    body.mutable_transfer()->set_amount(1);
    f.tx = ledger::SignTransaction(f.key, body);
    f.hash = ToBytes(crypto::TxHash(chain_id, f.tx.public_key(), f.tx.signature(), f.tx.body()));
    f.accepted = false;
  };
  for (InFlight& f : mine) sign_next(f);

  while (!stop_) {
    for (InFlight& f : mine) {
      if (stop_) break;
      if (!f.accepted) {
        const grpc::Status status = cluster_.Submit(any_node(), f.tx);
        // ALREADY_EXISTS: the node holds or has committed it; either way it was taken.
        if (status.ok() || status.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
          f.accepted = true;
          f.submitted = Clock::now();
        } else {
          ++submit_failures_;
        }
        continue;
      }
      if (Clock::now() - f.submitted > kResubmitAfter) {
        // Whatever the answer (a node that has committed it refuses the old nonce),
        // the polls below tell when it is in.
        ++resubmissions_;
        (void)cluster_.Submit(any_node(), f.tx);
        f.submitted = Clock::now();
      }
      auto answer = cluster_.GetTransaction(any_node(), f.hash);
      if (answer && answer->state() == v1::GetTransactionResponse::COMMITTED) {
        {
          std::lock_guard lock(mu_);
          acknowledged_.emplace_back(f.hash, answer->receipt().SerializeAsString());
        }
        sign_next(f);
      }
    }
    std::this_thread::sleep_for(kPollEvery);
  }
}

}  // namespace cairn::cluster
