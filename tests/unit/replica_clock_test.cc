// ReplicaConfig::max_future_timestamp_ms: a validator does not vote for a block stamped
// too far ahead of its own clock, so one bad clock cannot carry the chain's time away.
#include <gtest/gtest.h>

#include "crypto/verifier.h"
#include "tests/support/replica_rig.h"

namespace cairn::node {
namespace {

const test::TestChain& Chain() {
  static const test::TestChain chain;
  return chain;
}

// A minute after genesis, on the voter's clock.
const uint64_t kNowMs = Chain().genesis().genesis_time_ms() + 60'000;

// Validator 1 leads round 1 and proposes at `leader_now_ms`; validator 0 (bound 30 s)
// receives the proposal at kNowMs. The messages validator 0 answers with.
std::vector<v1::ConsensusMessage> VoterAnswers(uint64_t leader_now_ms, std::string* rejection) {
  const test::TestChain& chain = Chain();
  crypto::DirectVerifier verifier;
  consensus::RoundRobinLeaders leaders(4);
  test::ReplicaRig leader(chain, 1, verifier, leaders);
  test::ReplicaRig voter(chain, 0, verifier, leaders, {.max_future_timestamp_ms = 30'000});
  auto proposals = test::MessagesOf(leader.replica->Start(leader_now_ms));
  (void)voter.replica->Start(kNowMs);
  std::vector<v1::ConsensusMessage> answers;
  for (const auto& proposal : proposals) {
    if (!proposal.has_proposal()) continue;  // the leader's own vote, sent to round 2's leader
    for (auto& m : test::MessagesOf(voter.replica->OnMessage(1, proposal, kNowMs))) answers.push_back(m);
  }
  *rejection = voter.replica->last_rejection().ToString();
  return answers;
}

TEST(ReplicaClock, VotesForABlockStampedWithinTheBound) {
  std::string rejection;
  auto answers = VoterAnswers(kNowMs + 20'000, &rejection);
  ASSERT_EQ(answers.size(), 1u) << rejection;
  EXPECT_TRUE(answers[0].has_vote());
}

TEST(ReplicaClock, DoesNotVoteForABlockStampedBeyondTheBound) {
  std::string rejection;
  auto answers = VoterAnswers(kNowMs + 3'600'000, &rejection);  // a leader an hour ahead
  EXPECT_TRUE(answers.empty());
  EXPECT_NE(rejection.find("ahead of this validator's clock"), std::string::npos) << rejection;
}

}  // namespace
}  // namespace cairn::node
