// The audit of a ledger that joined by state sync (node/base_audit.h): what a join
// installed, and the blocks it committed after, pass from the genesis file alone; a
// byte changed in any part the node holds (the state at the base, the governance state
// after it, an epoch change, a block below the base, a record after it) fails the audit
// naming that part; so does a joined ledger that also prunes, audited header by header.
#include <sstream>

#include <gtest/gtest.h>

#include "ledger/keys.h"
#include "ledger/tree_node.h"
#include "node/archive.h"
#include "node/base_audit.h"
#include "tests/unit/state_join_fixture.h"
#include "tests/unit/tampering.h"
#include "tests/unit/temp_dir.h"

namespace cairn::node {
namespace {

class BaseAuditTest : public StateJoinTest {
 protected:
  // A ledger joined by state sync at the source's head, then fed the blocks the source
  // commits after: a second validator added (an epoch change) and a few transfers more.
  BaseAuditTest() {
    auto store = std::make_unique<ledger::MemoryStore>();
    store_ = store.get();
    auto report = Join(*store);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    base_ = source_->height();
    joined_ = ledger::Ledger::Open(std::move(store), chain_.genesis()).value();
    AddValidatorToSource(1, 2);
    for (int b = 0; b < 3; ++b) EXPECT_TRUE(chain_.CommitBlock(*source_, Transfers(12 + b)).ok());
    Follow();
  }

  void Follow() {
    for (uint64_t h = joined_->height() + 1; h <= source_->height(); ++h) {
      ledger::StoredBlock next = source_->GetBlock(h).value();
      auto executed = joined_->Execute(next.block);
      ASSERT_TRUE(executed.ok()) << executed.status().ToString();
      std::optional<v1::QuorumCertificate> finality;
      if (executed->ends_epoch()) finality = source_->FinalityProof(h).value();
      ASSERT_TRUE(joined_->Commit(*executed, *next.certificate, finality ? &*finality : nullptr).ok());
    }
  }

  // Rewrites the record at `key` (which must exist) by `change`.
  void Tamper(ByteView key, const std::function<void(Bytes&)>& change) {
    auto bytes = store_->Get(key).value();
    ASSERT_TRUE(bytes.has_value()) << "no record to tamper with";
    change(*bytes);
    ledger::WriteBatch batch;
    batch.Put(key, *bytes);
    ASSERT_TRUE(store_->Write(batch, ledger::Durability::kSync).ok());
  }

  // The keys under `prefix`, in order.
  std::vector<Bytes> KeysUnder(ByteView prefix) const {
    std::vector<Bytes> out;
    EXPECT_TRUE(store_->Scan(prefix, prefix, [&](ByteView key, ByteView) {
      out.emplace_back(key);
      return true;
    }).ok());
    return out;
  }

  void ExpectFailure(const std::string& check) {
    auto report = AuditDataDirectory(chain_.genesis(), *store_);
    ASSERT_FALSE(report.ok()) << "the tampered ledger passed the audit";
    EXPECT_EQ(report.status().code(), StatusCode::kCorruption) << report.status().ToString();
    EXPECT_NE(report.status().message().find(check), std::string::npos) << report.status().message();
  }

