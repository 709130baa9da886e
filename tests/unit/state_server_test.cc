// The node's state sync server: answers from the ledger's stored versions on its own
// thread, a version it does not hold with an error, and a full queue with "busy".
#include <chrono>
#include <condition_variable>
#include <mutex>

#include <gtest/gtest.h>

#include "ledger/ledger.h"
#include "ledger/state_restore.h"
#include "node/state_server.h"
#include "tests/support/test_chain.h"

namespace cairn::node {
namespace {

// What the server sent, waited for with a bound.
class Inbox {
 public:
  StateServer::Reply reply() {
    return [this](const crypto::PublicKey&, const v1::PeerMessage& message) {
      std::lock_guard lock(mu_);
      got_.push_back(message);
      cv_.notify_all();
    };
  }
  v1::PeerMessage NextMessage() {
    std::unique_lock lock(mu_);
    EXPECT_TRUE(cv_.wait_for(lock, std::chrono::seconds(10), [&] { return taken_ < got_.size(); }));
    return taken_ < got_.size() ? got_[taken_++] : v1::PeerMessage();
  }
  v1::StateChunkResponse Next() { return NextMessage().state_response(); }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<v1::PeerMessage> got_;
  size_t taken_ = 0;
};

constexpr uint64_t kHoldMs = 600'000;

v1::StateChunkRequest Ask(uint64_t version, const Bytes& path, const Hash& hash) {
  v1::StateChunkRequest request;
  request.set_version(version);
  request.set_path(path);
  request.set_expected_hash(ToBytes(hash));
  request.set_max_leaves(4096);
  return request;
}

TEST(StateServer, ServesStoredVersionsThatRestoreToTheSameRoot) {
  test::TestChain chain;
  auto ledger = ledger::Ledger::Open(std::make_unique<ledger::MemoryStore>(), chain.genesis()).value();
  google::protobuf::RepeatedPtrField<v1::Transaction> txs;
  *txs.Add() = chain.Transfer(chain.user(0), 1, chain.user(1), 5);
  ASSERT_TRUE(chain.CommitBlock(*ledger, txs).ok());
  Inbox inbox;
  StateServer server(*ledger, inbox.reply(), kHoldMs);
  server.Start();
  const crypto::PublicKey peer = test::KeyFromLabel("peer").public_key();
  for (uint64_t version : {uint64_t{0}, ledger->height()}) {
    const Hash root = ledger->StateAt(version).value().root();
    ledger::MemoryStore restored;
    auto restore = ledger::StateRestore::Open(restored, version, root).value();
    while (!restore->finished()) {
      const auto [path, hash] = *restore->wanted().begin();
      server.Offer(peer, Ask(version, path, hash));
      v1::StateChunkResponse answer = inbox.Next();
      ASSERT_TRUE(answer.error().empty()) << answer.error();
      ASSERT_EQ(restore->Apply(answer).value(), ledger::StateRestore::Applied::kStored);
    }
    EXPECT_EQ(restore->accounts(), ledger->StateAt(version).value().size());
  }
  server.Offer(peer, Ask(ledger->height() + 5, "", ledger->state_root()));
  EXPECT_NE(inbox.Next().error().find("no state for height"), std::string::npos);
  EXPECT_EQ(server.stats().served, 2u);
  EXPECT_EQ(server.stats().refused, 1u);
  // Epoch changes come from the same thread (epoch_chain_test checks their content).
  v1::EpochChangesRequest epochs;
  epochs.set_from_epoch(1);
  server.Offer(peer, epochs);
  v1::PeerMessage answer = inbox.NextMessage();
  ASSERT_TRUE(answer.has_epoch_changes_response());
  EXPECT_EQ(answer.epoch_changes_response().current_epoch(), 0u);
  EXPECT_EQ(answer.epoch_changes_response().changes_size(), 0);
}

TEST(StateServer, AFullQueueAnswersBusyAtOnce) {
  test::TestChain chain;
  auto ledger = ledger::Ledger::Open(std::make_unique<ledger::MemoryStore>(), chain.genesis()).value();
  Inbox inbox;
  StateServer server(*ledger, inbox.reply(), kHoldMs, /*max_queued=*/0);  // not started: nothing is taken
  server.Offer(test::KeyFromLabel("peer").public_key(), Ask(0, "", ledger->state_root()));
  EXPECT_NE(inbox.Next().error().find("busy"), std::string::npos);
}

TEST(StateServer, SaysWhichOfferedTargetsAJoiningNodeMayStillBeRestoring) {
  test::TestChain chain;
  auto ledger = ledger::Ledger::Open(std::make_unique<ledger::MemoryStore>(), chain.genesis()).value();
  for (uint64_t nonce = 1; nonce <= 3; ++nonce) {
    google::protobuf::RepeatedPtrField<v1::Transaction> txs;
    *txs.Add() = chain.Transfer(chain.user(0), nonce, chain.user(1), 5);
    ASSERT_TRUE(chain.CommitBlock(*ledger, txs, /*with_finality=*/nonce == 3).ok());
  }
  Inbox inbox;
  StateServer server(*ledger, inbox.reply(), kHoldMs);
  server.Start();
  const crypto::PublicKey peer = test::KeyFromLabel("peer").public_key();
  // A chunk of a version never offered pins nothing: a peer cannot hold back pruning
  // by asking for old versions.
  server.Offer(peer, Ask(1, "", ledger->StateAt(1).value().root()));
  ASSERT_TRUE(inbox.Next().error().empty());
  EXPECT_EQ(server.OldestTargetInUse(), std::nullopt);
  server.Offer(peer, v1::StateTargetRequest());
  v1::PeerMessage target = inbox.NextMessage();
  ASSERT_TRUE(target.state_target_response().error().empty()) << target.state_target_response().error();
  EXPECT_EQ(server.OldestTargetInUse(), std::optional<uint64_t>(3));
}

}  // namespace
}  // namespace cairn::node
