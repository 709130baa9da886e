// Validator-set governance as the ledger executes it: proposals and admin votes, the
// change applied at an epoch boundary, and the rules of the blocks around the boundary.
#include <gtest/gtest.h>

#include "crypto/domain.h"
#include "ledger/genesis.h"
#include "ledger/governance.h"
#include "ledger/ledger.h"
#include "tests/support/test_chain.h"

namespace cairn::ledger {
namespace {

using Txs = google::protobuf::RepeatedPtrField<v1::Transaction>;

v1::ValidatorChange Add(const std::string& name, const crypto::PrivateKey& key, const std::string& address) {
  v1::ValidatorChange change;
  change.set_kind(v1::ValidatorChange::KIND_ADD);
  change.mutable_validator()->set_name(name);
  change.mutable_validator()->set_public_key(Bytes(key.public_key().bytes()));
  change.mutable_validator()->set_address(address);
  return change;
}

v1::ValidatorChange Remove(const std::string& name) {
  v1::ValidatorChange change;
  change.set_kind(v1::ValidatorChange::KIND_REMOVE);
  change.mutable_validator()->set_name(name);
  return change;
}

class GovernanceTest : public ::testing::Test {
 protected:
  explicit GovernanceTest(uint32_t threshold = 2, uint64_t proposal_lifetime_s = 0)
      : chain_({.admin_threshold = threshold, .epoch_length = 4, .proposal_lifetime_s = proposal_lifetime_s}),
        second_admin_(test::KeyFromLabel("admin-2")) {
    ledger_ = Ledger::Open(std::make_unique<MemoryStore>(), chain_.genesis()).value();
    // A second admin, so that a threshold of two can be met.
    v1::TxBody body;
    body.mutable_create_account()->set_public_key(Bytes(second_admin_.public_key().bytes()));
    body.mutable_create_account()->set_role(v1::ROLE_ADMIN);
    Commit({chain_.Sign(chain_.admin(), NextNonce(chain_.admin()), body)});
  }

  uint64_t NextNonce(const crypto::PrivateKey& key) { return ++nonces_[key.public_key().hex()]; }
  v1::Transaction Propose(const crypto::PrivateKey& admin, v1::ValidatorChange change) {
    v1::TxBody body;
    *body.mutable_propose_validator_change()->mutable_change() = std::move(change);
    return chain_.Sign(admin, NextNonce(admin), body);
  }
  v1::Transaction Vote(const crypto::PrivateKey& admin, uint64_t id, bool approve) {
    v1::TxBody body;
    body.mutable_vote_validator_change()->set_proposal_id(id);
    body.mutable_vote_validator_change()->set_approve(approve);
    return chain_.Sign(admin, NextNonce(admin), body);
  }
  void Commit(std::vector<v1::Transaction> txs) {
    Txs block(txs.begin(), txs.end());
    ASSERT_TRUE(chain_.CommitBlock(*ledger_, block).ok());
  }
  v1::Receipt LastReceipt() {
    auto head = ledger_->GetBlock(ledger_->height()).value();
    const v1::Transaction& tx = head.block.transactions(head.block.transactions_size() - 1);
    return ledger_->GetTransaction(crypto::TxHash(chain_.chain_id(), tx.public_key(), tx.signature(), tx.body()))
        .value()
        .receipt;
  }

