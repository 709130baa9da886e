// The fixture of the tests of joining by state sync (state_bootstrap_test.cc) and of
// auditing what a join installed (base_audit_test.cc): a source ledger that went through
// a validator-set change, and four in-process peers serving it, one of which lies in the
// way the test says.
#pragma once

#include <algorithm>
#include <atomic>

#include <gtest/gtest.h>

#include "ledger/ledger.h"
#include "ledger/state_chunk.h"
#include "node/epoch_chain.h"
#include "node/state_bootstrap.h"
#include "node/state_metrics.h"
#include "node/state_target.h"
#include "node/sync_apply.h"
#include "tests/support/test_chain.h"

namespace cairn::node {

enum class Lie { kNone, kChunks, kTarget, kEpochs, kBlocks, kParentCertificates };

inline std::string Name(Lie lie) {
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

class StateJoinTest : public ::testing::Test {
 protected:
  StateJoinTest() : chain_({.users = 300, .admin_threshold = 1, .epoch_length = 4, .commit_closed_proposals = true}) {
    source_ = ledger::Ledger::Open(std::make_unique<ledger::MemoryStore>(), chain_.genesis()).value();
    // Epoch 1 adds a validator; then blocks with transfers, past leader reputation's
    // window of the new epoch's first blocks, one of them convicting a validator of a
    // double vote.
    AddValidatorToSource(0, 1);
    convicted_ = chain_.DoubleVote(source_->ValidatorSet(1).value(), 2, 7, source_->height());
    for (int b = 0; b < 12; ++b) {
      std::vector<v1::Evidence> evidence;
      if (b == 3) evidence.push_back(convicted_);
      EXPECT_TRUE(chain_.CommitBlock(*source_, Transfers(b), /*with_finality=*/b == 11, evidence).ok());
    }
    EXPECT_EQ(source_->ListEvidence(0, 10)->size(), 1u) << "the source convicted no one";
    for (int i = 0; i < 4; ++i) peers_.push_back(test::KeyFromLabel("peer-" + std::to_string(i)).public_key());
    // The liar sorts first, so that the phases that ask one peer at a time ask it first.
    liar_ = static_cast<size_t>(std::min_element(peers_.begin(), peers_.end()) - peers_.begin());
  }

  // Adds the test chain's spare validator `spare` by an admin transaction of nonce
  // `nonce` and commits empty blocks until the source is in the epoch it starts.
  void AddValidatorToSource(int spare, uint64_t nonce) {
    v1::TxBody body;
    v1::ValidatorChange* change = body.mutable_propose_validator_change()->mutable_change();
    change->set_kind(v1::ValidatorChange::KIND_ADD);
    change->mutable_validator()->set_name("validator-" + std::to_string(4 + spare));
    change->mutable_validator()->set_public_key(Bytes(chain_.spare_validator(spare).public_key().bytes()));
    change->mutable_validator()->set_address("127.0.0.1:" + std::to_string(26100 + spare));
    google::protobuf::RepeatedPtrField<v1::Transaction> txs;
    *txs.Add() = chain_.Sign(chain_.admin(), nonce, body);
    EXPECT_TRUE(chain_.CommitBlock(*source_, txs).ok());
    const uint64_t epoch = source_->epoch();
    while (source_->epoch() == epoch) EXPECT_TRUE(chain_.CommitBlock(*source_, {}).ok());
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
  Result<StateBootstrapReport> Join(ledger::KvStore& store, std::optional<Checkpoint> checkpoint = std::nullopt) {
    std::unique_ptr<StateBootstrap> bootstrap;
    bootstrap = std::make_unique<StateBootstrap>(
        chain_.genesis(), store,
        [&](const crypto::PublicKey& to, const v1::PeerMessage& message) {
          for (size_t i = 0; i < peers_.size(); ++i) {
            if (peers_[i] == to) bootstrap->OnMessage(to, Answer(i, message));
          }
        },
        stop_, StateBootstrapOptions{.checkpoint = checkpoint, .chunk_leaves = 16, .request_timeout_ms = 1'000, .peer_wait_ms = 20});
    for (const crypto::PublicKey& peer : peers_) bootstrap->OnConnected(peer, source_->height());
    MetricsRegistry registry;
    AddStateSyncMetrics(registry, *bootstrap);
    auto report = bootstrap->Run();
    metrics_ = registry.Render();
    return report;
  }

  test::TestChain chain_;
  std::unique_ptr<ledger::Ledger> source_;
  v1::Evidence convicted_;  // recorded in the source's chain, below any join's base
  std::vector<crypto::PublicKey> peers_;
  size_t liar_ = 0;
  Lie lie_ = Lie::kNone;
  std::atomic<bool> stop_{false};
  std::string metrics_;  // of the last Join, once it ended
  int chunk_requests_ = 0;
  int stop_after_chunks_ = 0;
};

}  // namespace cairn::node
