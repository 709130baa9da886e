// Hostile consensus messages delivered to a replica (validator 2, the leader of round
// 3, so that it gathers round 2's votes): each is refused with its reason, changes
// nothing, and the replica still takes the honest message that follows.
#include <gtest/gtest.h>

#include "consensus/certificates.h"
#include "crypto/verifier.h"
#include "ledger/genesis.h"
#include "tests/support/replica_rig.h"

namespace cairn::node {
namespace {

class ReplicaHostileTest : public ::testing::Test {
 protected:
  ReplicaHostileTest() : target_(chain_, 2, verifier_, leaders_), leader_(chain_, 1, verifier_, leaders_) {
    now_ms_ = chain_.genesis().genesis_time_ms() + 60'000;
    (void)target_.replica->Start(now_ms_);
    for (const auto& m : test::MessagesOf(leader_.replica->Start(now_ms_))) {
      if (m.has_proposal()) proposal_ = m;
    }
  }

  // Delivers `message` from `from`; the rejection it caused ("" when accepted).
  std::string Deliver(uint32_t from, const v1::ConsensusMessage& message) {
    const uint64_t before = target_.replica->rejected_messages();
    (void)target_.replica->OnMessage(from, message, now_ms_);
    return target_.replica->rejected_messages() > before ? target_.replica->last_rejection().ToString() : "";
  }

  // A vote by validator `voter` for round 1's block, signed properly.
  v1::ConsensusMessage VoteOf(uint32_t voter) {
    v1::Vote vote;
    vote.set_epoch(0);
    vote.set_round(1);
    vote.set_height(1);
    vote.set_block_hash(ToBytes(crypto::BlockHash(chain_.chain_id(), proposal_.proposal().block().header())));
    vote.set_voter(voter);
    vote.set_signature(chain_.validator(static_cast<int>(voter)).Sign(
        consensus::VoteMessage(test::ContextOf(chain_), consensus::StatementOf(vote))));
    v1::ConsensusMessage message;
    *message.mutable_vote() = vote;
    return message;
  }

