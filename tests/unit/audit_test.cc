// The audit replays a chain from genesis and must catch every kind of tampering, one at
// a time: a block, a receipt, a certificate, a state record.
#include <functional>
#include <sstream>

#include <gtest/gtest.h>

#include "crypto/domain.h"
#include "ledger/audit.h"
#include "ledger/genesis.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "node/base_audit.h"
#include "node/certificate_check.h"
#include "tests/support/forgery.h"
#include "tests/support/state_records.h"
#include "tests/support/test_chain.h"
#include "tests/unit/tampering.h"

namespace cairn::ledger {
namespace {

// Audits `store` (a node's data) as `cairn audit --data` does.
Result<AuditReport> AuditStore(const test::TestChain& chain, const MemoryStore& store,
                               crypto::SignatureVerifier& verifier) {
  StoreAuditSource source(store);
  auto check = node::MakeCertificateCheck(chain.chain_id(), BuildGenesisState(chain.genesis()).block_hash, verifier);
  return AuditChain(chain.genesis(), source, check, &store);
}

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = std::make_unique<MemoryStore>();
    store_ = store.get();
    ledger_ = Ledger::Open(std::move(store), chain_.genesis()).value();
    for (uint64_t nonce = 1; nonce <= 5; ++nonce) {
      google::protobuf::RepeatedPtrField<v1::Transaction> txs;
      *txs.Add() = chain_.Transfer(chain_.user(0), nonce, chain_.user(1), 10);
      *txs.Add() = chain_.Transfer(chain_.user(2), nonce, chain_.user(3), 5);
      ASSERT_TRUE(chain_.CommitBlock(*ledger_, txs).ok());
    }
  }
  Result<AuditReport> Audit() { return AuditStore(chain_, *store_, verifier_); }
  // Asserts that the audit fails at `height` naming `check`.
  void ExpectCaught(uint64_t height, const std::string& check) {
    auto report = Audit();
    ASSERT_FALSE(report.ok()) << "tampering with " << check << " went unnoticed";
    EXPECT_EQ(report.status().code(), StatusCode::kCorruption);
    const std::string want = "height " + std::to_string(height) + ": " + check;
    EXPECT_NE(report.status().message().find(want), std::string::npos) << report.status().ToString();
  }
  template <typename T>
  T Read(const Bytes& key) {
    T record;
    record.ParseFromString(store_->Get(key).value().value());
    return record;
  }

  test::TestChain chain_;
  crypto::DirectVerifier verifier_;
  MemoryStore* store_ = nullptr;
  std::unique_ptr<Ledger> ledger_;
};

TEST_F(AuditTest, AnUntouchedChainPasses) {
  auto report = Audit();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->blocks, 5u);
  EXPECT_EQ(report->transactions, 10u);
}

TEST_F(AuditTest, CatchesATamperedBlock) {
  auto block = Read<v1::Block>(keys::Block(3));
  // A different transaction in place of the first (validly signed, even): the header's
  // transactions root no longer matches.
  *block.mutable_transactions(0) = chain_.Transfer(chain_.user(0), 3, chain_.user(1), 999);
  store_->TEST_Put(keys::Block(3), block.SerializeAsString());
  ExpectCaught(3, "execution");
}

TEST_F(AuditTest, CatchesATamperedHeader) {
  auto block = Read<v1::Block>(keys::Block(2));
  v1::BlockHeader header;
  header.ParseFromString(block.header());
  header.set_timestamp_ms(header.timestamp_ms() + 1);
  block.set_header(header.SerializeAsString());
  store_->TEST_Put(keys::Block(2), block.SerializeAsString());
  ExpectCaught(2, "certificate");  // the certificate names the real block
}

TEST_F(AuditTest, CatchesATamperedReceipt) {
  auto receipt = Read<v1::Receipt>(keys::Receipt(2, 1));
  receipt.set_result(v1::TX_INSUFFICIENT_FUNDS);
  store_->TEST_Put(keys::Receipt(2, 1), receipt.SerializeAsString());
  ExpectCaught(2, "receipt 1");
}

TEST_F(AuditTest, CatchesATamperedCertificate) {
  auto qc = Read<v1::QuorumCertificate>(keys::Certificate(4));
  qc.mutable_signatures(1)->mutable_signature()->at(5) ^= 0x20;
  store_->TEST_Put(keys::Certificate(4), qc.SerializeAsString());
  ExpectCaught(4, "certificate");
}

