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
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/state_chunk.h"
#include "node/certificate_check.h"
#include "node/epoch_chain.h"
#include "node/leader_history.h"
#include "node/state_bootstrap.h"
#include "node/state_metrics.h"
#include "node/state_target.h"
#include "node/sync_apply.h"
#include "tests/unit/state_join_fixture.h"

namespace cairn::node {
namespace {

class StateBootstrapTest : public StateJoinTest {};

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

// An operator's checkpoint pins the chain of sets: through it (an epoch's last block, or
// the genesis block) the join goes on; off it (another hash where an epoch ends, a block
// that ends no epoch, a block past the chain's sets, another genesis) it stops before any
// state is fetched, saying why, and installs nothing.
TEST_F(StateBootstrapTest, TheChainOfSetsMustPassThroughTheOperatorsCheckpoint) {
  const ledger::EpochRoot root = source_->RootOfEpoch(1).value();
  const Hash genesis = GenesisEpoch(chain_.genesis()).root_hash;
  for (const Checkpoint& good : {Checkpoint{root.height, root.hash}, Checkpoint{0, genesis}}) {
    ledger::MemoryStore store;
    auto report = Join(store, good);
    ASSERT_TRUE(report.ok()) << good.ToString() << ": " << report.status().ToString();
    EXPECT_EQ(report->height, source_->height());
    EXPECT_EQ(report->lies, 0u);
  }
  Hash other = root.hash;
  other[0] ^= 1;
  const struct {
    Checkpoint checkpoint;
    std::string why;
  } bad[] = {{{root.height, other}, "conflicted with it"},
             {{root.height - 1, source_->GetBlock(root.height - 1)->hash}, "conflicted with it"},
             {{source_->height() + 100, root.hash}, "before it"},
             {{0, other}, "is not this genesis file's block"}};
  for (const auto& [checkpoint, why] : bad) {
    ledger::MemoryStore store;
    auto report = Join(store, checkpoint);
    ASSERT_FALSE(report.ok()) << checkpoint.ToString() << " was taken";
    EXPECT_EQ(report.status().code(), StatusCode::kFailedPrecondition) << report.status().ToString();
    EXPECT_NE(report.status().message().find(why), std::string::npos) << report.status().ToString();
    EXPECT_FALSE(store.Get(ledger::keys::kGenesisHash).value().has_value()) << "a ledger was installed";
  }
}

// The offence the source convicted before the base is in the state the node restored:
// it refuses the same evidence again, as every node of the chain does, though it holds
// none of the blocks that carried it. (Were it to take it, its proposals and votes would
// be for blocks the others refuse.)
TEST_F(StateBootstrapTest, AnOffenceConvictedBeforeTheBaseIsNotTakenAgain) {
  auto store = std::make_unique<ledger::MemoryStore>();
  ASSERT_TRUE(Join(*store).ok());
  auto joined = ledger::Ledger::Open(std::move(store), chain_.genesis());
  ASSERT_TRUE(joined.ok()) << joined.status().ToString();
  ASSERT_TRUE((*joined)->ListEvidence(0, 10)->empty()) << "the test means a node that holds no block with evidence";
  for (const ledger::Ledger* ledger : {source_.get(), joined->get()}) {
    auto again = ledger->CheckNewEvidence(convicted_);
    EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists) << again.status().ToString();
  }
  // A block that carries it again is refused for that, not for a root it would change.
  ASSERT_TRUE(chain_.CommitBlock(*source_, Transfers(12)).ok());
  v1::Block repeat = source_->GetBlock(source_->height())->block;
  *repeat.add_evidence() = convicted_;
  auto refused = (*joined)->Execute(repeat);
  EXPECT_EQ(refused.status().code(), StatusCode::kAlreadyExists) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("already in the chain"), std::string::npos) << refused.status().ToString();
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
