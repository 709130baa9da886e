// The light client (node/light_client.h) against a node's real answers (rpc/services.cc
// over a ledger that went through three set changes: a validator added, one removed, a
// key rotated) and against each lie a node, or a proxy in front of it, can tell: a
// changed balance with a recomputed proof and root, a header of another chain with the
// same chain id, a certificate with too few or a forged signature, an old state, a set
// change signed by removed validators, a certified block passed off as committed.
#include <gtest/gtest.h>

#include "crypto/domain.h"
#include "ledger/ledger.h"
#include "node/light_client.h"
#include "tests/support/ledger_node.h"
#include "tests/support/test_chain.h"
#include "tests/unit/temp_dir.h"

namespace cairn::node {
namespace {

using Txs = google::protobuf::RepeatedPtrField<v1::Transaction>;

// A fetcher for a client that must not need one.
Result<v1::EpochChangesResponse> NoFetch(uint64_t from) {
  return Status::FailedPrecondition("asked for epoch " + std::to_string(from));
}

Hash TxHashOf(const test::TestChain& chain, const v1::Transaction& tx) {
  return crypto::TxHash(chain.chain_id(), tx.public_key(), tx.signature(), tx.body());
}

class LightClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_ = ledger::Ledger::Open(std::make_unique<ledger::MemoryStore>(), chain_.genesis()).value();
    node_ = std::make_unique<test::LedgerNode>(*ledger_);
    Txs first;
    first_tx_ = chain_.Transfer(chain_.user(0), 1, chain_.user(1), 10);
    *first.Add() = first_tx_;
    ASSERT_TRUE(chain_.CommitBlock(*ledger_, first, /*with_finality=*/true).ok());
    epoch0_account_ = node_->Account(chain_.user(1));

    v1::TxBody add, remove;
    v1::ValidatorChange* added = add.mutable_propose_validator_change()->mutable_change();
    added->set_kind(v1::ValidatorChange::KIND_ADD);
    added->mutable_validator()->set_name("validator-4");
    added->mutable_validator()->set_public_key(Bytes(chain_.spare_validator(0).public_key().bytes()));
    added->mutable_validator()->set_address("127.0.0.1:26100");
    v1::ValidatorChange* removed = remove.mutable_propose_validator_change()->mutable_change();
    removed->set_kind(v1::ValidatorChange::KIND_REMOVE);
    removed->mutable_validator()->set_name("validator-0");
    uint64_t nonce = 0;
    ASSERT_TRUE(chain_.CommitSetChange(*ledger_, add, &nonce).ok());
    ASSERT_TRUE(chain_.CommitSetChange(*ledger_, remove, &nonce).ok());
    ASSERT_TRUE(chain_.CommitSetChange(
                          *ledger_, chain_.KeyRotation("validator-1", chain_.validator(1), chain_.spare_validator(1), 2), &nonce)
                    .ok());
    ASSERT_EQ(ledger_->epoch(), 3u);
    Txs last;
    *last.Add() = chain_.Transfer(chain_.user(0), 2, chain_.user(1), 10);
    ASSERT_TRUE(chain_.CommitBlock(*ledger_, last, /*with_finality=*/true).ok());
  }

  LightClient Fresh() const { return LightClient::FromGenesis(chain_.genesis()); }

  template <class T>
  static void ExpectRefused(const Result<T>& verified, const std::string& want) {
    ASSERT_FALSE(verified.ok()) << "the lie was believed";
    EXPECT_EQ(verified.status().code(), StatusCode::kInvalidArgument) << verified.status().ToString();
    EXPECT_NE(verified.status().message().find(want), std::string::npos) << verified.status().ToString();
  }

  test::TestChain chain_{{.admin_threshold = 1, .epoch_length = 3}};
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<test::LedgerNode> node_;
  v1::Transaction first_tx_;
  v1::GetAccountResponse epoch0_account_;
};