TEST_F(AuditTest, CatchesACertificateWithTooFewSigners) {
  auto qc = Read<v1::QuorumCertificate>(keys::Certificate(1));
  qc.mutable_signatures()->RemoveLast();
  store_->TEST_Put(keys::Certificate(1), qc.SerializeAsString());
  ExpectCaught(1, "certificate");
}

TEST_F(AuditTest, CatchesATamperedAccountInTheStateTree) {
  const Bytes leaf_key = test::NewestAccountLeafKey(*store_, test::TestChain::AddressOf(chain_.user(1)));
  ASSERT_FALSE(leaf_key.empty());
  const Bytes leaf = store_->Get(leaf_key).value().value();
  v1::Account account;
  ASSERT_TRUE(account.ParseFromString(leaf.substr(33)));
  account.mutable_balances(0)->set_amount(account.balances(0).amount() + 1'000'000);
  store_->TEST_Put(leaf_key, leaf.substr(0, 33) + account.SerializeAsString());
  ExpectCaught(5, "state tree");
}

TEST_F(AuditTest, CatchesAStateRootRecordThatNamesAnotherRoot) {
  auto root = Read<v1::StateTreeRoot>(keys::StateRoot(2));
  root.mutable_hash()->at(0) ^= 1;
  store_->TEST_Put(keys::StateRoot(2), root.SerializeAsString());
  ExpectCaught(2, "state tree root record");
}

// A block whose header and certificate are untouched but which carries a forgery (a
// signature a lax verifier accepts): the audit's replay refuses it, with the reason.
TEST_F(AuditTest, CatchesAForgedSignatureInABlock) {
  const auto original = Read<v1::Block>(keys::Block(3));
  auto small_r = original;
  *small_r.mutable_transactions(0) =
      test::WithSmallOrderR(original.transactions(0), test::SeedFromLabel("user-0"), chain_.chain_id());
  store_->TEST_Put(keys::Block(3), small_r.SerializeAsString());
  ExpectCaught(3, "execution");
  EXPECT_NE(Audit().status().message().find("signature does not verify"), std::string::npos);

  auto forged = original;
  *forged.add_transactions() = test::ForgedTransfer(chain_.chain_id(), test::TestChain::AddressOf(chain_.user(1)), 5);
  store_->TEST_Put(keys::Block(3), forged.SerializeAsString());
  ExpectCaught(3, "execution");
  EXPECT_NE(Audit().status().message().find("small order"), std::string::npos);
}

TEST_F(AuditTest, EveryByteOfEveryRecordIsCovered) {
  ASSERT_TRUE(Audit().ok());
  int tries = 0;
  EXPECT_EQ(UnnoticedTampering(*store_, [&] { return !Audit().ok(); }, &tries), "");
  EXPECT_GT(tries, 1000);
  ASSERT_TRUE(Audit().ok()) << "the store was not put back";
}

// A ledger that prunes old state versions (and keeps every block) lacks the records only
// those versions read: the audit allows exactly those, and still covers every byte.
TEST_F(AuditTest, ALedgerThatPrunedOldStateVersionsPassesAndStaysCovered) {
  ASSERT_EQ(ledger_->PruneStateVersions(4, 10).value(), 4u);
  ASSERT_FALSE(store_->Get(keys::StateRoot(2)).value().has_value());
  auto report = Audit();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  int tries = 0;
  EXPECT_EQ(UnnoticedTampering(*store_, [&] { return !Audit().ok(); }, &tries), "");
}