  test::TestChain chain_;
  crypto::DirectVerifier verifier_;
  consensus::RoundRobinLeaders leaders_{4};
  test::ReplicaRig target_;
  test::ReplicaRig leader_;
  uint64_t now_ms_ = 0;
  v1::ConsensusMessage proposal_;
};

TEST_F(ReplicaHostileTest, RefusesMessagesFromOutsideTheValidatorSet) {
  EXPECT_NE(Deliver(7, proposal_).find("non-validator"), std::string::npos);
  EXPECT_EQ(Deliver(1, proposal_), "") << "the same proposal from its leader is taken";
}

TEST_F(ReplicaHostileTest, RefusesAProposalFromAnotherThanTheLeaderOrWithAForgedSignature) {
  v1::ConsensusMessage forged = proposal_;
  forged.mutable_proposal()->set_signature(chain_.validator(3).Sign("something else"));
  EXPECT_NE(Deliver(1, forged).find("proposal signature is invalid"), std::string::npos);
  v1::ConsensusMessage header_changed = proposal_;
  v1::BlockHeader header;
  ASSERT_TRUE(header.ParseFromString(header_changed.proposal().block().header()));
  header.set_proposer(3);  // not round 1's leader
  header_changed.mutable_proposal()->mutable_block()->set_header(header.SerializeAsString());
  // Signed by someone else than the proposer it names: the signature does not check.
  EXPECT_NE(Deliver(3, header_changed).find("proposal signature is invalid"), std::string::npos);
  // Signed by validator 3 itself: a valid signature, but 3 does not lead round 1.
  header_changed.mutable_proposal()->set_signature(chain_.validator(3).Sign(consensus::ProposalMessage(
      test::ContextOf(chain_), crypto::BlockHash(chain_.chain_id(), header_changed.proposal().block().header()))));
  EXPECT_NE(Deliver(3, header_changed).find("is not the leader of round 1"), std::string::npos);
  EXPECT_EQ(Deliver(1, proposal_), "");
}

TEST_F(ReplicaHostileTest, ALeaderThatProposesTwoBlocksInARoundIsCaughtWithEvidenceThatVerifies) {
  // The leader signs a second block for round 1 (another timestamp): an equivocation.
  v1::ConsensusMessage second = proposal_;
  v1::BlockHeader header;
  ASSERT_TRUE(header.ParseFromString(second.proposal().block().header()));
  header.set_timestamp_ms(header.timestamp_ms() + 1);
  second.mutable_proposal()->mutable_block()->set_header(header.SerializeAsString());
  second.mutable_proposal()->set_signature(chain_.validator(1).Sign(consensus::ProposalMessage(
      test::ContextOf(chain_), crypto::BlockHash(chain_.chain_id(), second.proposal().block().header()))));
  (void)target_.replica->OnMessage(1, proposal_, now_ms_);
  const consensus::Actions actions = target_.replica->OnMessage(1, second, now_ms_);
  const v1::Evidence* evidence = nullptr;
  for (const auto& action : actions) {
    if (auto* e = std::get_if<consensus::EvidenceAction>(&action)) evidence = &e->evidence;
  }
  ASSERT_NE(evidence, nullptr) << "no evidence for two proposals of one round";
  auto offence = target_.ledger->CheckNewEvidence(*evidence);
  ASSERT_TRUE(offence.ok()) << offence.status().ToString();
  EXPECT_EQ(offence->signer_name, "validator-1");
  EXPECT_EQ(target_.replica->equivocations_reported(), 1u);
}

TEST_F(ReplicaHostileTest, RefusesMessagesForRoundsFarAhead) {
  v1::ConsensusMessage vote = VoteOf(0);
  vote.mutable_vote()->set_round(1'000'000);
  EXPECT_NE(Deliver(0, vote).find("round outside the window"), std::string::npos);
  v1::ConsensusMessage timeout;
  timeout.mutable_timeout()->set_round(1'000'000);
  timeout.mutable_timeout()->set_sender(0);
  EXPECT_NE(Deliver(0, timeout).find("round too far ahead"), std::string::npos);
}

TEST_F(ReplicaHostileTest, RefusesForgedVotesAndVotesClaimingAnotherVoter) {
  v1::ConsensusMessage forged = VoteOf(0);
  forged.mutable_vote()->set_signature(Bytes(64, '\x01'));
  EXPECT_NE(Deliver(0, forged).find("signature is invalid"), std::string::npos);
  v1::ConsensusMessage stolen = VoteOf(0);
  stolen.mutable_vote()->set_voter(3);  // validator 0's signature claimed as 3's
  EXPECT_NE(Deliver(0, stolen).find("signature is invalid"), std::string::npos);
  v1::ConsensusMessage stranger = VoteOf(0);
  stranger.mutable_vote()->set_voter(9);
  EXPECT_NE(Deliver(0, stranger).find("not a validator"), std::string::npos);
}

TEST_F(ReplicaHostileTest, OneValidatorCannotFillTheRoomOfProposalsWaitingForTheirParents) {
  // Who leads round 6 is known only with its parent, so a validator's signed proposals on
  // a certified parent the target lacks wait for it; validator 3 sends 200 of them (one
  // round, different timestamps), over its share of the room (512 / 4).
  v1::QuorumCertificate qc;
  qc.set_epoch(0);
  qc.set_round(5);
  qc.set_height(5);
  qc.set_block_hash(Bytes(32, '\x55'));
  qc = chain_.SignStatement(qc, ledger::BuildGenesisState(chain_.genesis()).validators, {0, 1, 2});
  auto proposal_by = [&](uint32_t proposer, uint64_t timestamp_ms) {
    v1::BlockHeader header;
    header.set_height(6);
    header.set_round(6);
    header.set_parent_hash(qc.block_hash());
    header.set_proposer(proposer);
    header.set_timestamp_ms(timestamp_ms);
    v1::ConsensusMessage message;
    message.mutable_proposal()->mutable_block()->set_header(header.SerializeAsString());
    *message.mutable_proposal()->mutable_block()->mutable_parent_qc() = qc;
    message.mutable_proposal()->set_signature(chain_.validator(static_cast<int>(proposer)).Sign(
        consensus::ProposalMessage(test::ContextOf(chain_), crypto::BlockHash(chain_.chain_id(), header.SerializeAsString()))));
    return message;
  };
  int refused = 0;
  for (uint64_t i = 0; i < 200; ++i) {
    if (Deliver(3, proposal_by(3, now_ms_ + i)).find("too many proposals of validator 3") != std::string::npos) ++refused;
  }
  EXPECT_EQ(refused, 200 - 512 / 4);
  // Another validator's proposal still finds room.
  EXPECT_EQ(Deliver(0, proposal_by(0, now_ms_)), "");
}

TEST_F(ReplicaHostileTest, VotesForABlockItDoesNotHoldMakeNoCertificateBelowAQuorum) {
  // Two valid votes (one short of a quorum) for a block never proposed to this replica:
  // accepted as votes, but nothing certified, nothing committed.
  for (uint32_t voter : {0u, 1u}) {
    (void)target_.replica->OnMessage(voter, VoteOf(voter), now_ms_);
  }
  EXPECT_EQ(target_.ledger->height(), 0u);
  EXPECT_EQ(target_.replica->high_qc().round(), 0u);
}

TEST_F(ReplicaHostileTest, RefusesAnEmptyMessage) {
  EXPECT_NE(Deliver(0, v1::ConsensusMessage()).find("empty consensus message"), std::string::npos);
}

}  // namespace
}  // namespace cairn::node
