// The pacemaker of a replica (validator 0; round 1 is led by validator 1): the round
// timer backs off while nothing happens, up to its cap, and a replica joins a round
// that others gave up on without waiting for its own timer.
#include <gtest/gtest.h>

#include "consensus/certificates.h"
#include "crypto/verifier.h"
#include "ledger/genesis.h"
#include "tests/support/replica_rig.h"

namespace cairn::node {
namespace {

class ReplicaRoundsTest : public ::testing::Test {
 protected:
  ReplicaRoundsTest()
      : replica_(chain_, 0, verifier_, leaders_, {.base_timeout_ms = 1'000, .max_timeout_ms = 10'000}) {
    now_ms_ = chain_.genesis().genesis_time_ms() + 60'000;
  }

  v1::ConsensusMessage TimeoutOf(uint32_t sender, uint64_t round) {
    return test::GenesisTimeout(chain_, *replica_.ledger, sender, round);
  }

  static std::optional<uint64_t> RoundTimerMs(const consensus::Actions& actions) {
    for (const auto& action : actions) {
      if (auto* t = std::get_if<consensus::SetTimerAction>(&action); t && t->kind == consensus::SetTimerAction::Kind::kRound) {
        return t->delay_ms;
      }
    }
    return std::nullopt;
  }

  static bool BroadcastsATimeout(const consensus::Actions& actions, uint64_t round) {
    for (const v1::ConsensusMessage& m : test::MessagesOf(actions)) {
      if (m.has_timeout() && m.timeout().round() == round) return true;
    }
    return false;
  }

  test::TestChain chain_;
  crypto::DirectVerifier verifier_;
  consensus::RoundRobinLeaders leaders_{4};
  test::ReplicaRig replica_;
  uint64_t now_ms_ = 0;
};

TEST_F(ReplicaRoundsTest, TheRoundTimerDoublesWhileNothingHappensUpToItsCap) {
  EXPECT_EQ(RoundTimerMs(replica_.replica->Start(now_ms_)), 1'000u);
  std::vector<uint64_t> delays;
  for (int i = 0; i < 6; ++i) {
    const consensus::Actions actions = replica_.replica->OnTimer(1, now_ms_);
    EXPECT_TRUE(BroadcastsATimeout(actions, 1)) << "timer " << i;
    delays.push_back(RoundTimerMs(actions).value_or(0));
  }
  EXPECT_EQ(delays, (std::vector<uint64_t>{2'000, 4'000, 8'000, 10'000, 10'000, 10'000}));
}

TEST_F(ReplicaRoundsTest, JoinsARoundThatFPlusOneOthersGaveUpOnWithoutWaitingForItsTimer) {
  (void)replica_.replica->Start(now_ms_);
  // One timeout may be a faulty validator's: not enough.
  EXPECT_FALSE(BroadcastsATimeout(replica_.replica->OnMessage(2, TimeoutOf(2, 1), now_ms_), 1));
  EXPECT_EQ(replica_.replica->current_round(), 1u);
  // f + 1 = 2: at least one honest validator gave up on round 1. It joins, and its own
  // timeout completes the quorum of 3: the timeout certificate moves it to round 2.
  EXPECT_TRUE(BroadcastsATimeout(replica_.replica->OnMessage(3, TimeoutOf(3, 1), now_ms_), 1));
  EXPECT_EQ(replica_.replica->current_round(), 2u);
}

}  // namespace
}  // namespace cairn::node