// A chain across three set changes: validator-4 joins (epoch 1), validator-0 leaves
// (epoch 2), validator-1 rotates its key (epoch 3). The audit learns each set by
// re-execution, from genesis alone.
class AuditAcrossEpochsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = std::make_unique<MemoryStore>();
    store_ = store.get();
    ledger_ = Ledger::Open(std::move(store), chain_.genesis()).value();
    v1::ValidatorChange add;
    add.set_kind(v1::ValidatorChange::KIND_ADD);
    add.mutable_validator()->set_name("validator-4");
    add.mutable_validator()->set_public_key(Bytes(chain_.spare_validator(0).public_key().bytes()));
    add.mutable_validator()->set_address("127.0.0.1:26100");
    v1::ValidatorChange remove;
    remove.set_kind(v1::ValidatorChange::KIND_REMOVE);
    remove.mutable_validator()->set_name("validator-0");
    std::vector<v1::TxBody> operations(3);
    *operations[0].mutable_propose_validator_change()->mutable_change() = add;
    *operations[1].mutable_propose_validator_change()->mutable_change() = remove;
    operations[2] = chain_.KeyRotation("validator-1", chain_.validator(1), chain_.spare_validator(1), 2);
    uint64_t nonce = 0;
    for (const v1::TxBody& body : operations) {
      Txs txs;
      *txs.Add() = chain_.Sign(chain_.admin(), ++nonce, body);
      *txs.Add() = chain_.Transfer(chain_.user(0), nonce, chain_.user(1), 10);
      ASSERT_TRUE(chain_.CommitBlock(*ledger_, txs).ok());
      ASSERT_TRUE(chain_.CommitEmptyBlocksTo(*ledger_, 3).ok());
    }
    ASSERT_EQ(ledger_->Governance().epoch(), 3u);
    ASSERT_EQ(ledger_->ValidatorSet(3)->validators(0).public_key(), operations[2].rotate_validator_key().new_public_key());
    Txs last;
    *last.Add() = chain_.Transfer(chain_.user(2), 1, chain_.user(3), 10);
    ASSERT_TRUE(chain_.CommitBlock(*ledger_, last).ok());
  }
  using Txs = google::protobuf::RepeatedPtrField<v1::Transaction>;
  v1::QuorumCertificate ReadQc(const Bytes& key) {
    v1::QuorumCertificate qc;
    qc.ParseFromString(store_->Get(key).value().value());
    return qc;
  }
  Result<AuditReport> Audit() { return AuditStore(chain_, *store_, verifier_); }
  // Block `height`'s certificate re-signed by the first three members of an earlier
  // epoch's set: the audit must refuse it.
  void ExpectRefusedWhenSignedByTheSetOf(uint64_t height, uint64_t earlier_epoch) {
    const v1::QuorumCertificate qc = ReadQc(keys::Certificate(height));
    const v1::ValidatorSet earlier = ledger_->ValidatorSet(earlier_epoch).value();
    store_->TEST_Put(keys::Certificate(height), chain_.SignStatement(qc, earlier, {0, 1, 2}).SerializeAsString());
    auto report = Audit();
    ASSERT_FALSE(report.ok());
    const std::string where = "height " + std::to_string(height) + ": certificate";
    EXPECT_NE(report.status().message().find(where), std::string::npos) << report.status().ToString();
  }

  test::TestChain chain_{{.admin_threshold = 1, .epoch_length = 3, .commit_closed_proposals = true}};
  crypto::DirectVerifier verifier_;
  MemoryStore* store_ = nullptr;
  std::unique_ptr<Ledger> ledger_;
};

TEST_F(AuditAcrossEpochsTest, AChainAcrossSetChangesPasses) {
  auto report = Audit();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->blocks, 10u);
  EXPECT_EQ(report->epochs, 4u);
  EXPECT_EQ(ledger_->GetBlock(10)->header.epoch(), 3u);
}

// With validator sets, epoch roots, governance records, proposals and finality proofs.
TEST_F(AuditAcrossEpochsTest, EveryByteOfEveryRecordIsCovered) {
  ASSERT_TRUE(Audit().ok());
  int tries = 0;
  EXPECT_EQ(UnnoticedTampering(*store_, [&] { return !Audit().ok(); }, &tries), "");
  EXPECT_GT(tries, 1000);
}

TEST_F(AuditAcrossEpochsTest, ACertificateSignedByARemovedValidatorFails) {
  // Block 7 is of epoch 2, whose set no longer has validator-0: a certificate with its
  // signature in the place of the set's first member is refused.
  ExpectRefusedWhenSignedByTheSetOf(7, 1);
}

TEST_F(AuditAcrossEpochsTest, ACertificateSignedWithARotatedAwayKeyFails) {
  // Block 10 is of epoch 3, after validator-1's rotation: its signature with the key it
  // had in epoch 2 (same place in the set) is refused.
  ExpectRefusedWhenSignedByTheSetOf(10, 2);
}

