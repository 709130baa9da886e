// Joining by state sync against in-process peers (node/state_bootstrap.h): three honest
// peers serve a ledger that went through a validator-set change; a fourth lies in one
// way per test. The joining node still reaches the honest state, the lie is counted and
// its teller not trusted again, the installed ledger opens at its base and takes the
// next block; a sync stopped halfway resumes from what it stored.
#include <algorithm>

#include <gtest/gtest.h>

#include "crypto/domain.h"
#include "ledger/audit.h"
#include "ledger/genesis.h"
#include "ledger/ledger.h"
#include "ledger/state_chunk.h"
#include "node/certificate_check.h"
#include "node/epoch_chain.h"
#include "node/leader_history.h"
#include "node/state_bootstrap.h"
#include "node/state_metrics.h"
#include "node/state_target.h"
#include "node/sync_apply.h"
#include "tests/support/test_chain.h"

namespace cairn::node {
namespace {

enum class Lie { kNone, kChunks, kTarget, kEpochs, kBlocks, kParentCertificates };

std::string Name(Lie lie) {
  switch (lie) {
    case Lie::kNone: return "None";
    case Lie::kChunks: return "Chunks";
    case Lie::kTarget: return "Target";
    case Lie::kEpochs: return "Epochs";
    case Lie::kBlocks: return "Blocks";
    case Lie::kParentCertificates: return "ParentCertificates";
  }
  return "?";
}

class StateBootstrapTest : public ::testing::Test {
 protected:
  StateBootstrapTest() : chain_({.users = 300, .admin_threshold = 1, .epoch_length = 4}) {
    source_ = ledger::Ledger::Open(std::make_unique<ledger::MemoryStore>(), chain_.genesis()).value();
    // Epoch 1 adds a validator; then blocks with transfers, past leader reputation's
    // window of the new epoch's first blocks.
    v1::TxBody body;
    v1::ValidatorChange* change = body.mutable_propose_validator_change()->mutable_change();
    change->set_kind(v1::ValidatorChange::KIND_ADD);
    change->mutable_validator()->set_name("validator-4");
    change->mutable_validator()->set_public_key(Bytes(chain_.spare_validator(0).public_key().bytes()));
    change->mutable_validator()->set_address("127.0.0.1:26100");
    google::protobuf::RepeatedPtrField<v1::Transaction> txs;
    *txs.Add() = chain_.Sign(chain_.admin(), 1, body);
    EXPECT_TRUE(chain_.CommitBlock(*source_, txs).ok());
    while (source_->epoch() == 0) EXPECT_TRUE(chain_.CommitBlock(*source_, {}).ok());
    for (int b = 0; b < 12; ++b) EXPECT_TRUE(chain_.CommitBlock(*source_, Transfers(b), /*with_finality=*/b == 11).ok());
    for (int i = 0; i < 4; ++i) peers_.push_back(test::KeyFromLabel("peer-" + std::to_string(i)).public_key());
    // The liar sorts first, so that the phases that ask one peer at a time ask it first.
    liar_ = static_cast<size_t>(std::min_element(peers_.begin(), peers_.end()) - peers_.begin());
  }

  google::protobuf::RepeatedPtrField<v1::Transaction> Transfers(int round) {
    google::protobuf::RepeatedPtrField<v1::Transaction> txs;
    for (int u = 0; u < 5; ++u) {
      *txs.Add() = chain_.Transfer(chain_.user(u), static_cast<uint64_t>(round) + 1, chain_.user(u + 100), 10);
    }
    return txs;
  }

