#include <gtest/gtest.h>

#include "consensus/block_tree.h"
#include "consensus/collectors.h"
#include "consensus/equivocation_detector.h"
#include "consensus/safety_rules.h"
#include "crypto/domain.h"
#include "crypto/sha256.h"
#include "tests/support/forgery.h"
#include "tests/support/test_chain.h"

namespace cairn::consensus {
namespace {

v1::TimeoutCertificate Tc(uint64_t round, std::vector<uint64_t> high_qc_rounds) {
  v1::TimeoutCertificate tc;
  tc.set_round(round);
  for (uint32_t i = 0; i < high_qc_rounds.size(); ++i) {
    auto* s = tc.add_signatures();
    s->set_validator_index(i);
    s->set_high_qc_round(high_qc_rounds[i]);
  }
  return tc;
}

TEST(SafetyRules, VotesOncePerRoundAndOnlyForward) {
  SafetyRules rules{v1::SafetyRecord()};
  EXPECT_TRUE(rules.SafeToVote(5, 4, nullptr));
  rules.RecordVote(5, 4);
  EXPECT_FALSE(rules.SafeToVote(5, 4, nullptr));  // same round again
  EXPECT_FALSE(rules.SafeToVote(4, 3, nullptr));  // an earlier round
  EXPECT_TRUE(rules.SafeToVote(6, 5, nullptr));
  EXPECT_EQ(rules.record().highest_voted_round(), 5u);
  EXPECT_EQ(rules.record().highest_qc_round(), 4u);
}

TEST(SafetyRules, BlockMustExtendThePreviousRoundOrAJustifyingTc) {
  SafetyRules rules{v1::SafetyRecord()};
  EXPECT_FALSE(rules.SafeToVote(3, 3, nullptr));  // not above its certificate
  EXPECT_FALSE(rules.SafeToVote(7, 4, nullptr));  // skips rounds without a TC
  v1::TimeoutCertificate tc = Tc(6, {4, 3, 2});
  EXPECT_TRUE(rules.SafeToVote(7, 4, &tc));   // extends the highest certificate in the TC
  EXPECT_FALSE(rules.SafeToVote(7, 3, &tc));  // older than a signer's high_qc: the lock
  v1::TimeoutCertificate old_tc = Tc(5, {4, 3, 2});
  EXPECT_FALSE(rules.SafeToVote(7, 4, &old_tc));  // a TC of another round justifies nothing
}

TEST(SafetyRules, TimeoutRules) {
  SafetyRules rules{v1::SafetyRecord()};
  rules.RecordVote(5, 4);
  EXPECT_TRUE(rules.SafeToTimeout(5, 4, nullptr));   // the round it voted in
  EXPECT_FALSE(rules.SafeToTimeout(4, 3, nullptr));  // below a round it voted in
  EXPECT_FALSE(rules.SafeToTimeout(6, 3, nullptr));  // older certificate than its lock
  EXPECT_FALSE(rules.SafeToTimeout(7, 4, nullptr));  // round not entered legitimately
  v1::TimeoutCertificate tc = Tc(6, {4, 4, 4});
  EXPECT_TRUE(rules.SafeToTimeout(7, 4, &tc));
  rules.RecordTimeout(7);
  // Having timed out in round 7, it never votes in round 7.
  EXPECT_FALSE(rules.SafeToVote(7, 4, &tc));
  EXPECT_EQ(rules.record().highest_timeout_round(), 7u);
}

TEST(SafetyRules, ProposesOncePerRound) {
  SafetyRules rules{v1::SafetyRecord()};
  EXPECT_FALSE(rules.HasProposedIn(3));
  rules.RecordProposal(3);
  EXPECT_TRUE(rules.HasProposedIn(3));
  EXPECT_FALSE(rules.HasProposedIn(4));
}

// A chain of fake blocks: hashes from labels, certificates naming the parent.
class BlockTreeTest : public ::testing::Test {
 protected:
  static Hash H(const std::string& label) { return crypto::Sha256Of(label); }
  TreeBlock Make(const std::string& label, const std::string& parent, uint64_t height, uint64_t round,
                 uint64_t parent_round) {
    TreeBlock b;
    b.hash = H(label);
    b.parent_hash = H(parent);
    b.header.set_height(height);
    b.header.set_round(round);
    b.block.mutable_parent_qc()->set_block_hash(ToBytes(H(parent)));
    b.block.mutable_parent_qc()->set_round(parent_round);
    return b;
  }
  v1::QuorumCertificate Qc(const std::string& label, uint64_t round) {
    v1::QuorumCertificate qc;
    qc.set_block_hash(ToBytes(H(label)));
    qc.set_round(round);
    return qc;
  }
  static bool NoEpochEnd(const TreeBlock&) { return false; }
  BlockTree tree_{Make("genesis", "none", 0, 0, 0), v1::QuorumCertificate(), 16};
};

TEST_F(BlockTreeTest, CommitsTheParentOfConsecutiveRoundsWithAncestors) {
  ASSERT_TRUE(tree_.Insert(Make("a", "genesis", 1, 1, 0)).ok());
  ASSERT_TRUE(tree_.Insert(Make("b", "a", 2, 3, 1)).ok());  // round gap: a timeout
  ASSERT_TRUE(tree_.Insert(Make("c", "b", 3, 4, 3)).ok());
  EXPECT_TRUE(tree_.Commit(Qc("b", 3), NoEpochEnd).empty());  // b's parent a is at round 1, not 2
  auto committed = tree_.Commit(Qc("c", 4), NoEpochEnd);     // c (4) and b (3) are consecutive
  ASSERT_EQ(committed.size(), 2u);
  EXPECT_EQ(committed[0].block->hash, H("a"));
  EXPECT_EQ(committed[0].certificate.block_hash(), AsView(H("a")));  // from b's parent_qc
  EXPECT_EQ(committed[1].block->hash, H("b"));
  EXPECT_EQ(committed[1].certificate.block_hash(), AsView(H("b")));  // from c's parent_qc
  EXPECT_EQ(tree_.root().hash, H("b"));
  EXPECT_FALSE(tree_.Contains(H("a")));
  EXPECT_TRUE(tree_.Commit(Qc("c", 4), NoEpochEnd).empty());  // nothing new
}

TEST_F(BlockTreeTest, CommitsNothingBeyondTheLastBlockOfTheEpoch) {
  // a ends the epoch; b and c are the empty blocks that help commit it.
  auto ends_at_a = [](const TreeBlock& block) { return block.hash == H("a"); };
  ASSERT_TRUE(tree_.Insert(Make("a", "genesis", 1, 1, 0)).ok());
  ASSERT_TRUE(tree_.Insert(Make("b", "a", 2, 3, 1)).ok());
  ASSERT_TRUE(tree_.Insert(Make("c", "b", 3, 4, 3)).ok());
  ASSERT_TRUE(tree_.Insert(Make("d", "c", 4, 5, 4)).ok());
  auto committed = tree_.Commit(Qc("c", 4), ends_at_a);  // finalises b, but only a commits
  ASSERT_EQ(committed.size(), 1u);
  EXPECT_EQ(committed[0].block->hash, H("a"));
  EXPECT_EQ(tree_.root().hash, H("a"));
  EXPECT_TRUE(tree_.Commit(Qc("d", 5), ends_at_a).empty());  // the epoch is over
}

TEST_F(BlockTreeTest, InsertNeedsTheParentAndIsBounded) {
  EXPECT_EQ(tree_.Insert(Make("x", "unknown", 1, 1, 0)).code(), StatusCode::kNotFound);
  BlockTree small(Make("genesis", "none", 0, 0, 0), v1::QuorumCertificate(), 1);
  ASSERT_TRUE(small.Insert(Make("a", "genesis", 1, 1, 0)).ok());
  EXPECT_EQ(small.Insert(Make("b", "genesis", 1, 2, 0)).code(), StatusCode::kResourceExhausted);
}

TEST_F(BlockTreeTest, ForkedSiblingIsPrunedAtCommit) {
  ASSERT_TRUE(tree_.Insert(Make("a", "genesis", 1, 1, 0)).ok());
  ASSERT_TRUE(tree_.Insert(Make("a2", "genesis", 1, 2, 0)).ok());
  ASSERT_TRUE(tree_.Insert(Make("b", "a", 2, 2, 1)).ok());
  ASSERT_EQ(tree_.Commit(Qc("b", 2), NoEpochEnd).size(), 1u);
  EXPECT_FALSE(tree_.Contains(H("a2")));
  EXPECT_EQ(tree_.size(), 1u);
}

TEST(EquivocationDetector, ASecondDifferentVoteOrProposalOfARoundIsEvidenceOnce) {
  EquivocationDetector detector;
  v1::Vote vote;
  vote.set_round(7);
  vote.set_voter(2);
  vote.set_block_hash(std::string(32, 'a'));
  vote.set_signature("first");
  EXPECT_FALSE(detector.OnVote(vote));
  EXPECT_FALSE(detector.OnVote(vote));  // the same vote again (a retransmission)
  v1::Vote other = vote;
  other.set_block_hash(std::string(32, 'b'));
  other.set_signature("second");
  auto evidence = detector.OnVote(other);
  ASSERT_TRUE(evidence);
  EXPECT_EQ(evidence->double_vote().first().block_hash(), vote.block_hash());
  EXPECT_EQ(evidence->double_vote().second().block_hash(), other.block_hash());
  EXPECT_FALSE(detector.OnVote(other)) << "an offence is reported once";
  v1::Vote elsewhere = other;
  elsewhere.set_voter(3);
  EXPECT_FALSE(detector.OnVote(elsewhere));  // another voter's first vote

  EXPECT_FALSE(detector.OnProposal("header-a", 9, 1, "sig-a"));
  EXPECT_FALSE(detector.OnProposal("header-a", 9, 1, "sig-a"));
  auto proposals = detector.OnProposal("header-b", 9, 1, "sig-b");
  ASSERT_TRUE(proposals);
  EXPECT_EQ(proposals->double_proposal().first().header(), "header-a");
  EXPECT_EQ(detector.reported(), 2u);

  // Old rounds are forgotten.
  detector.DropBelow(9 + EquivocationDetector::kWindow + 1);
  EXPECT_FALSE(detector.OnProposal("header-c", 9, 1, "sig-c"));
}

// A stored or received set naming a key anyone can sign for makes no committee.
TEST(Committee, RefusesASetWithASmallOrderKey) {
  v1::ValidatorSet set;
  for (int i = 0; i < 4; ++i) {
    v1::ValidatorInfo* v = set.add_validators();
    v->set_name("v" + std::to_string(i));
    v->set_public_key(Bytes(test::KeyFromLabel("v" + std::to_string(i)).public_key().bytes()));
  }
  ASSERT_TRUE(Committee::From(set).ok());
  set.mutable_validators(2)->set_public_key(test::IdentityKey());
  auto refused = Committee::From(set);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("validator v2"), std::string::npos) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("small order"), std::string::npos) << refused.status().ToString();
}

