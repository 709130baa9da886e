// Equivocation evidence as the ledger checks, includes and records it.
#include <gtest/gtest.h>

#include "crypto/domain.h"
#include "crypto/sha256.h"
#include "crypto/verifier.h"
#include "ledger/evidence.h"
#include "ledger/genesis.h"
#include "ledger/ledger.h"
#include "ledger/state_tree.h"
#include "tests/support/forgery.h"
#include "tests/support/test_chain.h"

namespace cairn::ledger {
namespace {

class EvidenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_ = Ledger::Open(std::make_unique<MemoryStore>(), chain_.genesis()).value();
    ASSERT_TRUE(chain_.CommitBlock(*ledger_, {}).ok());
    set_ = ledger_->ValidatorSet(0).value();
  }
  v1::Vote Vote(int voter, uint64_t round, const std::string& block_label) const {
    v1::Vote vote;
    vote.set_epoch(0);
    vote.set_round(round);
    vote.set_height(2);
    vote.set_block_hash(ToBytes(crypto::Sha256Of(block_label)));
    vote.set_voter(static_cast<uint32_t>(voter));
    crypto::VoteStatement statement{.epoch = 0, .round = round, .height = 2, .block_hash = vote.block_hash()};
    vote.set_signature(chain_.validator(voter).Sign(
        crypto::DomainMessage(crypto::Purpose::kVote, chain_.chain_id(), statement.Payload())));
    return vote;
  }
  v1::Evidence DoubleVote(const v1::Vote& a, const v1::Vote& b) const {
    v1::Evidence evidence;
    *evidence.mutable_double_vote()->mutable_first() = a;
    *evidence.mutable_double_vote()->mutable_second() = b;
    return evidence;
  }
  v1::SignedProposal Proposal(int proposer, uint64_t round, uint64_t timestamp) const {
    v1::BlockHeader header;
    header.set_height(2);
    header.set_round(round);
    header.set_proposer(static_cast<uint32_t>(proposer));
    header.set_timestamp_ms(timestamp);
    v1::SignedProposal p;
    p.set_header(header.SerializeAsString());
    crypto::ProposalStatement statement{ToBytes(crypto::BlockHash(chain_.chain_id(), p.header()))};
    p.set_signature(chain_.validator(proposer).Sign(
        crypto::DomainMessage(crypto::Purpose::kProposal, chain_.chain_id(), statement.Payload())));
    return p;
  }
  Result<Offence> Check(const v1::Evidence& evidence) {
    return CheckEvidence(chain_.chain_id(), evidence, set_, verifier_);
  }
  // Proposes a block on the head with `evidence` as candidates and commits it.
  ExecutedBlock ProposeWith(std::vector<v1::Evidence> evidence) {
    BlockTemplate t;
    t.round = ledger_->head_header().round() + 1;
    t.timestamp_ms = ledger_->head_header().timestamp_ms() + 1;
    t.parent_qc = chain_.HeadCertificate(*ledger_).value();
    t.evidence = std::move(evidence);
    return ledger_->ProposeBlock(t).value();
  }

  test::TestChain chain_;
  crypto::DirectVerifier verifier_;
  std::unique_ptr<Ledger> ledger_;
  v1::ValidatorSet set_;
};

TEST_F(EvidenceTest, TwoVotesOfOneRoundForDifferentBlocksConvictTheVoter) {
  auto offence = Check(DoubleVote(Vote(2, 5, "a"), Vote(2, 5, "b")));
  ASSERT_TRUE(offence.ok()) << offence.status().ToString();
  EXPECT_EQ(offence->signer, 2u);
  EXPECT_EQ(offence->round, 5u);
  EXPECT_EQ(offence->signer_name, "validator-2");
}