  test::TestChain chain_;
  crypto::PrivateKey second_admin_;
  std::map<std::string, uint64_t> nonces_;
  std::unique_ptr<Ledger> ledger_;
};

TEST_F(GovernanceTest, AChangeTakesEffectAtTheBoundaryAfterTheThresholdOfAdminsApproves) {
  Commit({Propose(chain_.admin(), Add("validator-4", chain_.spare_validator(0), "127.0.0.1:26100"))});
  ASSERT_EQ(LastReceipt().result(), v1::TX_OK) << LastReceipt().message();
  EXPECT_EQ(ledger_->Proposal(1)->status(), v1::PROPOSAL_PENDING);  // one approval of two

  // At a boundary, a pending proposal changes nothing.
  ASSERT_TRUE(chain_.CommitEmptyBlocksTo(*ledger_, 4).ok());
  EXPECT_EQ(ledger_->Governance().epoch(), 0u);

  Commit({Vote(second_admin_, 1, true)});
  ASSERT_EQ(LastReceipt().result(), v1::TX_OK) << LastReceipt().message();
  EXPECT_EQ(ledger_->Proposal(1)->status(), v1::PROPOSAL_APPROVED);
  EXPECT_EQ(ledger_->Governance().epoch(), 0u);  // not before the boundary

  ASSERT_TRUE(chain_.CommitEmptyBlocksTo(*ledger_, 4).ok());
  const uint64_t boundary = ledger_->height();
  EXPECT_EQ(boundary, 8u);
  const v1::GovernanceState governance = ledger_->Governance();
  EXPECT_EQ(governance.epoch(), 1u);
  ASSERT_EQ(governance.validators().validators_size(), 5);
  EXPECT_EQ(governance.validators().validators(4).name(), "validator-4");
  EXPECT_EQ(governance.open_size(), 0);
  EXPECT_EQ(ledger_->ValidatorSet(1)->validators_size(), 5);
  EXPECT_EQ(ledger_->RootOfEpoch(1)->height, boundary);
  EXPECT_EQ(ledger_->GetBlock(boundary)->header.epoch(), 0u);  // the last block of epoch 0
  // The change as a node that joins later is given it: the last block of epoch 0, the
  // certificate proving it final, and the governance state its header commits to.
  auto change = ledger_->EpochChangeTo(1);
  ASSERT_TRUE(change.ok()) << change.status().message();
  EXPECT_EQ(change->last_block.header.height(), boundary);
  EXPECT_EQ(change->finality.commit_hash(), ToBytes(change->last_block.hash));
  EXPECT_EQ(change->finality.epoch(), 0u);
  EXPECT_EQ(change->governance.SerializeAsString(), governance.SerializeAsString());
  EXPECT_EQ(change->last_block.header.governance_hash(), ToBytes(GovernanceHash(chain_.chain_id(), change->governance)));
  EXPECT_EQ(ledger_->EpochChangeTo(2).status().code(), StatusCode::kNotFound);
  auto applied = ledger_->Proposal(1);
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(applied->status(), v1::PROPOSAL_APPLIED);
  EXPECT_EQ(applied->applied_epoch(), 1u);
  EXPECT_EQ(applied->approvals_size(), 2);

  // The next block is of epoch 1, in its round 1, certified by the five.
  Commit({chain_.Transfer(chain_.user(0), 1, chain_.user(1), 5)});
  auto first = ledger_->GetBlock(boundary + 1).value();
  EXPECT_EQ(first.header.epoch(), 1u);
  EXPECT_EQ(first.header.round(), 1u);
  EXPECT_EQ(first.certificate->signatures_size(), 4);  // quorum of 5
}

TEST_F(GovernanceTest, RejectionsCloseAProposalAndVotesAreCheckedAgainstTheState) {
  Commit({Propose(chain_.admin(), Remove("validator-3"))});
  Commit({Vote(chain_.admin(), 1, true)});
  EXPECT_EQ(LastReceipt().result(), v1::TX_INVALID_GOVERNANCE);  // voted already (as proposer)
  Commit({Vote(chain_.user(0), 1, false)});
  EXPECT_EQ(LastReceipt().result(), v1::TX_PERMISSION_DENIED);
  Commit({Vote(second_admin_, 7, true)});
  EXPECT_EQ(LastReceipt().result(), v1::TX_INVALID_GOVERNANCE);  // no such proposal
  Commit({Propose(chain_.user(0), Remove("validator-2"))});
  EXPECT_EQ(LastReceipt().result(), v1::TX_PERMISSION_DENIED);

  // Threshold 2: the proposer's approval, then two rejections close it.
  Commit({Vote(second_admin_, 1, false)});
  EXPECT_EQ(ledger_->Proposal(1)->status(), v1::PROPOSAL_PENDING);
  auto third = test::KeyFromLabel("admin-3");
  v1::TxBody body;
  body.mutable_create_account()->set_public_key(Bytes(third.public_key().bytes()));
  body.mutable_create_account()->set_role(v1::ROLE_ADMIN);
  Commit({chain_.Sign(chain_.admin(), NextNonce(chain_.admin()), body)});
  Commit({Vote(third, 1, false)});
  EXPECT_EQ(ledger_->Proposal(1)->status(), v1::PROPOSAL_REJECTED);
  EXPECT_EQ(ledger_->Governance().open_size(), 0);
  ASSERT_TRUE(chain_.CommitEmptyBlocksTo(*ledger_, 4).ok());
  EXPECT_EQ(ledger_->Governance().epoch(), 0u);
}

TEST_F(GovernanceTest, AChangeThatDoesNotFitTheSetIsRefusedWithAReason) {
  Commit({Propose(chain_.admin(), Add("validator-0", chain_.spare_validator(0), "127.0.0.1:26100"))});
  EXPECT_EQ(LastReceipt().result(), v1::TX_INVALID_GOVERNANCE);
  EXPECT_NE(LastReceipt().message().find("a validator is named validator-0"), std::string::npos);
  Commit({Propose(chain_.admin(), Add("new", chain_.validator(1), "127.0.0.1:26100"))});
  EXPECT_NE(LastReceipt().message().find("validator-1 has that key"), std::string::npos) << LastReceipt().message();
  Commit({Propose(chain_.admin(), Remove("nobody"))});
  EXPECT_NE(LastReceipt().message().find("no validator is named nobody"), std::string::npos);
  EXPECT_EQ(ledger_->Governance().open_size(), 0);

  // Malformed changes never enter a block.
  v1::TxBody body;
  body.mutable_propose_validator_change()->mutable_change()->set_kind(v1::ValidatorChange::KIND_ADD);
  body.mutable_propose_validator_change()->mutable_change()->mutable_validator()->set_name("x");
  auto checked = CheckTransaction(chain_.Sign(chain_.admin(), 99, body), chain_.chain_id());
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.status().message().find("needs its key and address"), std::string::npos);
}

// The rules alone, without a ledger: a genesis state of validators with these names.
v1::GovernanceState StateOf(std::initializer_list<const char*> names) {
  v1::ValidatorSet set;
  for (const char* name : names) {
    auto* v = set.add_validators();
    v->set_name(name);
    v->set_public_key(Bytes(32, name[0]));
    v->set_address(std::string(name) + ":1");
  }
  return GenesisGovernance(v1::Genesis(), set);
}

v1::Account AnAdmin() {
  v1::Account admin;
  admin.set_address(Bytes(20, 'A'));
  admin.set_role(v1::ROLE_ADMIN);
  return admin;
}

TEST(GovernanceRules, ChangesApplyInOrderAndOneThatNoLongerFitsFails) {
  v1::GovernanceState state = StateOf({"a", "b"});
  GovernanceRules rules{.admin_threshold = 1, .epoch_length = 10};
  const v1::Account admin = AnAdmin();
  v1::ProposeValidatorChange remove_a, remove_b;
  *remove_a.mutable_change() = Remove("a");
  *remove_b.mutable_change() = Remove("b");
  EXPECT_EQ(ApplyPropose(state, admin, remove_a, {.height = 1}, rules).result, v1::TX_OK);
  // With "a" on its way out, removing "b" too would leave nobody: refused now.
  EXPECT_EQ(ApplyPropose(state, admin, remove_b, {.height = 1}, rules).result, v1::TX_INVALID_GOVERNANCE);
  std::vector<v1::ChangeProposal> closed;
  EXPECT_FALSE(EndBlock(state, {.height = 9}, rules, closed));  // not a boundary
  EXPECT_TRUE(EndBlock(state, {.height = 10}, rules, closed));
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].status(), v1::PROPOSAL_APPLIED);
  EXPECT_EQ(state.epoch(), 1u);
  EXPECT_EQ(state.validators().epoch(), 1u);
  ASSERT_EQ(state.validators().validators_size(), 1);
  EXPECT_EQ(state.validators().validators(0).name(), "b");
}

