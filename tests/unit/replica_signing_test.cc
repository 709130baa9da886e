// A replica whose key is in a token (ReplicaConfig::driver_signs): each of its
// messages is asked for as a SignAction after the safety record that commits to it, and
// goes out, and counts, only once it comes back signed. Validator 0 here; round 1 is
// led by validator 1.
#include <gtest/gtest.h>

#include "consensus/certificates.h"
#include "crypto/verifier.h"
#include "ledger/genesis.h"
#include "tests/support/replica_rig.h"

namespace cairn::node {
namespace {

class ReplicaSigningTest : public ::testing::Test {
 protected:
  ReplicaSigningTest()
      : replica_(chain_, 0, verifier_, leaders_, {.base_timeout_ms = 1'000, .driver_signs = true}) {
    now_ms_ = chain_.genesis().genesis_time_ms() + 60'000;
    (void)replica_.replica->Start(now_ms_);
  }

  v1::ConsensusMessage TimeoutOf(uint32_t sender, uint64_t round) {
    return test::GenesisTimeout(chain_, *replica_.ledger, sender, round);
  }

  // The one SignAction among `actions`, which must come after a PersistSafetyAction whose
  // record covers its message.
  static consensus::SignAction TheSignAction(const consensus::Actions& actions) {
    std::optional<v1::SafetyRecord> persisted;
    std::optional<consensus::SignAction> sign;
    for (const consensus::Action& action : actions) {
      if (auto* p = std::get_if<consensus::PersistSafetyAction>(&action)) persisted = p->record;
      if (auto* s = std::get_if<consensus::SignAction>(&action)) {
        EXPECT_FALSE(sign.has_value()) << "two SignActions";
        sign = *s;
        EXPECT_TRUE(persisted.has_value()) << "signing before the safety record is synced";
        if (persisted) {
          EXPECT_TRUE(Covers(*persisted, s->message)) << "the record synced before it does not cover it";
        }
      }
    }
    EXPECT_TRUE(sign.has_value());
    return sign.value_or(consensus::SignAction{});
  }

  static bool Covers(const v1::SafetyRecord& record, const v1::ConsensusMessage& m) {
    if (m.has_vote()) return record.highest_voted_round() >= m.vote().round();
    if (m.has_timeout()) return record.highest_timeout_round() >= m.timeout().round();
    v1::BlockHeader header;
    return header.ParseFromString(m.proposal().block().header()) && record.highest_proposed_round() >= header.round();
  }

  // What the node's signer does: sign the statement with validator 0's key.
  v1::ConsensusMessage Signed(consensus::SignAction action) {
    consensus::SetSignature(&action.message, chain_.validator(0).Sign(action.statement));
    return action.message;
  }

  test::TestChain chain_;
  crypto::DirectVerifier verifier_;
  consensus::RoundRobinLeaders leaders_{4};
  test::ReplicaRig replica_;
  uint64_t now_ms_ = 0;
};

TEST_F(ReplicaSigningTest, ATimeoutLeavesOnlyOnceSignedAndThenCounts) {
  (void)replica_.replica->OnMessage(2, TimeoutOf(2, 1), now_ms_);
  // Validator 3's timeout makes f + 1: it joins, but its own timeout is with the signer.
  const consensus::Actions joined = replica_.replica->OnMessage(3, TimeoutOf(3, 1), now_ms_);
  EXPECT_TRUE(test::MessagesOf(joined).empty());
  const consensus::SignAction ask = TheSignAction(joined);
  ASSERT_TRUE(ask.message.has_timeout());
  EXPECT_TRUE(ask.message.timeout().signature().empty());
  EXPECT_EQ(ask.statement, consensus::TimeoutMessage(test::ContextOf(chain_), 1, 0));
  EXPECT_EQ(replica_.replica->current_round(), 1u);  // two timeouts of three
  EXPECT_EQ(replica_.replica->safety_record().highest_timeout_round(), 1u);

  const consensus::Actions sent = replica_.replica->OnSigned(Signed(ask), now_ms_);
  const auto messages = test::MessagesOf(sent);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_TRUE(chain_.validator(0).public_key().Verify(ask.statement, messages[0].timeout().signature()));
  // Its own timeout completes the certificate.
  EXPECT_EQ(replica_.replica->current_round(), 2u);
}

bool AsksToSign(const consensus::Actions& actions) {
  return std::any_of(actions.begin(), actions.end(),
                     [](const auto& a) { return std::holds_alternative<consensus::SignAction>(a); });
}

TEST_F(ReplicaSigningTest, AFailedTimeoutIsNotSentAndIsTriedAgainAtTheNextTimer) {
  const consensus::SignAction ask = TheSignAction(replica_.replica->OnTimer(1, now_ms_));
  EXPECT_TRUE(test::MessagesOf(replica_.replica->OnSignFailed(ask.message, now_ms_)).empty());
  // A signature that turns up after the failure was reported is not sent.
  const uint64_t rejected = replica_.replica->rejected_messages();
  EXPECT_TRUE(test::MessagesOf(replica_.replica->OnSigned(Signed(ask), now_ms_)).empty());
  EXPECT_EQ(replica_.replica->rejected_messages(), rejected + 1);
  // A timeout commits to nothing new when signed again: the next timer asks once more,
  // and only once while that one is with the signer.
  const consensus::SignAction retry = TheSignAction(replica_.replica->OnTimer(1, now_ms_));
  EXPECT_FALSE(AsksToSign(replica_.replica->OnTimer(1, now_ms_)));
  const auto messages = test::MessagesOf(replica_.replica->OnSigned(Signed(retry), now_ms_));
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_TRUE(messages[0].has_timeout());
}

TEST_F(ReplicaSigningTest, AVoteIsAskedForAfterItsRecordAndSentWhenSigned) {
  // Validator 1 leads round 1, with its key in place.
  consensus::RoundRobinLeaders leader_leaders{4};
  test::ReplicaRig leader(chain_, 1, verifier_, leader_leaders, {});
  std::optional<v1::ConsensusMessage> proposal;
  for (const v1::ConsensusMessage& m : test::MessagesOf(leader.replica->Start(now_ms_))) {
    if (m.has_proposal()) proposal = m;
  }
  ASSERT_TRUE(proposal.has_value());
  const consensus::Actions voted = replica_.replica->OnMessage(1, *proposal, now_ms_);
  EXPECT_TRUE(test::MessagesOf(voted).empty());
  const consensus::SignAction ask = TheSignAction(voted);
  ASSERT_TRUE(ask.message.has_vote());
  EXPECT_EQ(replica_.replica->safety_record().highest_voted_round(), 1u);
  // The proposal again: the vote is recorded, so it is not asked for twice.
  EXPECT_FALSE(AsksToSign(replica_.replica->OnMessage(1, *proposal, now_ms_)));
  const auto messages = test::MessagesOf(replica_.replica->OnSigned(Signed(ask), now_ms_));
  ASSERT_EQ(messages.size(), 1u);
  ASSERT_TRUE(messages[0].has_vote());
  EXPECT_EQ(messages[0].vote().round(), 1u);
  EXPECT_TRUE(chain_.validator(0).public_key().Verify(ask.statement, messages[0].vote().signature()));
}

TEST_F(ReplicaSigningTest, ALeadersProposalLeavesSignedAndItsOwnVoteIsAskedForNext) {
  consensus::RoundRobinLeaders leader_leaders{4};
  test::ReplicaRig leader(chain_, 1, verifier_, leader_leaders, {.driver_signs = true});
  const consensus::Actions started = leader.replica->Start(now_ms_);
  EXPECT_TRUE(test::MessagesOf(started).empty());
  const consensus::SignAction ask = TheSignAction(started);
  ASSERT_TRUE(ask.message.has_proposal());
  consensus::SignAction signed_proposal = ask;
  consensus::SetSignature(&signed_proposal.message, chain_.validator(1).Sign(ask.statement));
  const consensus::Actions sent = leader.replica->OnSigned(signed_proposal.message, now_ms_);
  const auto messages = test::MessagesOf(sent);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_TRUE(messages[0].has_proposal());
  // Acting on its own block, it votes for it: that vote goes to the signer too.
  EXPECT_TRUE(TheSignAction(sent).message.has_vote());
}

TEST_F(ReplicaSigningTest, ASignerThatNeverAnswersSilencesTheValidatorWithinABound) {
  // Rounds move on by the others' timeout certificates; each round this validator joins
  // with a timeout of its own, which its signer never returns.
  size_t asked = 0;
  for (uint64_t round = 1; round <= 12; ++round) {
    for (uint32_t sender = 1; sender <= 3; ++sender) {
      const consensus::Actions actions = replica_.replica->OnMessage(sender, TimeoutOf(sender, round), now_ms_);
      asked += static_cast<size_t>(AsksToSign(actions));
    }
    ASSERT_EQ(replica_.replica->current_round(), round + 1);
  }
  EXPECT_EQ(asked, 8u) << "messages waiting for the signer are bounded";
  EXPECT_GT(replica_.replica->rejected_messages(), 0u);
}

}  // namespace
}  // namespace cairn::node