  ledger::MemoryStore* store_ = nullptr;  // owned by joined_
  std::unique_ptr<ledger::Ledger> joined_;
  uint64_t base_ = 0;
};

TEST_F(BaseAuditTest, ABaseLedgerPassesFromItsBaseThroughTheBlocksAfterIt) {
  ASSERT_EQ(joined_->epoch(), 2u) << "the blocks after the base should cross an epoch change";
  auto report = AuditDataDirectory(chain_.genesis(), *store_);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->base_height, base_);
  EXPECT_EQ(report->blocks, source_->height() - base_);
  EXPECT_EQ(report->transactions, 1u + 3u * 5u);
  EXPECT_EQ(report->base_accounts, source_->StateAt(base_)->size());
  EXPECT_EQ(report->epochs, joined_->epoch() + 1);
}

TEST_F(BaseAuditTest, AChangedLeafOfTheStateAtTheBaseFails) {
  // The restored tree is all of the base's version; any node of it is reachable.
  std::vector<Bytes> nodes = KeysUnder(ledger::tree::NodeKey(base_, {}).substr(0, 9));
  ASSERT_FALSE(nodes.empty());
  Tamper(nodes[nodes.size() / 2], [](Bytes& b) { b.back() ^= 1; });
  ExpectFailure("the state at the base");
}

TEST_F(BaseAuditTest, AChangedGovernanceStateAfterTheBaseFails) {
  Tamper(ledger::keys::kBaseGovernance, [](Bytes& b) {
    v1::GovernanceState state;
    ASSERT_TRUE(state.ParseFromString(b));
    state.set_next_proposal_id(state.next_proposal_id() + 1);
    b = state.SerializeAsString();
  });
  ExpectFailure("the base block: state sync target: the governance state is not the one the header commits to");
}

TEST_F(BaseAuditTest, AChangedEpochChangeFails) {
  Tamper(ledger::keys::EpochGovernance(1), [&](Bytes& b) {
    v1::GovernanceState state;
    ASSERT_TRUE(state.ParseFromString(b));
    state.mutable_validators()->mutable_validators(4)->set_public_key(Bytes(chain_.spare_validator(1).public_key().bytes()));
    b = state.SerializeAsString();
  });
  ExpectFailure("the change to epoch 1");
}

TEST_F(BaseAuditTest, AChangedStoredValidatorSetFails) {
  Tamper(ledger::keys::ValidatorSet(1), [&](Bytes& b) {
    v1::ValidatorSet set;
    ASSERT_TRUE(set.ParseFromString(b));
    set.mutable_validators(4)->set_public_key(Bytes(chain_.spare_validator(1).public_key().bytes()));
    b = set.SerializeAsString();
  });
  ExpectFailure("the stored validator set is not the one the change proves");
}

TEST_F(BaseAuditTest, AChangedBlockBelowTheBaseFails) {
  Tamper(ledger::keys::Block(base_ - 1), [&](Bytes& b) {
    v1::Block block;
    ASSERT_TRUE(block.ParseFromString(b));
    *block.mutable_transactions() = Transfers(40);
    b = block.SerializeAsString();
  });
  ExpectFailure("the blocks below the base");
}

TEST_F(BaseAuditTest, AReceiptChangedAfterTheBaseFails) {
  Tamper(ledger::keys::Receipt(base_ + 1, 0), [](Bytes& b) { b.back() ^= 1; });  // the validator change's
  ExpectFailure("receipt 0");
}

// A joined node that prunes is audited from its base, header by header: the epoch
// changes from genesis, the blocks it holds below the base, every header and
// certificate after it, the bodies from the mark on and the state at the head; the
// report says from where bodies are checked. A block held below the base, or a header
// after it, changed: each fails, naming the check.
TEST_F(BaseAuditTest, AJoinedLedgerThatPrunesPassesFromItsBaseHeaderByHeader) {
  const uint64_t mark = source_->height() - 1;
  ASSERT_GT(joined_->PruneBlocks(mark, 1000).value(), 0u);
  ASSERT_GT(joined_->PruneStateVersions(mark, 1000).value(), 0u);
  auto report = AuditDataDirectory(chain_.genesis(), *store_);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->base_height, base_);
  EXPECT_EQ(report->retained_from, mark);
  EXPECT_GT(report->blocks, source_->height() - base_) << "the blocks held below the base are checked too";
  EXPECT_EQ(report->state_accounts, source_->StateAt(source_->height())->size());
  EXPECT_EQ(report->epochs, joined_->epoch() + 1);

  Tamper(ledger::keys::Block(base_ + 1), [](Bytes& b) {
    v1::Block block;
    ASSERT_TRUE(block.ParseFromString(b));
    v1::BlockHeader header;
    ASSERT_TRUE(header.ParseFromString(block.header()));
    header.set_timestamp_ms(header.timestamp_ms() + 1);
    block.set_header(header.SerializeAsString());
    b = block.SerializeAsString();
  });
  ExpectFailure("height " + std::to_string(base_ + 1) + ": certificate");
}

// Every byte a joined node stores is covered (the replay from its base compares every
// record: ledger/audit.h CompareWholeStore). Before, 3,411 of 20,629 changes (32 places a
// record) went unnoticed (1,960 in state tree nodes, 1,023 in account history); 4 places a
// record here, to keep it short.
TEST_F(BaseAuditTest, EveryByteIsCovered) {
  int tries = 0;
  EXPECT_EQ(ledger::UnnoticedTampering(*store_, [&] { return !AuditDataDirectory(chain_.genesis(), *store_).ok(); }, &tries, 4), "");
  EXPECT_GT(tries, 2000);
}

// And of one that also prunes (node/pruned_records_check.h): a closed proposal added
// under its base fails the fold from the base's digest, as any change does.
TEST_F(BaseAuditTest, AJoinedLedgerThatPrunesIsCovered) {
  const uint64_t mark = source_->height() - 1;
  ASSERT_GT(joined_->PruneBlocks(mark, 1000).value(), 0u);
  ASSERT_GT(joined_->PruneStateVersions(mark, 1000).value(), 0u);
  int tries = 0;
  EXPECT_EQ(ledger::UnnoticedTampering(*store_, [&] { return !AuditDataDirectory(chain_.genesis(), *store_).ok(); }, &tries, 4), "");
  EXPECT_GT(tries, 2000);
}

TEST_F(BaseAuditTest, AJoinedLedgerThatPrunesFailsOnAChangedBlockBelowItsBase) {
  const uint64_t mark = source_->height() - 1;
  ASSERT_GT(joined_->PruneBlocks(mark, 1000).value(), 0u);
  Tamper(ledger::keys::Block(base_ - 1), [&](Bytes& b) {
    v1::Block block;
    ASSERT_TRUE(block.ParseFromString(b));
    *block.mutable_transactions() = Transfers(40);
    b = block.SerializeAsString();
  });
  ExpectFailure("height " + std::to_string(base_ - 1) + ": body");
}

// What a joined node holds exports from its base: the archive checks from the genesis
// file alone, header by header (it starts after genesis, so no replay).
TEST_F(BaseAuditTest, AJoinedLedgerExportsFromItsBase) {
  test::TempDir dir;
  const std::string path = dir.path() + "/joined.archive";
  ASSERT_EQ(joined_->retained_from(), base_);
  ASSERT_TRUE(ExportArchive(*joined_, base_, joined_->height(), path).ok());
  auto report = VerifyArchive(chain_.genesis(), path);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->from, base_);
  EXPECT_EQ(report->to, joined_->height());
}

}  // namespace
}  // namespace cairn::node