class GovernanceWithAShortLifetime : public GovernanceTest {
 protected:
  GovernanceWithAShortLifetime() : GovernanceTest(2, /*proposal_lifetime_s=*/3) {}
};

TEST_F(GovernanceWithAShortLifetime, AnExpiredProposalIsClosedOnChainAndFreesItsSlot) {
  Commit({Propose(chain_.admin(), Remove("validator-3"))});  // TestChain: blocks 1 s apart
  ASSERT_EQ(ledger_->Proposal(1)->status(), v1::PROPOSAL_PENDING);
  Commit({});
  Commit({});
  EXPECT_EQ(ledger_->Governance().open_size(), 1) << "2 s old";
  Commit({});
  EXPECT_EQ(ledger_->Governance().open_size(), 0) << "3 s old";
  EXPECT_EQ(ledger_->Proposal(1)->status(), v1::PROPOSAL_EXPIRED);
  Commit({Vote(second_admin_, 1, true)});
  EXPECT_EQ(LastReceipt().result(), v1::TX_INVALID_GOVERNANCE);
  EXPECT_NE(LastReceipt().message().find("is not open"), std::string::npos) << LastReceipt().message();
}

TEST(GovernanceRules, APendingProposalExpiresAfterItsLifetimeAndAnApprovedOneWaitsForItsBoundary) {
  v1::GovernanceState state = StateOf({"a", "b", "c"});
  const GovernanceRules two{.admin_threshold = 2, .epoch_length = 1000, .proposal_lifetime_ms = 60'000};
  const GovernanceRules one{.admin_threshold = 1, .epoch_length = 1000, .proposal_lifetime_ms = 60'000};
  const v1::Account admin = AnAdmin();
  v1::ProposeValidatorChange remove_a, remove_b;
  *remove_a.mutable_change() = Remove("a");
  *remove_b.mutable_change() = Remove("b");
  ASSERT_EQ(ApplyPropose(state, admin, remove_a, {.height = 1, .time_ms = 5'000}, two).result, v1::TX_OK);  // pending
  ASSERT_EQ(ApplyPropose(state, admin, remove_b, {.height = 2, .time_ms = 6'000}, one).result, v1::TX_OK);  // approved
  ASSERT_EQ(state.open(0).proposed_time_ms(), 5'000u);

  std::vector<v1::ChangeProposal> closed;
  EndBlock(state, {.height = 3, .time_ms = 64'999}, two, closed);
  EXPECT_TRUE(closed.empty()) << "one millisecond short of its lifetime";
  EndBlock(state, {.height = 4, .time_ms = 65'000}, two, closed);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].id(), 1u);
  EXPECT_EQ(closed[0].status(), v1::PROPOSAL_EXPIRED);
  ASSERT_EQ(state.open_size(), 1);

  EndBlock(state, {.height = 5, .time_ms = 500'000}, two, closed);
  EXPECT_EQ(state.open_size(), 1) << "an approved change waits for its boundary, however long";
  EXPECT_TRUE(EndBlock(state, {.height = 1000, .time_ms = 600'000}, two, closed));
  ASSERT_EQ(closed.size(), 2u);
  EXPECT_EQ(closed[1].status(), v1::PROPOSAL_APPLIED);
}

// One block may close proposals out of id order (EndBlock closes the expired before the
// applied): the digest folds them by id, each stamped with the block's height, so an
// auditor that sorts the records by (height, id) folds to the same digest.
TEST(GovernanceRules, ABlocksClosedProposalsFoldIntoTheDigestInTheOrderOfTheirIds) {
  v1::Genesis genesis;
  genesis.set_chain_id("cairn-test");
  genesis.mutable_governance()->set_commit_closed_proposals(true);
  v1::GovernanceState state = GenesisGovernance(genesis, StateOf({"a", "b", "c"}).validators());
  const Bytes start = state.closed_digest();
  ASSERT_FALSE(start.empty());
  const GovernanceRules two{.admin_threshold = 2, .epoch_length = 1000, .proposal_lifetime_ms = 60'000};
  const GovernanceRules one{.admin_threshold = 1, .epoch_length = 1000, .proposal_lifetime_ms = 60'000};
  v1::ProposeValidatorChange remove_a, remove_b;
  *remove_a.mutable_change() = Remove("a");
  *remove_b.mutable_change() = Remove("b");
  ASSERT_EQ(ApplyPropose(state, AnAdmin(), remove_a, {.height = 1, .time_ms = 5'000}, one).result, v1::TX_OK);  // approved
  ASSERT_EQ(ApplyPropose(state, AnAdmin(), remove_b, {.height = 2, .time_ms = 6'000}, two).result, v1::TX_OK);  // pending
  std::vector<v1::ChangeProposal> closed;
  ASSERT_TRUE(EndBlock(state, {.height = 1000, .time_ms = 600'000}, two, closed));
  ASSERT_EQ(closed.size(), 2u);
  ASSERT_EQ(closed[0].id(), 2u) << "the expired one closes first";

  v1::GovernanceState legacy = state;
  legacy.clear_closed_digest();
  std::vector<v1::ChangeProposal> legacy_closed = closed;
  CommitClosedProposals("cairn-test", 1000, legacy, legacy_closed);
  EXPECT_TRUE(legacy.closed_digest().empty()) << "a chain without the digest keeps none";
  EXPECT_EQ(legacy_closed[0].closed_height(), 0u);

  CommitClosedProposals("cairn-test", 1000, state, closed);
  ASSERT_EQ(closed[0].id(), 1u);
  EXPECT_EQ(closed[0].closed_height(), 1000u);
  EXPECT_EQ(closed[1].closed_height(), 1000u);
  const Hash after_first = FoldClosedProposal("cairn-test", start, closed[0]);
  EXPECT_EQ(state.closed_digest(), ToBytes(FoldClosedProposal("cairn-test", ToBytes(after_first), closed[1])));
  EXPECT_NE(state.closed_digest(), ToBytes(FoldClosedProposal("cairn-test", ToBytes(FoldClosedProposal("cairn-test", start, closed[1])), closed[0])));
}

class GovernanceAtThresholdOne : public GovernanceTest {
 protected:
  GovernanceAtThresholdOne() : GovernanceTest(1) {}
};

TEST_F(GovernanceAtThresholdOne, BlocksAfterTheLastOfAnEpochAreEmptyAndNeverCommit) {
  Commit({Propose(chain_.admin(), Remove("validator-3"))});
  ASSERT_EQ(ledger_->Proposal(1)->status(), v1::PROPOSAL_APPROVED);
  // Execute (not commit) up to the boundary block, then build on it as a replica still
  // in epoch 0 would.
  while (ledger_->height() + 1 < 4) ASSERT_TRUE(chain_.CommitBlock(*ledger_, {}).ok());
  BlockTemplate t;
  t.epoch = 0;
  t.round = ledger_->head_header().round() + 1;
  t.timestamp_ms = ledger_->head_header().timestamp_ms() + 1;
  t.parent_qc = chain_.HeadCertificate(*ledger_).value();
  auto last = ledger_->ProposeBlock(t);
  ASSERT_TRUE(last.ok());
  ASSERT_TRUE(last->ends_epoch());
  // Committing the last block of an epoch needs a finality certificate of its epoch.
  const auto certificate = chain_.Certify(last->block, {}, ledger_->Governance().validators());
  EXPECT_FALSE(ledger_->Commit(*last, certificate).ok());

  const ExecutedBlock* pending[] = {&*last};
  BlockTemplate after = t;
  after.round = t.round + 1;
  after.parent_qc = certificate;
  *after.transactions.Add() = chain_.Transfer(chain_.user(0), 1, chain_.user(1), 1);
  auto suffix = ledger_->ProposeBlock(after, pending);
  ASSERT_TRUE(suffix.ok()) << suffix.status().ToString();
  EXPECT_EQ(suffix->block.transactions_size(), 0);  // the transfer waits for epoch 1
  EXPECT_TRUE(ledger_->Execute(suffix->block, pending).ok());
  v1::Block stuffed = suffix->block;
  *stuffed.add_transactions() = after.transactions[0];
  auto refused = ledger_->Execute(stuffed, pending);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("carries transactions"), std::string::npos) << refused.status().ToString();

  // A block of epoch 1 on the last block must carry the epoch-start certificate.
  BlockTemplate next = after;
  next.transactions.Clear();
  next.epoch = 1;
  next.round = 1;
  auto wrong = ledger_->ProposeBlock(next, pending);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("epoch-start certificate"), std::string::npos) << wrong.status().ToString();
  next.parent_qc = EpochStartCertificate(1, last->header.height(), last->hash);
  EXPECT_TRUE(ledger_->ProposeBlock(next, pending).ok());

  const auto finality = chain_.FinalityOf(last->block, ledger_->Governance().validators());
  ASSERT_TRUE(ledger_->Commit(*last, certificate, &finality).ok());
  EXPECT_EQ(ledger_->Governance().epoch(), 1u);
  // The empty block after it never commits.
  EXPECT_FALSE(ledger_->Commit(*suffix, chain_.Certify(suffix->block, {}, *ledger_->ValidatorSet(0))).ok());
  auto start = ledger_->StartOfConsensus();
  ASSERT_TRUE(start.ok());
  EXPECT_EQ(start->validators.validators_size(), 3);
  EXPECT_EQ(start->head_qc.round(), 0u);  // the epoch-start certificate of the head
  EXPECT_EQ(start->head_qc.epoch(), 1u);
}

TEST_F(GovernanceAtThresholdOne, AValidatorRotatesItsKeySignedByBothKeysKeepingItsLinkKey) {
  const crypto::PrivateKey& old_key = chain_.validator(2);
  const crypto::PrivateKey& new_key = chain_.spare_validator(0);
  auto rotation = [&](const crypto::PrivateKey& signer_old, const crypto::PrivateKey& signer_new, uint64_t epoch) {
    const Bytes message = KeyRotationMessage(chain_.chain_id(), "validator-2", epoch, Bytes(new_key.public_key().bytes()));
    v1::TxBody body;
    v1::RotateValidatorKey* op = body.mutable_rotate_validator_key();
    op->set_name("validator-2");
    op->set_new_public_key(Bytes(new_key.public_key().bytes()));
    op->set_old_key_signature(signer_old.Sign(message));
    op->set_new_key_signature(signer_new.Sign(message));
    return chain_.Sign(chain_.user(0), NextNonce(chain_.user(0)), body);  // any account may send it
  };
  Commit({rotation(chain_.validator(1), new_key, 0)});
  EXPECT_EQ(LastReceipt().result(), v1::TX_INVALID_GOVERNANCE);
  EXPECT_NE(LastReceipt().message().find("not signed by validator-2's current key"), std::string::npos);
  Commit({rotation(old_key, chain_.validator(3), 0)});
  EXPECT_NE(LastReceipt().message().find("not signed by the new key"), std::string::npos);

  Commit({rotation(old_key, new_key, 0)});
  ASSERT_EQ(LastReceipt().result(), v1::TX_OK) << LastReceipt().message();
  EXPECT_NE(ledger_->Proposal(1)->status(), v1::PROPOSAL_PENDING);  // no admin vote needed
  EXPECT_EQ(ledger_->Proposal(1)->approvals_size(), 0);
  ASSERT_TRUE(chain_.CommitEmptyBlocksTo(*ledger_, 4).ok());
  EXPECT_EQ(ledger_->Proposal(1)->status(), v1::PROPOSAL_APPLIED);
  const v1::ValidatorSet set = ledger_->Governance().validators();
  EXPECT_EQ(set.epoch(), 1u);
  EXPECT_EQ(set.validators(2).public_key(), Bytes(new_key.public_key().bytes()));
  EXPECT_EQ(LinkKeyOf(set.validators(2)), Bytes(old_key.public_key().bytes()));
  // The next block is certified with the new key in validator 2's place.
  Commit({});
  EXPECT_EQ(ledger_->Governance().epoch(), 1u);

  // The same signed rotation again: its epoch has passed and the old key is gone.
  Commit({rotation(old_key, new_key, 0)});
  EXPECT_EQ(LastReceipt().result(), v1::TX_INVALID_GOVERNANCE);
}

}  // namespace
}  // namespace cairn::ledger