TEST_F(LightClientTest, ReadsOfEveryEpochPassFromGenesisAndTheStoreSavesTheWalk) {
  LightClient client = Fresh();
  auto account = client.VerifyAccount(node_->Account(chain_.user(1)), node_->Fetcher(), {});
  ASSERT_TRUE(account.ok()) << account.status().ToString();
  EXPECT_EQ(account->header.height(), ledger_->height());
  EXPECT_EQ(account->header.epoch(), 3u);
  EXPECT_EQ(account->signers, 3u);
  EXPECT_EQ(account->set_size, 4u);
  EXPECT_EQ(client.latest_epoch(), 3u) << "the walk proved every set change, the key rotation's too";

  // The store holds the walk: reloaded, the next reads (of the head, of a transaction
  // of epoch 0, of a block of epoch 1) need no epoch change.
  test::TempDir dir;
  ASSERT_TRUE(client.Save(dir.path() + "/chain.trust").ok());
  LightClient reloaded = LightClient::Load(dir.path() + "/chain.trust").value();
  EXPECT_EQ(reloaded.latest_height(), ledger_->height());
  EXPECT_TRUE(reloaded.VerifyAccount(node_->Account(chain_.user(1)), NoFetch, {}).ok());
  auto tx = reloaded.VerifyTransaction(node_->Transaction(TxHashOf(chain_, first_tx_)), NoFetch);
  ASSERT_TRUE(tx.ok()) << tx.status().ToString();
  EXPECT_EQ(tx->header.epoch(), 0u);
  const uint64_t in_epoch1 = ledger_->RootOfEpoch(1)->height + 1;
  auto block = reloaded.VerifyBlock(node_->Block(in_epoch1), NoFetch);
  ASSERT_TRUE(block.ok()) << block.status().ToString();
  EXPECT_EQ(block->header.epoch(), 1u);
  // The genesis block is the root itself (its header has no evidence root).
  auto genesis = reloaded.VerifyBlock(node_->Block(0), NoFetch);
  ASSERT_TRUE(genesis.ok()) << genesis.status().ToString();
  EXPECT_EQ(genesis->hash, reloaded.root_hash());
}

TEST_F(LightClientTest, RefusesAChangedBalanceWithARecomputedProofAndRoot) {
  // The liar's state: the same chain where user 1 got more. Its root, proof and header
  // agree with each other; only the validators' certificate is out of its reach.
  auto forked = ledger::Ledger::Open(std::make_unique<ledger::MemoryStore>(), chain_.genesis()).value();
  Txs more;
  *more.Add() = chain_.Transfer(chain_.user(0), 1, chain_.user(1), 5000);
  ASSERT_TRUE(chain_.CommitBlock(*forked, more, true).ok());
  test::LedgerNode liar(*forked);
  v1::GetAccountResponse lie = liar.Account(chain_.user(1));
  const v1::GetAccountResponse honest = epoch0_account_;
  ASSERT_NE(lie.account().SerializeAsString(), honest.account().SerializeAsString());
  *lie.mutable_commit_proof() = honest.commit_proof();
  LightClient client = Fresh();
  ExpectRefused(client.VerifyAccount(lie, node_->Fetcher(), {}), "is not proven committed");
  // The honest answer of the same height passes.
  EXPECT_TRUE(Fresh().VerifyAccount(honest, NoFetch, {}).ok());
}

TEST_F(LightClientTest, RefusesAnAccountOrAResultShownThatIsNotTheOneProven) {
  v1::GetAccountResponse account = node_->Account(chain_.user(1));
  account.mutable_account()->mutable_balances(0)->set_amount(account.account().balances(0).amount() + 1'000'000);
  ExpectRefused(Fresh().VerifyAccount(account, node_->Fetcher(), {}), "the account shown is not the account proven");
  v1::GetTransactionResponse tx = node_->Transaction(TxHashOf(chain_, first_tx_));
  ASSERT_TRUE(Fresh().VerifyTransaction(tx, node_->Fetcher()).ok());
  tx.mutable_receipt()->set_message("paid in full");
  ExpectRefused(Fresh().VerifyTransaction(tx, node_->Fetcher()), "the result is not proven");
}