TEST_F(EvidenceTest, WhatIsNotAnEquivocationIsRefusedWithAReason) {
  auto refused = [&](const v1::Evidence& e, const std::string& why) {
    auto offence = Check(e);
    ASSERT_FALSE(offence.ok()) << why;
    EXPECT_NE(offence.status().message().find(why), std::string::npos) << offence.status().ToString();
  };
  refused(DoubleVote(Vote(2, 5, "a"), Vote(2, 5, "a")), "state the same");
  refused(DoubleVote(Vote(2, 5, "a"), Vote(2, 6, "b")), "not of one epoch, round and voter");
  refused(DoubleVote(Vote(2, 5, "a"), Vote(1, 5, "b")), "not of one epoch, round and voter");
  v1::Vote forged = Vote(3, 5, "b");
  forged.set_voter(2);  // validator 3's signature claimed as validator 2's
  refused(DoubleVote(Vote(2, 5, "a"), forged), "signature is not the voter's");
  // Validator 2's own key, but a signature with R of small order (the strict rule).
  v1::Vote small_r = Vote(2, 5, "b");
  crypto::VoteStatement statement{.epoch = 0, .round = 5, .height = 2, .block_hash = small_r.block_hash()};
  small_r.set_signature(test::SmallOrderRSignature(
      test::SeedFromLabel("validator-2"), crypto::DomainMessage(crypto::Purpose::kVote, chain_.chain_id(), statement.Payload())));
  refused(DoubleVote(Vote(2, 5, "a"), small_r), "signature is not the voter's");
  v1::Vote outsider = Vote(2, 5, "b");
  v1::Vote outsider_a = Vote(2, 5, "a");
  outsider.set_voter(9);
  outsider_a.set_voter(9);
  refused(DoubleVote(outsider_a, outsider), "not in the set");
  refused(v1::Evidence(), "empty");
  v1::Evidence proposals;
  *proposals.mutable_double_proposal()->mutable_first() = Proposal(1, 4, 100);
  *proposals.mutable_double_proposal()->mutable_second() = Proposal(1, 4, 100);
  refused(proposals, "same block");
}

TEST_F(EvidenceTest, TwoProposalsOfOneRoundConvictTheLeader) {
  v1::Evidence evidence;
  *evidence.mutable_double_proposal()->mutable_first() = Proposal(1, 4, 100);
  *evidence.mutable_double_proposal()->mutable_second() = Proposal(1, 4, 101);
  auto offence = Check(evidence);
  ASSERT_TRUE(offence.ok()) << offence.status().ToString();
  EXPECT_EQ(offence->kind, Offence::Kind::kDoubleProposal);
  EXPECT_EQ(offence->signer, 1u);
}

TEST_F(EvidenceTest, ABlockCarriesValidEvidenceOnceAndTheLedgerRecordsIt) {
  const v1::Evidence evidence = DoubleVote(Vote(2, 5, "a"), Vote(2, 5, "b"));
  v1::Evidence bad = evidence;
  bad.mutable_double_vote()->mutable_second()->set_signature(std::string(64, '\0'));
  ExecutedBlock block = ProposeWith({bad, evidence, evidence});
  ASSERT_EQ(block.block.evidence_size(), 1);  // the bad one and the repeat are left out
  ASSERT_TRUE(ledger_->Execute(block.block).ok());
  ASSERT_TRUE(ledger_->Commit(block, chain_.Certify(block.block, ToBytes(ledger_->head_hash()))).ok());
  auto records = ledger_->ListEvidence(0, 10).value();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].height(), 2u);
  EXPECT_EQ(records[0].validator_name(), "validator-2");
  EXPECT_EQ(records[0].round(), 5u);
  // The state records the conviction, with a proof like an account's.
  const Hash key = OffenceStateKey(Check(evidence).value());
  auto proven = ledger_->StateAt(2).value().Prove(key);
  ASSERT_TRUE(proven.ok() && proven->value) << "the state does not record the offence";
  v1::EvidenceRecord in_state;
  ASSERT_TRUE(in_state.ParseFromString(*proven->value));
  EXPECT_EQ(in_state.height(), 2u);
  EXPECT_EQ(in_state.validator_name(), "validator-2");
  EXPECT_TRUE(VerifyStateProof(ledger_->state_root(), key, tree::ValueHash(*proven->value), proven->proof));

  // Once recorded, the same offence never enters a block again, even as other bytes.
  EXPECT_EQ(ledger_->CheckNewEvidence(evidence).status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(ledger_->CheckNewEvidence(DoubleVote(Vote(2, 5, "b"), Vote(2, 5, "c"))).status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(ProposeWith({evidence}).block.evidence_size(), 0);

  // A block that carries invalid evidence, or more than the limit, is invalid.
  ExecutedBlock next = ProposeWith({});
  v1::Block forged = next.block;
  *forged.add_evidence() = bad;
  EXPECT_FALSE(ledger_->Execute(forged).ok());
  v1::Block stuffed = next.block;
  for (size_t i = 0; i <= kMaxEvidencePerBlock; ++i) {
    *stuffed.add_evidence() = DoubleVote(Vote(1, 10 + i, "a"), Vote(1, 10 + i, "b"));
  }
  auto refused = ledger_->Execute(stuffed);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("the limit is"), std::string::npos);
}

}  // namespace
}  // namespace cairn::ledger