TEST(VoteCollector, FormsACertificatePerStatementAndCountsEquivocation) {
  v1::ValidatorSet set;
  for (int i = 0; i < 4; ++i) set.add_validators()->set_public_key(Bytes(32, static_cast<char>('a' + i)));
  Committee committee = Committee::From(set).value();
  VoteCollector collector;
  auto vote = [](uint32_t voter, char block) {
    v1::Vote v;
    v.set_round(7);
    v.set_height(3);
    v.set_block_hash(Bytes(32, block));
    v.set_voter(voter);
    v.set_signature("sig");
    return v;
  };
  EXPECT_FALSE(collector.Add(vote(0, 'x'), committee));
  EXPECT_FALSE(collector.Add(vote(0, 'x'), committee));  // a duplicate counts once
  EXPECT_FALSE(collector.Add(vote(1, 'x'), committee));
  EXPECT_FALSE(collector.Add(vote(1, 'y'), committee));  // voter 1 equivocates
  EXPECT_EQ(collector.equivocations(), 1u);
  EXPECT_FALSE(collector.Add(vote(1, 'z'), committee));  // a third statement is not kept
  auto qc = collector.Add(vote(2, 'x'), committee);
  ASSERT_TRUE(qc.has_value());
  EXPECT_EQ(qc->signatures_size(), 3);
  EXPECT_EQ(qc->signatures(0).validator_index(), 0u);
  EXPECT_FALSE(collector.Add(vote(3, 'x'), committee));  // already certified
}

}  // namespace
}  // namespace cairn::consensus