TEST_F(LightClientTest, RefusesAHeaderOfAnotherChainWithTheSameChainId) {
  test::TestChain other({.validator_key_label = "other-validator-"});
  ASSERT_EQ(other.chain_id(), chain_.chain_id());
  auto ledger = ledger::Ledger::Open(std::make_unique<ledger::MemoryStore>(), other.genesis()).value();
  ASSERT_TRUE(other.CommitBlock(*ledger, {}, true).ok());
  test::LedgerNode liar(*ledger);
  LightClient client = Fresh();
  ExpectRefused(client.VerifyAccount(liar.Account(other.user(1)), liar.Fetcher(), {}), "its commit certificate");
  ExpectRefused(client.VerifyBlock(liar.Block(1), liar.Fetcher()), "its commit certificate");
}

TEST_F(LightClientTest, RefusesACertificateWithTooFewOrAForgedSignature) {
  const v1::GetAccountResponse honest = node_->Account(chain_.user(1));
  ASSERT_TRUE(Fresh().VerifyAccount(honest, node_->Fetcher(), {}).ok());
  v1::GetAccountResponse too_few = honest;
  too_few.mutable_commit_proof()->mutable_finality()->mutable_signatures()->RemoveLast();
  ExpectRefused(Fresh().VerifyAccount(too_few, node_->Fetcher(), {}), "its commit certificate");
  v1::GetAccountResponse forged = honest;
  std::string* signature = forged.mutable_commit_proof()->mutable_finality()->mutable_signatures(1)->mutable_signature();
  (*signature)[5] ^= 1;
  ExpectRefused(Fresh().VerifyAccount(forged, node_->Fetcher(), {}), "its commit certificate");
}

TEST_F(LightClientTest, RefusesAnOldStateOnceALaterEpochIsProvenOrWhenItIsTooOld) {
  LightClient client = Fresh();
  ASSERT_TRUE(client.VerifyAccount(node_->Account(chain_.user(1)), node_->Fetcher(), {}).ok());
  // Epoch 0's state, honestly certified then, is not the state now.
  ExpectRefused(client.VerifyAccount(epoch0_account_, node_->Fetcher(), {}), "epoch 3 has begun since");
  // A client that has not seen the later epochs refuses it by its age.
  v1::BlockHeader header;
  ASSERT_TRUE(header.ParseFromString(epoch0_account_.block_header()));
  const Freshness ten_minutes_later{header.timestamp_ms() + 600'000, 300'000};
  ExpectRefused(Fresh().VerifyAccount(epoch0_account_, NoFetch, ten_minutes_later), "600 s ago");
  EXPECT_TRUE(Fresh().VerifyAccount(epoch0_account_, NoFetch, {header.timestamp_ms() + 60'000, 300'000}).ok());
}

TEST_F(LightClientTest, RefusesASetChangeSignedByTheValidatorsItRemoved) {
  // The change to epoch 3 (the key rotation), re-signed by epoch 1's set, to which the
  // removed validator-0 belonged: epoch 2's set must sign it.
  const v1::ValidatorSet epoch1 = ledger_->ValidatorSet(1).value();
  ASSERT_EQ(epoch1.validators(0).name(), "validator-0");
  auto lying = [&](uint64_t from) -> Result<v1::EpochChangesResponse> {
    v1::EpochChangesResponse page = BuildEpochChanges(*ledger_, from);
    for (v1::EpochChangeProof& change : *page.mutable_changes()) {
      if (change.governance().epoch() == 3) *change.mutable_finality() = chain_.SignStatement(change.finality(), epoch1, {0, 1, 2});
    }
    return page;
  };
  LightClient client = Fresh();
  ExpectRefused(client.VerifyAccount(node_->Account(chain_.user(1)), lying, {}), "the change to epoch 3: the certificate");
  EXPECT_EQ(client.latest_epoch(), 2u) << "the changes before the forged one stay proven";
}

