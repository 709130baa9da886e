#include "tests/cluster/read_watch.h"

#include <chrono>
#include <random>

#include "crypto/domain.h"
#include "node/load/load_accounts.h"

namespace cairn::cluster {

namespace {
constexpr auto kReadEvery = std::chrono::milliseconds(50);
}  // namespace

ReadWatch::ReadWatch(Cluster& cluster, int accounts, uint64_t seed)
    : cluster_(cluster), accounts_(accounts), seed_(seed), highest_(cluster.size(), 0), generation_(cluster.size(), 0) {}

ReadWatch::~ReadWatch() { Stop(); }

void ReadWatch::Start() { thread_ = std::thread([this] { Run(); }); }

void ReadWatch::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void ReadWatch::Forget(int node) {
  std::lock_guard lock(mu_);
  highest_[node] = 0;
  ++generation_[node];
}

uint64_t ReadWatch::Generation(int node) const {
  std::lock_guard lock(mu_);
  return generation_[node];
}

size_t ReadWatch::regressions() const {
  std::lock_guard lock(mu_);
  return regressions_;
}

size_t ReadWatch::disagreements() const {
  std::lock_guard lock(mu_);
  return disagreements_;
}

std::string ReadWatch::first_violation() const {
  std::lock_guard lock(mu_);
  return first_violation_;
}

void ReadWatch::Run() {
  std::mt19937_64 rng(seed_ ^ 0x5eadull);
  std::vector<std::string> addresses;
  for (int a = 0; a < accounts_; ++a) {
    addresses.push_back(crypto::AddressOf(load::LoadAccountKey(static_cast<uint32_t>(a)).public_key().bytes()));
  }
  while (!stop_) {
    const int node = static_cast<int>(rng() % static_cast<uint64_t>(cluster_.size()));
    const std::string& address = addresses[rng() % addresses.size()];
    // A node that is down or paused does not answer: that is no read.
    const uint64_t generation = Generation(node);
    if (auto answer = cluster_.Account(node, address)) {
      ++reads_;
      Check(node, generation, address, *answer);
    }
    std::this_thread::sleep_for(kReadEvery);
  }
}

void ReadWatch::Check(int node, uint64_t generation, const std::string& address, const v1::GetAccountResponse& answer) {
  std::lock_guard lock(mu_);
  if (generation != generation_[node]) return;
  auto violation = [&](const std::string& what) {
    if (first_violation_.empty()) first_violation_ = what;
  };
  if (answer.height() < highest_[node]) {
    ++regressions_;
    violation("node " + std::to_string(node) + " answered at height " + std::to_string(answer.height()) +
              " after answering at " + std::to_string(highest_[node]));
  }
  highest_[node] = std::max(highest_[node], answer.height());
  const std::string bytes = answer.has_account() ? answer.account().SerializeAsString() : "absent";
  auto [it, first] = seen_.emplace(std::make_pair(address, answer.height()), bytes);
  if (!first && it->second != bytes) {
    ++disagreements_;
    violation("node " + std::to_string(node) + " read account " + ToHex(address) + " at height " +
              std::to_string(answer.height()) + " differently from another node");
  }
}

}  // namespace cairn::cluster