TEST_F(AuditAcrossEpochsTest, TheLastBlockOfAnEpochNeedsItsFinalityCertificate) {
  store_->TEST_Put(keys::Finality(3), ReadQc(keys::Certificate(3)).SerializeAsString());  // names block 2, not 3
  auto report = Audit();
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("height 3: end of epoch 0"), std::string::npos) << report.status().ToString();
}

// The governance state an epoch starts with is what state sync and light clients are
// given to learn the next set: a stored one that differs from re-execution is caught.
TEST_F(AuditAcrossEpochsTest, CatchesATamperedEpochGovernanceRecord) {
  v1::GovernanceState governance;
  ASSERT_TRUE(governance.ParseFromString(store_->Get(keys::EpochGovernance(2)).value().value()));
  governance.mutable_validators()->mutable_validators(0)->set_address("203.0.113.9:26000");
  store_->TEST_Put(keys::EpochGovernance(2), governance.SerializeAsString());
  auto report = Audit();
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("governance of epoch 2"), std::string::npos) << report.status().ToString();
}

// A ledger that prunes (node/pruned_audit.h): the chain across three set changes, three
// blocks of transfers more, and the bodies below block 12 pruned. It passes from the
// genesis file alone; a byte changed in a pruned block's header or certificate, in a
// retained body or receipt, or in the state at the head fails naming the part.
class PrunedAuditTest : public AuditAcrossEpochsTest {
 protected:
  void SetUp() override {
    AuditAcrossEpochsTest::SetUp();
    for (uint64_t nonce = 2; nonce <= 4; ++nonce) {
      Txs txs;
      *txs.Add() = chain_.Transfer(chain_.user(2), nonce, chain_.user(3), 10);
      *txs.Add() = chain_.Transfer(chain_.user(4), nonce - 1, chain_.user(5), 7);
      ASSERT_TRUE(chain_.CommitBlock(*ledger_, txs, /*with_finality=*/nonce == 4).ok());
    }
    ASSERT_EQ(ledger_->height(), 13u);
    ASSERT_GT(ledger_->PruneBlocks(11, 100).value(), 0u);
  }
  void ExpectPrunedAuditFails(const std::string& want) {
    auto report = node::AuditDataDirectory(chain_.genesis(), *store_);
    ASSERT_FALSE(report.ok()) << "the tampered ledger passed the audit";
    EXPECT_EQ(report.status().code(), StatusCode::kCorruption) << report.status().ToString();
    EXPECT_NE(report.status().message().find(want), std::string::npos) << report.status().ToString();
  }
};

// Every byte is covered here too (node/pruned_records_check.h, tree_versions_check.h),
// the closed proposals by the digest the head's governance state commits to; a finality
// record may go (the node proves the block by a later certificate; without the head's
// the report says the head is not proven final). Before those checks, 2,600 of these
// 4,525 changes went unnoticed (1,882 of them in state tree nodes), and before the
// digest, the 99 to closed proposals.
TEST_F(PrunedAuditTest, EveryByteIsCovered) {
  ASSERT_EQ(node::AuditDataDirectory(chain_.genesis(), *store_)->unproven_closed_proposals, 0u);
  int tries = 0;
  const std::string unnoticed = UnnoticedTampering(
      *store_, [&] { return !node::AuditDataDirectory(chain_.genesis(), *store_).ok(); }, &tries);
  std::string left;
  std::istringstream lines(unnoticed);
  for (std::string line; std::getline(lines, line);) {
    const bool finality_deleted = line.starts_with("record " + ToHex(keys::Finality(0).substr(0, 1))) &&
                                  line.ends_with(" deleted");
    if (!finality_deleted) left += line + "\n";
  }
  EXPECT_EQ(left, "");
  EXPECT_GT(tries, 4000);
  // Without the head's finality record the report says the head is not proven final.
  const Bytes head_finality = store_->Get(keys::Finality(13)).value().value();
  ledger::WriteBatch remove;
  remove.Delete(keys::Finality(13));
  ASSERT_TRUE(store_->Write(remove, Durability::kNoSync).ok());
  EXPECT_FALSE(node::AuditDataDirectory(chain_.genesis(), *store_).value().head_proven_final);
  store_->TEST_Put(keys::Finality(13), head_finality);
  ASSERT_TRUE(node::AuditDataDirectory(chain_.genesis(), *store_).ok()) << "the store was not put back";
}