  // What peer `from` answers; the liar lies as lie_ says.
  v1::PeerMessage Answer(size_t from, const v1::PeerMessage& request) {
    const bool liar = from == liar_;
    v1::PeerMessage reply;
    switch (request.kind_case()) {
      case v1::PeerMessage::kEpochChangesRequest: {
        *reply.mutable_epoch_changes_response() = BuildEpochChanges(*source_, request.epoch_changes_request().from_epoch());
        if (liar && lie_ == Lie::kEpochs) {
          // The change into epoch 1 with another key for validator-4, offered for
          // whichever epoch is asked.
          v1::EpochChangesResponse* page = reply.mutable_epoch_changes_response();
          *page = BuildEpochChanges(*source_, 1);
          page->set_from_epoch(request.epoch_changes_request().from_epoch());
          page->set_current_epoch(page->from_epoch());
          page->mutable_changes(0)->mutable_governance()->mutable_validators()->mutable_validators(4)->set_public_key(
              Bytes(chain_.spare_validator(1).public_key().bytes()));
        }
        break;
      }
      case v1::PeerMessage::kStateTargetRequest: {
        *reply.mutable_state_target_response() = BuildStateTarget(*source_);
        if (liar && lie_ == Lie::kTarget) {
          // Another governance state than the one the head commits to.
          reply.mutable_state_target_response()->mutable_governance()->set_next_proposal_id(99);
        }
        break;
      }
      case v1::PeerMessage::kStateRequest: {
        ++chunk_requests_;
        if (stop_after_chunks_ > 0 && chunk_requests_ >= stop_after_chunks_) stop_ = true;
        const v1::StateChunkRequest& chunk = request.state_request();
        *reply.mutable_state_response() = ledger::ServeStateChunk(source_->StateAt(chunk.version()).value(), chunk, 1 << 20);
        v1::StateChunkResponse* response = reply.mutable_state_response();
        if (liar && lie_ == Lie::kChunks) {
          if (response->leaves_size() > 0) response->mutable_leaves(0)->mutable_value()->append("x");
          if (!response->node().empty()) response->mutable_node()->back() ^= 1;
        }
        break;
      }
      case v1::PeerMessage::kSyncRequest: {
        const v1::SyncRequest& sync = request.sync_request();
        *reply.mutable_sync_response() = BuildSyncResponse(*source_, sync.from_height(), sync.max_blocks(), 1 << 22);
        if (liar && lie_ == Lie::kBlocks && reply.sync_response().blocks_size() > 0) {
          // A block's transactions swapped for others.
          v1::Block* block = reply.mutable_sync_response()->mutable_blocks(0)->mutable_block();
          *block->mutable_transactions() = Transfers(40);
        }
        if (liar && lie_ == Lie::kParentCertificates) {
          // Every block's parent certificate a round later: leader reputation reads it,
          // and no hash covers it.
          for (v1::CertifiedBlock& b : *reply.mutable_sync_response()->mutable_blocks()) {
            b.mutable_block()->mutable_parent_qc()->set_round(b.block().parent_qc().round() + 1);
          }
        }
        break;
      }
      default: break;
    }
    return reply;
  }

