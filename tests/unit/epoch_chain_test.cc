// The chain of validator sets as state sync checks it: served by a ledger that went
// through two set changes, proven from genesis alone, and every forged part refused.
#include <gtest/gtest.h>

#include "crypto/domain.h"
#include "crypto/verifier.h"
#include "ledger/governance.h"
#include "ledger/ledger.h"
#include "node/epoch_chain.h"
#include "tests/support/test_chain.h"

namespace cairn::node {
namespace {

class EpochChainTest : public ::testing::Test {
 protected:
  EpochChainTest() : chain_({.admin_threshold = 1, .epoch_length = 4}) {
    ledger_ = ledger::Ledger::Open(std::make_unique<ledger::MemoryStore>(), chain_.genesis()).value();
    // Epoch 1 adds a validator, epoch 2 removes one.
    Change(v1::ValidatorChange::KIND_ADD, "validator-4", &chain_.spare_validator(0));
    Change(v1::ValidatorChange::KIND_REMOVE, "validator-0", nullptr);
  }

  void Change(v1::ValidatorChange::Kind kind, const std::string& name, const crypto::PrivateKey* key) {
    v1::TxBody body;
    v1::ValidatorChange* change = body.mutable_propose_validator_change()->mutable_change();
    change->set_kind(kind);
    change->mutable_validator()->set_name(name);
    if (key != nullptr) {
      change->mutable_validator()->set_public_key(Bytes(key->public_key().bytes()));
      change->mutable_validator()->set_address("127.0.0.1:26100");
    }
    ASSERT_TRUE(chain_.CommitSetChange(*ledger_, body, &admin_nonce_).ok());
  }

  test::TestChain chain_;
  uint64_t admin_nonce_ = 0;
  std::unique_ptr<ledger::Ledger> ledger_;
  crypto::DirectVerifier verifier_;
};

TEST_F(EpochChainTest, TheSetsAreProvenFromGenesisAlone) {
  ASSERT_EQ(ledger_->epoch(), 2u);
  v1::EpochChangesResponse page = BuildEpochChanges(*ledger_, 1);
  ASSERT_TRUE(page.error().empty()) << page.error();
  EXPECT_EQ(page.current_epoch(), 2u);
  ASSERT_EQ(page.changes_size(), 2);
  TrustedEpoch trusted = GenesisEpoch(chain_.genesis());
  for (const v1::EpochChangeProof& proof : page.changes()) {
    auto next = VerifyEpochChange(chain_.chain_id(), trusted, proof, verifier_);
    ASSERT_TRUE(next.ok()) << next.status().message();
    trusted = *next;
  }
  EXPECT_EQ(trusted.epoch, 2u);
  EXPECT_EQ(trusted.validators.SerializeAsString(), ledger_->ValidatorSet(2)->SerializeAsString());
  EXPECT_EQ(trusted.root_height, ledger_->RootOfEpoch(2)->height);
  EXPECT_EQ(trusted.root_hash, ledger_->RootOfEpoch(2)->hash);
  EXPECT_EQ(BuildEpochChanges(*ledger_, 3).changes_size(), 0);
}

// From epoch 0 the page starts with the genesis root: the genesis block's header and the
// governance state its header commits to, which names the genesis set, with no
// certificate. A client that trusts the genesis block's hash starts from it.
TEST_F(EpochChainTest, FromEpochZeroTheGenesisRootComesFirst) {
  v1::EpochChangesResponse page = BuildEpochChanges(*ledger_, 0);
  ASSERT_TRUE(page.error().empty()) << page.error();
  ASSERT_EQ(page.changes_size(), 3);
  const v1::EpochChangeProof& root = page.changes(0);
  const TrustedEpoch epoch0 = GenesisEpoch(chain_.genesis());
  EXPECT_EQ(crypto::BlockHash(chain_.chain_id(), root.header()), epoch0.root_hash);
  v1::BlockHeader header;
  ASSERT_TRUE(header.ParseFromString(root.header()));
  EXPECT_EQ(header.governance_hash(), AsView(ledger::GovernanceHash(chain_.chain_id(), root.governance())));
  EXPECT_EQ(root.governance().SerializeAsString(), epoch0.governance.SerializeAsString());
  EXPECT_FALSE(root.has_finality());
  // The changes after it are the ones a page from epoch 1 holds.
  EXPECT_EQ(page.changes(1).SerializeAsString(), BuildEpochChanges(*ledger_, 1).changes(0).SerializeAsString());
}

TEST_F(EpochChainTest, AForgedChangeIsRefused) {
  const TrustedEpoch genesis = GenesisEpoch(chain_.genesis());
  const v1::EpochChangesResponse page = BuildEpochChanges(*ledger_, 1);
  ASSERT_EQ(page.changes_size(), 2);
  const v1::EpochChangeProof honest = page.changes(0);
  ASSERT_TRUE(VerifyEpochChange(chain_.chain_id(), genesis, honest, verifier_).ok());

  std::vector<std::pair<std::string, v1::EpochChangeProof>> forged;
  v1::EpochChangeProof proof = honest;
  proof.mutable_governance()->mutable_validators()->mutable_validators(0)->set_public_key(
      Bytes(chain_.spare_validator(1).public_key().bytes()));
  forged.emplace_back("a set with another key", proof);
  proof = honest;
  proof.mutable_finality()->mutable_signatures()->RemoveLast();
  proof.mutable_finality()->mutable_signatures()->RemoveLast();
  forged.emplace_back("a certificate short of a quorum", proof);
  proof = honest;
  proof.mutable_finality()->mutable_signatures(0)->mutable_signature()->back() ^= 1;
  forged.emplace_back("a bad signature", proof);
  proof = honest;
  proof.set_header(ledger_->GetBlock(1)->block.header());
  forged.emplace_back("the header of another block", proof);
  forged.emplace_back("the next change, skipping one", page.changes(1));
  for (const auto& [what, change] : forged) {
    auto verified = VerifyEpochChange(chain_.chain_id(), genesis, change, verifier_);
    EXPECT_FALSE(verified.ok()) << what << " was taken";
    EXPECT_EQ(verified.status().code(), StatusCode::kInvalidArgument) << what;
  }
}

}  // namespace
}  // namespace cairn::node
