// Fetching a missing block: a replica that learns of a certificate for a block it does
// not have asks a peer for it, and when that peer does not answer, asks another one, so
// that a peer that is down or faulty cannot hold the block back (the simulator found a
// restarted replica asking a silent validator, round after round).
#include <gtest/gtest.h>

#include "consensus/certificates.h"
#include "crypto/verifier.h"
#include "ledger/genesis.h"
#include "tests/support/replica_rig.h"

namespace cairn::node {
namespace {

class ReplicaFetchTest : public ::testing::Test {
 protected:
  ReplicaFetchTest() : replica_(chain_, 0, verifier_, leaders_), proposer_(chain_, 1, verifier_, leaders_) {
    now_ms_ = chain_.genesis().genesis_time_ms() + 60'000;
    (void)replica_.replica->Start(now_ms_);
    // Block 1 of round 1, certified by validators 1, 2 and 3, none of it sent to
    // validator 0.
    const auto genesis = replica_.ledger->GetBlock(0).value();
    block_ = proposer_.engine
                 .Propose({.parent_hash = genesis.hash, .parent_qc = ledger::GenesisCertificate(genesis.hash),
                           .round = 1, .epoch = 0, .proposer = 1, .timestamp_ms = now_ms_})
                 .value();
    qc_.set_epoch(0);
    qc_.set_round(1);
    qc_.set_height(1);
    qc_.set_block_hash(ToBytes(crypto::BlockHash(chain_.chain_id(), block_.header())));
    for (uint32_t v : {1u, 2u, 3u}) {
      v1::ValidatorSignature* s = qc_.add_signatures();
      s->set_validator_index(v);
      s->set_signature(chain_.validator(static_cast<int>(v))
                           .Sign(consensus::VoteMessage(test::ContextOf(chain_), consensus::StatementOf(qc_))));
    }
  }

  // A timeout of round 2 by `sender` carrying the certificate of block 1.
  v1::ConsensusMessage TimeoutCarryingTheCertificate(uint32_t sender) {
    v1::ConsensusMessage message;
    v1::Timeout* timeout = message.mutable_timeout();
    timeout->set_epoch(0);
    timeout->set_round(2);
    *timeout->mutable_high_qc() = qc_;
    timeout->set_sender(sender);
    timeout->set_signature(chain_.validator(static_cast<int>(sender))
                               .Sign(consensus::TimeoutMessage(test::ContextOf(chain_), 2, 1)));
    return message;
  }

  // The peers asked for block 1 among `actions`.
  std::vector<uint32_t> AskedForTheBlock(const consensus::Actions& actions) {
    std::vector<uint32_t> asked;
    for (const auto& action : actions) {
      auto* send = std::get_if<consensus::SendAction>(&action);
      if (send && send->message.has_block_request() && send->message.block_request().block_hash() == qc_.block_hash()) {
        asked.push_back(send->to);
      }
    }
    return asked;
  }

  test::TestChain chain_;
  crypto::DirectVerifier verifier_;
  consensus::RoundRobinLeaders leaders_{4};
  test::ReplicaRig replica_;
  test::ReplicaRig proposer_;
  uint64_t now_ms_ = 0;
  v1::Block block_;
  v1::QuorumCertificate qc_;
};

TEST_F(ReplicaFetchTest, APeerThatDoesNotAnswerIsNotAskedAgainForTheSameBlock) {
  // Validator 2 brings the certificate: it is asked for the block.
  EXPECT_EQ(AskedForTheBlock(replica_.replica->OnMessage(2, TimeoutCarryingTheCertificate(2), now_ms_)),
            std::vector<uint32_t>{2});
  // Within the retry interval nobody is asked again.
  EXPECT_TRUE(AskedForTheBlock(replica_.replica->OnMessage(2, TimeoutCarryingTheCertificate(2), now_ms_ + 100)).empty());
  // Validator 2 never answered; it names itself again, but the next one is asked, and
  // the one after that (never the replica itself).
  EXPECT_EQ(AskedForTheBlock(replica_.replica->OnMessage(2, TimeoutCarryingTheCertificate(2), now_ms_ + 1'000)),
            std::vector<uint32_t>{3});
  EXPECT_EQ(AskedForTheBlock(replica_.replica->OnMessage(3, TimeoutCarryingTheCertificate(3), now_ms_ + 2'000)),
            std::vector<uint32_t>{1});
  // The answer is taken: nothing is outstanding any more.
  v1::ConsensusMessage answer;
  *answer.mutable_block_response()->mutable_block() = block_;
  (void)replica_.replica->OnMessage(1, answer, now_ms_ + 2'100);
  EXPECT_TRUE(AskedForTheBlock(replica_.replica->OnMessage(2, TimeoutCarryingTheCertificate(2), now_ms_ + 5'000)).empty());
}

TEST_F(ReplicaFetchTest, ARestartedVoterStillServesTheBlockItVotedFor) {
  // Validator 0 votes for block 1: the record of the vote carries the block.
  v1::ConsensusMessage proposal;
  *proposal.mutable_proposal()->mutable_block() = block_;
  proposal.mutable_proposal()->set_signature(chain_.validator(1).Sign(
      consensus::ProposalMessage(test::ContextOf(chain_), HashFromBytes(qc_.block_hash()).value())));
  std::optional<consensus::PersistSafetyAction> persisted;
  for (auto& action : replica_.replica->OnMessage(1, proposal, now_ms_)) {
    if (auto* p = std::get_if<consensus::PersistSafetyAction>(&action)) persisted = std::move(*p);
  }
  ASSERT_TRUE(persisted.has_value()) << "no vote";
  ASSERT_TRUE(persisted->voted_block.has_value());
  EXPECT_EQ(persisted->voted_block->header(), block_.header());

  // Restarted from what the driver stored, it answers a request for the block; restarted
  // with the record alone (as before the block was stored), it cannot, and if every
  // honest voter were in that state, no leader could extend the block's certificate.
  v1::ConsensusMessage request;
  request.mutable_block_request()->set_block_hash(qc_.block_hash());
  auto served = [&](std::vector<v1::Block> voted_blocks) {
    test::ReplicaRig restarted(chain_, 0, verifier_, leaders_, {}, persisted->record, std::move(voted_blocks));
    (void)restarted.replica->Start(now_ms_ + 1'000);
    for (const auto& m : test::MessagesOf(restarted.replica->OnMessage(2, request, now_ms_ + 1'100))) {
      if (m.has_block_response() && m.block_response().block().header() == block_.header()) return true;
    }
    return false;
  };
  EXPECT_TRUE(served({*persisted->voted_block}));
  EXPECT_FALSE(served({}));
}

}  // namespace
}  // namespace cairn::node