  // Runs a bootstrap into `store` against the four peers; the liar is asked first.
  Result<StateBootstrapReport> Join(ledger::KvStore& store) {
    std::unique_ptr<StateBootstrap> bootstrap;
    bootstrap = std::make_unique<StateBootstrap>(
        chain_.genesis(), store,
        [&](const crypto::PublicKey& to, const v1::PeerMessage& message) {
          for (size_t i = 0; i < peers_.size(); ++i) {
            if (peers_[i] == to) bootstrap->OnMessage(to, Answer(i, message));
          }
        },
        stop_, StateBootstrapOptions{.chunk_leaves = 16, .request_timeout_ms = 1'000, .peer_wait_ms = 20});
    for (const crypto::PublicKey& peer : peers_) bootstrap->OnConnected(peer, source_->height());
    MetricsRegistry registry;
    AddStateSyncMetrics(registry, *bootstrap);
    auto report = bootstrap->Run();
    metrics_ = registry.Render();
    return report;
  }

  test::TestChain chain_;
  std::unique_ptr<ledger::Ledger> source_;
  std::vector<crypto::PublicKey> peers_;
  size_t liar_ = 0;
  Lie lie_ = Lie::kNone;
  std::atomic<bool> stop_{false};
  std::string metrics_;  // of the last Join, once it ended
  int chunk_requests_ = 0;
  int stop_after_chunks_ = 0;
};

class StateBootstrapLiarTest : public StateBootstrapTest, public ::testing::WithParamInterface<Lie> {
 protected:
  StateBootstrapLiarTest() { lie_ = GetParam(); }
};

TEST_P(StateBootstrapLiarTest, JoinsAtTheHonestStateAndTheBaseLedgerTakesTheNextBlock) {
  auto store = std::make_unique<ledger::MemoryStore>();
  auto report = Join(*store);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ran);
  EXPECT_EQ(report->height, source_->height());
  EXPECT_EQ(report->epoch, 1u);
  EXPECT_EQ(report->accounts, source_->account_count());
  if (lie_ == Lie::kNone) {
    EXPECT_EQ(report->lies, 0u);
    EXPECT_GE(report->chunks_by_peer.size(), 3u) << "the chunks come from several peers";
    EXPECT_NE(metrics_.find("cairn_state_sync_phase{phase=\"done\"} 1"), std::string::npos) << metrics_;
    for (const auto& [peer, chunks] : report->chunks_by_peer) {
      EXPECT_NE(metrics_.find("cairn_state_sync_chunks_total{peer=\"" + peer.substr(0, 16) + "\"} " + std::to_string(chunks)),
                std::string::npos)
          << metrics_;
    }
  } else {
    EXPECT_GE(report->lies, 1u) << "the lie went unnoticed";
    // Caught before or while the state is fetched, it serves none of it.
    if (lie_ != Lie::kBlocks && lie_ != Lie::kParentCertificates) {
      EXPECT_EQ(report->chunks_by_peer.count(peers_[liar_].hex()), 0u) << "a liar's chunk was taken";
    }
  }

  auto joined = ledger::Ledger::Open(std::move(store), chain_.genesis());
  ASSERT_TRUE(joined.ok()) << joined.status().ToString();
  ledger::Ledger& ledger = **joined;
  EXPECT_EQ(ledger.height(), source_->height());
  EXPECT_EQ(ledger.base_height(), source_->height());
  EXPECT_EQ(ledger.head_hash(), source_->head_hash());
  EXPECT_EQ(ledger.state_root(), source_->state_root());
  EXPECT_EQ(ledger.epoch(), 1u);
  EXPECT_EQ(ledger.ValidatorSet(1)->SerializeAsString(), source_->ValidatorSet(1)->SerializeAsString());
  const Bytes user = test::TestChain::AddressOf(chain_.user(100));
  EXPECT_EQ(ledger.GetAccount(user)->account_bytes, source_->GetAccount(user)->account_bytes);
  auto below = ledger.GetBlock(2);
  EXPECT_EQ(below.status().code(), StatusCode::kNotFound);
  EXPECT_NE(below.status().message().find("below this node's base"), std::string::npos) << below.status().message();
  // What it serves the next joining node: the same epoch change.
  EXPECT_EQ(BuildEpochChanges(ledger, 1).SerializeAsString(), BuildEpochChanges(*source_, 1).SerializeAsString());

  // Consensus starts from it (the epoch's root and leader reputation's window are held),
  // and the next block executes to the same state.
  auto start = ledger.StartOfConsensus();
  ASSERT_TRUE(start.ok()) << start.status().ToString();
  auto source_start = source_->StartOfConsensus().value();
  auto window = CommittedChainRecords(ledger, *start, 100);
  ASSERT_TRUE(window.ok()) << window.status().ToString();
  EXPECT_EQ(window->size(), CommittedChainRecords(*source_, source_start, 100)->size());
  ASSERT_TRUE(chain_.CommitBlock(*source_, Transfers(12)).ok());
  ledger::StoredBlock next = source_->GetBlock(source_->height()).value();
  auto executed = ledger.Execute(next.block);
  ASSERT_TRUE(executed.ok()) << executed.status().ToString();
  ASSERT_TRUE(ledger.Commit(*executed, *next.certificate).ok());
  EXPECT_EQ(ledger.state_root(), source_->state_root());
}

TEST_F(StateBootstrapTest, ASyncStoppedHalfwayResumesFromWhatItStored) {
  ledger::MemoryStore store;
  stop_after_chunks_ = 10;
  auto stopped = Join(store);
  EXPECT_EQ(stopped.status().code(), StatusCode::kUnavailable) << stopped.status().ToString();
  stop_ = false;
  stop_after_chunks_ = 0;
  auto resumed = Join(store);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_TRUE(resumed->resumed);
  EXPECT_LT(resumed->leaves_fetched, source_->account_count()) << "it fetched everything again";
  EXPECT_EQ(resumed->accounts, source_->account_count());
  // The audit replays from genesis, which a base ledger does not hold: it says so rather
  // than pass an empty chain.
  crypto::DirectVerifier verifier;
  ledger::StoreAuditSource source(store);
  auto audit = ledger::AuditChain(chain_.genesis(), source,
                                  MakeCertificateCheck(chain_.chain_id(), ledger::BuildGenesisState(chain_.genesis()).block_hash, verifier),
                                  &store);
  EXPECT_EQ(audit.status().code(), StatusCode::kFailedPrecondition) << audit.status().ToString();
  EXPECT_NE(audit.status().message().find("joined by state sync"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Liars, StateBootstrapLiarTest,
                         ::testing::Values(Lie::kNone, Lie::kChunks, Lie::kTarget, Lie::kEpochs, Lie::kBlocks,
                                           Lie::kParentCertificates),
                         [](const ::testing::TestParamInfo<Lie>& info) { return Name(info.param); });

}  // namespace
}  // namespace cairn::node