// The three proposals closed (applied) at blocks 3, 6 and 9: each record is proven by the
// fold to the head's digest, so a changed, removed or added one fails, named.
TEST_F(PrunedAuditTest, ClosedProposalsAreProvenByTheGovernanceDigest) {
  v1::ChangeProposal applied;
  ASSERT_TRUE(applied.ParseFromString(store_->Get(keys::Proposal(2)).value().value()));
  EXPECT_EQ(applied.closed_height(), 6u);
  const Bytes original = applied.SerializeAsString();
  applied.set_applied_epoch(applied.applied_epoch() + 1);
  store_->TEST_Put(keys::Proposal(2), applied.SerializeAsString());
  ExpectPrunedAuditFails("height 13: closed proposals: the 3 proposal records do not fold");
  ledger::WriteBatch remove;
  remove.Delete(keys::Proposal(2));
  ASSERT_TRUE(store_->Write(remove, Durability::kNoSync).ok());
  ExpectPrunedAuditFails("height 13: closed proposals: the 2 proposal records do not fold");
  store_->TEST_Put(keys::Proposal(2), original);
  v1::ChangeProposal forged = applied;
  forged.set_id(4);
  forged.set_closed_height(12);
  store_->TEST_Put(keys::Proposal(4), forged.SerializeAsString());
  ExpectPrunedAuditFails("height 13: closed proposals: the 4 proposal records do not fold");
  forged.set_closed_height(14);  // closed by a block the node does not have
  store_->TEST_Put(keys::Proposal(4), forged.SerializeAsString());
  ExpectPrunedAuditFails("height 13: closed proposal 4: it names a closing block");
}

// A chain whose genesis predates the digest (commit_closed_proposals false): its pruning
// nodes cannot prove their closed proposals, and the report counts them as not checked.
TEST(LegacyPrunedAuditTest, ClosedProposalsAreReportedNotChecked) {
  test::TestChain chain({.admin_threshold = 1, .epoch_length = 3});
  auto owned = std::make_unique<MemoryStore>();
  MemoryStore* store = owned.get();
  auto ledger = Ledger::Open(std::move(owned), chain.genesis()).value();
  v1::TxBody body;
  v1::ValidatorChange* add = body.mutable_propose_validator_change()->mutable_change();
  add->set_kind(v1::ValidatorChange::KIND_ADD);
  add->mutable_validator()->set_name("validator-4");
  add->mutable_validator()->set_public_key(Bytes(chain.spare_validator(0).public_key().bytes()));
  add->mutable_validator()->set_address("127.0.0.1:26100");
  google::protobuf::RepeatedPtrField<v1::Transaction> txs;
  *txs.Add() = chain.Sign(chain.admin(), 1, body);
  ASSERT_TRUE(chain.CommitBlock(*ledger, txs).ok());
  ASSERT_TRUE(chain.CommitEmptyBlocksTo(*ledger, 6).ok());
  ASSERT_TRUE(chain.CommitBlock(*ledger, {}, /*with_finality=*/true).ok());
  ASSERT_EQ(ledger->epoch(), 1u);
  EXPECT_TRUE(ledger->Governance().closed_digest().empty());
  ASSERT_GT(ledger->PruneBlocks(6, 100).value(), 0u);
  auto report = node::AuditDataDirectory(chain.genesis(), *store);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->unproven_closed_proposals, 1u);
}

// A failed transaction names an account the executor does not record it under (no
// history entry there): the pruned audit expects exactly that.
TEST_F(PrunedAuditTest, AFailedTransactionInTheRetainedRangePasses) {
  Txs txs;
  *txs.Add() = chain_.Transfer(chain_.user(2), 5, crypto::PrivateKey::Generate(), 1);  // no such account
  ASSERT_TRUE(chain_.CommitBlock(*ledger_, txs, /*with_finality=*/true).ok());
  v1::Receipt receipt;
  ASSERT_TRUE(receipt.ParseFromString(store_->Get(keys::Receipt(14, 0)).value().value()));
  ASSERT_NE(receipt.result(), v1::TX_OK);
  auto report = node::AuditDataDirectory(chain_.genesis(), *store_);
  EXPECT_TRUE(report.ok()) << report.status().ToString();
}