TEST_F(LightClientTest, RefusesACertifiedBlockPassedOffAsCommitted) {
  // A block's own certificate proves a quorum voted for it, not that it committed.
  const uint64_t height = ledger_->height() - 1;
  v1::GetBlockResponse block = node_->Block(height);
  ASSERT_TRUE(Fresh().VerifyBlock(block, node_->Fetcher()).ok());
  *block.mutable_commit_proof()->mutable_finality() = block.certificate();
  block.mutable_commit_proof()->clear_descendant_headers();
  ExpectRefused(Fresh().VerifyBlock(block, node_->Fetcher()), "is not proven committed");
}

TEST_F(LightClientTest, ABlockCommittedAsAnAncestorIsProvenThroughTheHeadersAfterIt) {
  const uint64_t height = ledger_->height() - 3;
  v1::GetBlockResponse block = node_->Block(height);
  v1::CommitProof through_descendants;
  for (uint64_t h = height + 1; h <= height + 2; ++h) *through_descendants.add_descendant_headers() = node_->Block(h).block().header();
  *through_descendants.mutable_finality() = node_->Block(height + 2).commit_proof().finality();
  *block.mutable_commit_proof() = through_descendants;
  auto verified = Fresh().VerifyBlock(block, node_->Fetcher());
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_EQ(verified->header.height(), height);
  // A header out of the chain breaks the link.
  std::swap(*block.mutable_commit_proof()->mutable_descendant_headers(0), *block.mutable_commit_proof()->mutable_descendant_headers(1));
  ExpectRefused(Fresh().VerifyBlock(block, node_->Fetcher()), "not a chain of its epoch after it");
}

TEST_F(LightClientTest, ACheckpointAtAnEpochsLastBlockStandsForTheWalkBeforeIt) {
  const ledger::EpochRoot root = ledger_->RootOfEpoch(2).value();
  const v1::EpochChangeProof change = BuildEpochChanges(*ledger_, 2).changes(0);
  auto client = LightClient::FromCheckpoint(chain_.chain_id(), root.height, root.hash, change);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  EXPECT_EQ(client->first_epoch(), 2u);
  EXPECT_TRUE(client->VerifyAccount(node_->Account(chain_.user(1)), node_->Fetcher(), {}).ok());
  ExpectRefused(client->VerifyTransaction(node_->Transaction(TxHashOf(chain_, first_tx_)), node_->Fetcher()),
                "before this client's checkpoint");
  // A block that ends no epoch is no checkpoint: said so, not hit or miss.
  const v1::GetBlockResponse middle = node_->Block(root.height - 1);
  auto refused = LightClient::FromCheckpoint(chain_.chain_id(), root.height - 1, HashFromBytes(middle.hash()).value(), change);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("is not the genesis block or the last block of an epoch"), std::string::npos)
      << refused.status().ToString();
}

// The genesis block by its hash (`cairn epochs` prints 0:HASH) is a checkpoint too: its
// set comes from the genesis root the node gives, taken only as it hashes to HASH.
TEST_F(LightClientTest, TheGenesisBlockIsACheckpoint) {
  const v1::EpochChangeProof root = BuildEpochChanges(*ledger_, 0).changes(0);
  const Hash genesis = GenesisEpoch(chain_.genesis()).root_hash;
  auto client = LightClient::FromCheckpoint(chain_.chain_id(), 0, genesis, root);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  EXPECT_EQ(client->first_epoch(), 0u);
  auto account = client->VerifyAccount(node_->Account(chain_.user(1)), node_->Fetcher(), {});
  ASSERT_TRUE(account.ok()) << account.status().ToString();
  EXPECT_EQ(client->latest_epoch(), 3u);
  // The same root with another set (the first change's) is refused.
  v1::EpochChangeProof forged = root;
  *forged.mutable_governance() = BuildEpochChanges(*ledger_, 1).changes(0).governance();
  forged.mutable_governance()->set_epoch(0);
  ExpectRefused(LightClient::FromCheckpoint(chain_.chain_id(), 0, genesis, forged), "is not the one its header commits to");
}

}  // namespace
}  // namespace cairn::node