TEST_F(PrunedAuditTest, APrunedLedgerPassesHeaderByHeaderAndBodyByBodyFromItsRetainedRange) {
  ASSERT_EQ(ledger_->GetBlock(5).status().code(), StatusCode::kFailedPrecondition) << "block 5 should be pruned";
  auto report = node::AuditDataDirectory(chain_.genesis(), *store_);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->retained_from, 11u);
  EXPECT_EQ(report->blocks, 13u);
  EXPECT_EQ(report->epochs, 4u);
  EXPECT_TRUE(report->head_proven_final);
  EXPECT_EQ(report->state_accounts, ledger_->account_count());
  EXPECT_EQ(report->transactions, 6u) << "the retained range's (the epochs' last blocks, whose bodies are kept, are empty)";
}

TEST_F(PrunedAuditTest, CatchesAPrunedBlocksCertificateSignedByAnEarlierSet) {
  // Block 7 is of epoch 2 and pruned: only its header and certificate are left.
  store_->TEST_Put(keys::Certificate(7), chain_.SignStatement(ReadQc(keys::Certificate(7)), ledger_->ValidatorSet(1).value(),
                                                               {0, 1, 2}).SerializeAsString());
  ExpectPrunedAuditFails("height 7: certificate");
}

TEST_F(PrunedAuditTest, CatchesAPrunedBlocksChangedHeader) {
  v1::Block block;
  ASSERT_TRUE(block.ParseFromString(store_->Get(keys::Block(5)).value().value()));
  v1::BlockHeader header;
  ASSERT_TRUE(header.ParseFromString(block.header()));
  header.set_timestamp_ms(header.timestamp_ms() + 1);
  block.set_header(header.SerializeAsString());
  store_->TEST_Put(keys::Block(5), block.SerializeAsString());
  ExpectPrunedAuditFails("height 5: certificate: it is not for this block");
}

// Pruning keeps a pruned block's parent certificate without its signatures: what is
// left must still be the statement the parent's own certificate makes; and a retained
// block's must keep its signatures.
TEST_F(PrunedAuditTest, CatchesAPrunedBlocksParentCertificateOfAnotherRound) {
  v1::Block block;
  ASSERT_TRUE(block.ParseFromString(store_->Get(keys::Block(5)).value().value()));
  ASSERT_EQ(block.parent_qc().signatures_size(), 0) << "pruning should have dropped them";
  block.mutable_parent_qc()->set_round(block.parent_qc().round() + 1);
  store_->TEST_Put(keys::Block(5), block.SerializeAsString());
  ExpectPrunedAuditFails("height 5: parent certificate");
}

TEST_F(PrunedAuditTest, CatchesARetainedBlocksParentCertificateWithoutSignatures) {
  v1::Block block;
  ASSERT_TRUE(block.ParseFromString(store_->Get(keys::Block(12)).value().value()));
  ASSERT_GT(block.parent_qc().signatures_size(), 0);
  block.mutable_parent_qc()->clear_signatures();
  store_->TEST_Put(keys::Block(12), block.SerializeAsString());
  ExpectPrunedAuditFails("height 12: parent certificate");
}

TEST_F(PrunedAuditTest, CatchesAChangedRetainedReceipt) {
  v1::Receipt receipt;
  ASSERT_TRUE(receipt.ParseFromString(store_->Get(keys::Receipt(12, 1)).value().value()));
  receipt.set_message("tampered");
  store_->TEST_Put(keys::Receipt(12, 1), receipt.SerializeAsString());
  ExpectPrunedAuditFails("height 12: receipts");
}

TEST_F(PrunedAuditTest, CatchesAChangedRetainedBody) {
  v1::Block block;
  ASSERT_TRUE(block.ParseFromString(store_->Get(keys::Block(13)).value().value()));
  block.mutable_transactions(0)->set_signature(block.transactions(1).signature());
  store_->TEST_Put(keys::Block(13), block.SerializeAsString());
  ExpectPrunedAuditFails("height 13: body");
}

TEST_F(PrunedAuditTest, CatchesAChangedLeafOfTheStateAtTheHead) {
  const Bytes leaf = test::NewestAccountLeafKey(*store_, test::TestChain::AddressOf(chain_.user(3)));
  ASSERT_FALSE(leaf.empty());
  Bytes bytes = store_->Get(leaf).value().value();
  bytes.back() ^= 1;
  store_->TEST_Put(leaf, bytes);
  ExpectPrunedAuditFails("height 13: the state at the head");
}

}  // namespace
}  // namespace cairn::ledger
