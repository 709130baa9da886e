#include <atomic>
#include <filesystem>
#include <limits>
#include <thread>

#include <gtest/gtest.h>

#include "crypto/domain.h"
#include "crypto/merkle.h"
#include "ledger/genesis.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "tests/support/state_records.h"
#include "tests/support/test_chain.h"
#include "tests/unit/temp_dir.h"

namespace cairn::ledger {
namespace {

using Txs = google::protobuf::RepeatedPtrField<v1::Transaction>;

Txs TxList(std::initializer_list<v1::Transaction> txs) {
  Txs out;
  for (const auto& tx : txs) *out.Add() = tx;
  return out;
}

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = std::make_unique<MemoryStore>();
    store_ = store.get();
    auto opened = Ledger::Open(std::move(store), chain_.genesis());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    ledger_ = std::move(opened).value();
  }

  uint64_t Balance(const crypto::PrivateKey& key) {
    auto view = ledger_->GetAccount(test::TestChain::AddressOf(key));
    return view->account ? BalanceOf(*view->account, "CAIRN") : 0;
  }
  uint64_t Nonce(const crypto::PrivateKey& key) {
    return ledger_->GetAccount(test::TestChain::AddressOf(key))->account->nonce();
  }
  v1::Receipt ReceiptOf(const v1::Transaction& tx) {
    Hash hash = crypto::TxHash(chain_.chain_id(), tx.public_key(), tx.signature(), tx.body());
    return ledger_->GetTransaction(hash)->receipt;
  }
  // Asserts that the ledger did not move: same height, head, and state root.
  void ExpectUnchanged(uint64_t height, const Hash& root) {
    EXPECT_EQ(ledger_->height(), height);
    EXPECT_EQ(ledger_->state_root(), root);
  }
  BlockTemplate NextTemplate(Txs txs) {
    BlockTemplate t;
    t.round = ledger_->head_header().round() + 1;
    t.timestamp_ms = ledger_->head_header().timestamp_ms() + 1;
    t.parent_qc = chain_.HeadCertificate(*ledger_).value();
    t.transactions = std::move(txs);
    return t;
  }

  test::TestChain chain_;
  MemoryStore* store_ = nullptr;
  std::unique_ptr<Ledger> ledger_;
};

TEST_F(LedgerTest, OpensAtGenesis) {
  EXPECT_EQ(ledger_->height(), 0u);
  EXPECT_EQ(Balance(chain_.user(0)), 1'000'000u);
  auto genesis_block = ledger_->GetBlock(0);
  ASSERT_TRUE(genesis_block.ok());
  EXPECT_EQ(genesis_block->header.parent_hash(), AsView(GenesisHash(chain_.genesis())));
  EXPECT_EQ(genesis_block->header.state_root(), AsView(ledger_->state_root()));
  EXPECT_FALSE(genesis_block->certificate.has_value());
  auto set = ledger_->ValidatorSet(0);
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->validators_size(), 4);
}

TEST_F(LedgerTest, TransferCommitsWithReceiptAndProofs) {
  v1::Transaction tx = chain_.Transfer(chain_.user(0), 1, chain_.user(1), 250);
  ASSERT_TRUE(chain_.CommitBlock(*ledger_, TxList({tx})).ok());
  EXPECT_EQ(ledger_->height(), 1u);
  EXPECT_EQ(Balance(chain_.user(0)), 1'000'000u - 250);
  EXPECT_EQ(Balance(chain_.user(1)), 1'000'000u + 250);
  EXPECT_EQ(Nonce(chain_.user(0)), 1u);

  Hash hash = crypto::TxHash(chain_.chain_id(), tx.public_key(), tx.signature(), tx.body());
  auto stored = ledger_->GetTransaction(hash);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(stored->receipt.result(), v1::TX_OK);
  EXPECT_EQ(stored->receipt.height(), 1u);
  Hash tx_root = HashFromBytes(stored->header.tx_root()).value();
  EXPECT_TRUE(crypto::VerifyMerkleInclusion(hash, stored->receipt.index(), stored->block_tx_count,
                                            stored->inclusion_proof, tx_root));

  // The account proof checks against the state root in the committed header alone.
  auto block = ledger_->GetBlock(1);
  ASSERT_TRUE(block.ok());
  ASSERT_TRUE(block->certificate.has_value());
  EXPECT_EQ(block->certificate->block_hash(), AsView(block->hash));
  Hash state_root = HashFromBytes(block->header.state_root()).value();
  Bytes address = test::TestChain::AddressOf(chain_.user(1));
  auto view = ledger_->GetAccount(address);
  EXPECT_TRUE(VerifyAccountProof(state_root, address, view->account_bytes, view->proof));
  EXPECT_FALSE(VerifyAccountProof(state_root, test::TestChain::AddressOf(chain_.user(2)),
                                  view->account_bytes, view->proof));
  // A forged balance fails the proof.
  v1::Account forged = *view->account;
  forged.mutable_balances(0)->set_amount(999'999'999);
  EXPECT_FALSE(VerifyAccountProof(state_root, address, forged.SerializeAsString(), view->proof));
  // Absence of an unknown account is provable too.
  Bytes stranger = test::TestChain::AddressOf(test::KeyFromLabel("stranger"));
  auto absent = ledger_->GetAccount(stranger);
  EXPECT_FALSE(absent->account.has_value());
  EXPECT_TRUE(VerifyAccountProof(state_root, stranger, "", absent->proof));
}

TEST_F(LedgerTest, ExecutionFailuresGetReceiptsAndUseTheirNonce) {
  v1::Transaction too_much = chain_.Transfer(chain_.user(0), 1, chain_.user(1), 2'000'000);
  v1::TxBody mint;
  mint.mutable_mint()->set_to(test::TestChain::AddressOf(chain_.user(0)));
  mint.mutable_mint()->set_asset("CAIRN");
  mint.mutable_mint()->set_amount(5);
  v1::Transaction user_mints = chain_.Sign(chain_.user(1), 1, mint);
  v1::Transaction to_stranger = chain_.Transfer(chain_.user(2), 1, test::KeyFromLabel("stranger"), 1);
  Hash root = ledger_->state_root();
  ASSERT_TRUE(chain_.CommitBlock(*ledger_, TxList({too_much, user_mints, to_stranger})).ok());
  EXPECT_EQ(ReceiptOf(too_much).result(), v1::TX_INSUFFICIENT_FUNDS);
  EXPECT_EQ(ReceiptOf(user_mints).result(), v1::TX_PERMISSION_DENIED);
  EXPECT_EQ(ReceiptOf(to_stranger).result(), v1::TX_UNKNOWN_ACCOUNT);
  EXPECT_FALSE(ReceiptOf(too_much).message().empty());
  // Nonces are used; balances did not move; the state root changed only by the nonces.
  EXPECT_EQ(Nonce(chain_.user(0)), 1u);
  EXPECT_EQ(Nonce(chain_.user(1)), 1u);
  EXPECT_EQ(Balance(chain_.user(0)), 1'000'000u);
  EXPECT_EQ(Balance(chain_.user(1)), 1'000'000u);
  EXPECT_NE(ledger_->state_root(), root);
}

TEST_F(LedgerTest, AdminAndIssuerOperations) {
  crypto::PrivateKey newcomer = test::KeyFromLabel("newcomer");
  v1::TxBody create;
  create.mutable_create_account()->set_public_key(Bytes(newcomer.public_key().bytes()));
  create.mutable_create_account()->set_role(v1::ROLE_USER);
  v1::TxBody mint;
  mint.mutable_mint()->set_to(test::TestChain::AddressOf(newcomer));
  mint.mutable_mint()->set_asset("GOLD");
  mint.mutable_mint()->set_amount(std::numeric_limits<uint64_t>::max());
  v1::TxBody mint_more = mint;
  mint_more.mutable_mint()->set_amount(1);
  v1::TxBody promote;
  promote.mutable_set_role()->set_account(test::TestChain::AddressOf(newcomer));
  promote.mutable_set_role()->set_role(v1::ROLE_ISSUER);
  v1::Transaction created = chain_.Sign(chain_.admin(), 1, create);
  v1::Transaction created_again = chain_.Sign(chain_.admin(), 2, create);
  v1::Transaction minted = chain_.Sign(chain_.issuer(), 1, mint);
  v1::Transaction overflow = chain_.Sign(chain_.issuer(), 2, mint_more);
  v1::Transaction promoted = chain_.Sign(chain_.admin(), 3, promote);
  v1::Transaction user_promotes = chain_.Sign(chain_.user(0), 1, promote);
  ASSERT_TRUE(chain_.CommitBlock(*ledger_, TxList({created, created_again, minted, overflow,
                                                   promoted, user_promotes})).ok());
  EXPECT_EQ(ReceiptOf(created).result(), v1::TX_OK);
  EXPECT_EQ(ReceiptOf(created_again).result(), v1::TX_ACCOUNT_EXISTS);
  EXPECT_EQ(ReceiptOf(minted).result(), v1::TX_OK);
  EXPECT_EQ(ReceiptOf(overflow).result(), v1::TX_OVERFLOW);
  EXPECT_EQ(ReceiptOf(promoted).result(), v1::TX_OK);
  EXPECT_EQ(ReceiptOf(user_promotes).result(), v1::TX_PERMISSION_DENIED);
  auto view = ledger_->GetAccount(test::TestChain::AddressOf(newcomer));
  ASSERT_TRUE(view->account.has_value());
  EXPECT_EQ(view->account->role(), v1::ROLE_ISSUER);
  EXPECT_EQ(BalanceOf(*view->account, "GOLD"), std::numeric_limits<uint64_t>::max());
}

TEST_F(LedgerTest, ReplayedSkippedAndUnknownSenderNeverEnterABlock) {
  ASSERT_TRUE(chain_.CommitBlock(*ledger_, TxList({chain_.Transfer(chain_.user(0), 1, chain_.user(1), 1)})).ok());
  const uint64_t height = ledger_->height();
  const Hash root = ledger_->state_root();
  auto replay = ledger_->ProposeBlock(NextTemplate(TxList({chain_.Transfer(chain_.user(0), 1, chain_.user(1), 1)})));
  EXPECT_EQ(replay.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(replay.status().message().find("expected 2"), std::string::npos) << replay.status().ToString();
  auto skip = ledger_->ProposeBlock(NextTemplate(TxList({chain_.Transfer(chain_.user(0), 3, chain_.user(1), 1)})));
  EXPECT_EQ(skip.status().code(), StatusCode::kFailedPrecondition);
  // The same transaction twice in one block: the second is a replay.
  v1::Transaction tx = chain_.Transfer(chain_.user(0), 2, chain_.user(1), 1);
  EXPECT_FALSE(ledger_->ProposeBlock(NextTemplate(TxList({tx, tx}))).ok());
  auto stranger = ledger_->ProposeBlock(
      NextTemplate(TxList({chain_.Transfer(test::KeyFromLabel("stranger"), 1, chain_.user(1), 1)})));
  EXPECT_NE(stranger.status().message().find("has no account"), std::string::npos);
  ExpectUnchanged(height, root);
}

TEST_F(LedgerTest, TamperedBlocksAreRejectedAndChangeNothing) {
  auto proposed = ledger_->ProposeBlock(NextTemplate(TxList({chain_.Transfer(chain_.user(0), 1, chain_.user(1), 7)})));
  ASSERT_TRUE(proposed.ok());
  const v1::Block* block = &proposed->block;
  const Hash root = ledger_->state_root();
  auto with_header = [&](auto mutate) {
    v1::Block copy = *block;
    v1::BlockHeader header;
    header.ParseFromString(copy.header());
    mutate(header);
    copy.set_header(header.SerializeAsString());
    return ledger_->Execute(copy).status();
  };
  EXPECT_NE(with_header([](v1::BlockHeader& h) { h.mutable_state_root()->at(0) ^= 1; }).message().find("state_root"), std::string::npos);
  EXPECT_NE(with_header([](v1::BlockHeader& h) { h.mutable_tx_root()->at(0) ^= 1; }).message().find("tx_root"), std::string::npos);
  EXPECT_NE(with_header([](v1::BlockHeader& h) { h.mutable_receipts_root()->at(0) ^= 1; }).message().find("receipts_root"), std::string::npos);
  EXPECT_EQ(with_header([](v1::BlockHeader& h) { h.set_height(5); }).code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(with_header([](v1::BlockHeader& h) { h.mutable_parent_hash()->at(3) ^= 1; }).ok());
  EXPECT_FALSE(with_header([](v1::BlockHeader& h) { h.set_epoch(3); }).ok());

  v1::Block bad_tx = *block;
  bad_tx.mutable_transactions(0)->mutable_signature()->at(0) ^= 1;
  EXPECT_NE(ledger_->Execute(bad_tx).status().message().find("transaction 0"), std::string::npos);
  v1::Block garbage = *block;
  garbage.set_header("\x08\xff\xff");
  EXPECT_EQ(ledger_->Execute(garbage).status().code(), StatusCode::kInvalidArgument);
  v1::Block wrong_qc = *block;
  wrong_qc.mutable_parent_qc()->set_height(9);
  EXPECT_FALSE(ledger_->Execute(wrong_qc).ok());

  // A certificate for another block is refused at commit.
  auto executed = ledger_->Execute(*block);
  ASSERT_TRUE(executed.ok()) << executed.status().ToString();
  v1::QuorumCertificate qc = chain_.Certify(*block);
  qc.mutable_block_hash()->at(0) ^= 1;
  EXPECT_EQ(ledger_->Commit(*executed, qc).code(), StatusCode::kInvalidArgument);
  ExpectUnchanged(0, root);
  // And the untampered block commits.
  EXPECT_TRUE(ledger_->Commit(*executed, chain_.Certify(*block)).ok());
  // The same executed block cannot commit twice.
  EXPECT_EQ(ledger_->Commit(*executed, chain_.Certify(*block)).code(), StatusCode::kFailedPrecondition);
}

TEST_F(LedgerTest, BadTemplatesAndMismatchedCertificatesAreRefused) {
  Txs txs = TxList({chain_.Transfer(chain_.user(0), 1, chain_.user(1), 7)});
  BlockTemplate t = NextTemplate(txs);
  t.round = 0;  // not above the parent's round
  EXPECT_NE(ledger_->ProposeBlock(t).status().message().find("round"), std::string::npos);
  t = NextTemplate(txs);
  t.parent_qc.mutable_block_hash()->at(0) ^= 1;
  EXPECT_FALSE(ledger_->ProposeBlock(t).ok());
  t = NextTemplate(txs);
  t.timestamp_ms = 1;  // earlier than the genesis time
  EXPECT_NE(ledger_->ProposeBlock(t).status().message().find("timestamp"), std::string::npos);

  auto proposed = ledger_->ProposeBlock(NextTemplate(txs));
  ASSERT_TRUE(proposed.ok());
  for (auto mutate : {+[](v1::QuorumCertificate& qc) { qc.set_round(qc.round() + 1); },
                      +[](v1::QuorumCertificate& qc) { qc.set_height(7); },
                      +[](v1::QuorumCertificate& qc) { qc.set_epoch(1); }}) {
    v1::QuorumCertificate qc = chain_.Certify(proposed->block);
    mutate(qc);
    EXPECT_EQ(ledger_->Commit(*proposed, qc).code(), StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(ledger_->height(), 0u);
}

TEST_F(LedgerTest, HistoryNamesSenderAndRecipient) {
  v1::Transaction tx = chain_.Transfer(chain_.user(0), 1, chain_.user(1), 3);
  ASSERT_TRUE(chain_.CommitBlock(*ledger_, TxList({tx})).ok());
  Hash hash = crypto::TxHash(chain_.chain_id(), tx.public_key(), tx.signature(), tx.body());
  for (int user : {0, 1}) {
    auto page = ledger_->GetAccountHistory(test::TestChain::AddressOf(chain_.user(user)), std::nullopt, 10);
    ASSERT_EQ(page->entries.size(), 1u);
    EXPECT_EQ(page->entries[0].tx_hash(), AsView(hash));
  }
}

TEST_F(LedgerTest, FailedWriteChangesNothingAndLaterWritesFail) {
  const Hash root = ledger_->state_root();
  store_->TEST_FailWrites(Status::IoError("disk full"));
  Status status = chain_.CommitBlock(*ledger_, TxList({chain_.Transfer(chain_.user(0), 1, chain_.user(1), 1)}));
  EXPECT_EQ(status.code(), StatusCode::kIoError);
  EXPECT_NE(status.message().find("committing block 1"), std::string::npos);
  ExpectUnchanged(0, root);
  EXPECT_EQ(Balance(chain_.user(0)), 1'000'000u);
  EXPECT_FALSE(ledger_->GetBlock(1).ok());
}

// A full disk: the commit fails, Reload refuses while writes still fail, and once
// they go through the ledger commits again from the same head, without loss.
TEST_F(LedgerTest, CommitChainWritesConsecutiveBlocksAtOnceOrNothing) {
  auto first = ledger_->ProposeBlock(NextTemplate(TxList({chain_.Transfer(chain_.user(0), 1, chain_.user(1), 5)})));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  BlockTemplate t = NextTemplate(TxList({chain_.Transfer(chain_.user(0), 2, chain_.user(1), 7)}));
  t.round = first->header.round() + 1;
  t.timestamp_ms = first->header.timestamp_ms() + 1;
  t.parent_qc = chain_.Certify(first->block);
  const ExecutedBlock* pending[] = {&*first};
  auto second = ledger_->ProposeBlock(t, pending);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  const v1::QuorumCertificate first_qc = chain_.Certify(first->block);
  const v1::QuorumCertificate second_qc = chain_.Certify(second->block, ToBytes(first->hash));
  const Hash root = ledger_->state_root();
  const size_t synced = store_->TEST_synced_writes();

  // The second block with the first one's certificate: the first is not written either.
  const BlockToCommit wrong[] = {{&*first, &first_qc, nullptr}, {&*second, &first_qc, nullptr}};
  Status refused = ledger_->CommitChain(wrong);
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument) << refused.ToString();
  ExpectUnchanged(0, root);
  EXPECT_FALSE(ledger_->GetBlock(1).ok());
  EXPECT_EQ(store_->TEST_synced_writes(), synced);

  // Out of order: the second block does not build on the head.
  const BlockToCommit reversed[] = {{&*second, &second_qc, nullptr}, {&*first, &first_qc, nullptr}};
  EXPECT_EQ(ledger_->CommitChain(reversed).code(), StatusCode::kFailedPrecondition);
  ExpectUnchanged(0, root);

  const BlockToCommit both[] = {{&*first, &first_qc, nullptr}, {&*second, &second_qc, nullptr}};
  ASSERT_TRUE(ledger_->CommitChain(both).ok());
  EXPECT_EQ(store_->TEST_synced_writes(), synced + 1);
  EXPECT_EQ(ledger_->height(), 2u);
  EXPECT_EQ(ledger_->head_hash(), second->hash);
  EXPECT_EQ(ledger_->state_root(), second->state_after.root());
  EXPECT_EQ(Balance(chain_.user(1)), 1'000'000u + 12);
  EXPECT_EQ(ReceiptOf(chain_.Transfer(chain_.user(0), 1, chain_.user(1), 5)).height(), 1u);
  // Both versions of the state tree are on disk: the first block's state stays provable.
  auto first_state = ledger_->StateAt(1);
  ASSERT_TRUE(first_state.ok()) << first_state.status().ToString();
  EXPECT_EQ(first_state->root(), first->state_after.root());
}

TEST_F(LedgerTest, ReloadResumesCommitsOnceWritesGoThroughAgain) {
  ASSERT_TRUE(chain_.CommitBlock(*ledger_, TxList({chain_.Transfer(chain_.user(0), 1, chain_.user(1), 1)})).ok());
  store_->TEST_FailWrites(Status::IoError("disk full"));
  EXPECT_FALSE(chain_.CommitBlock(*ledger_, TxList({chain_.Transfer(chain_.user(0), 2, chain_.user(1), 1)})).ok());
  EXPECT_EQ(ledger_->Reload().code(), StatusCode::kIoError) << "the probe write must fail while the disk is full";
  store_->TEST_FailWrites(Status::Ok());  // space is back
  ASSERT_TRUE(ledger_->Reload().ok());
  EXPECT_EQ(ledger_->height(), 1u);
  ASSERT_TRUE(chain_.CommitBlock(*ledger_, TxList({chain_.Transfer(chain_.user(0), 2, chain_.user(1), 1)})).ok());
  EXPECT_EQ(ledger_->height(), 2u);
  EXPECT_EQ(Balance(chain_.user(0)), 1'000'000u - 2);
}

TEST_F(LedgerTest, AccountHistoryPages) {
  for (uint64_t nonce = 1; nonce <= 5; ++nonce) {
    ASSERT_TRUE(chain_.CommitBlock(*ledger_, TxList({chain_.Transfer(chain_.user(0), nonce, chain_.user(1), 1)})).ok());
  }
  Bytes address = test::TestChain::AddressOf(chain_.user(1));
  auto first = ledger_->GetAccountHistory(address, std::nullopt, 2);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->entries.size(), 2u);
  EXPECT_EQ(first->entries[0].height(), 1u);
  ASSERT_TRUE(first->next_after.has_value());
  auto second = ledger_->GetAccountHistory(address, first->next_after, 10);
  ASSERT_EQ(second->entries.size(), 3u);
  EXPECT_EQ(second->entries[0].height(), 3u);
  EXPECT_FALSE(second->next_after.has_value());
  EXPECT_FALSE(ledger_->GetAccountHistory(address, std::nullopt, 0).ok());
  EXPECT_FALSE(ledger_->GetAccountHistory("short", std::nullopt, 10).ok());
  EXPECT_TRUE(ledger_->GetAccountHistory(test::TestChain::AddressOf(chain_.user(5)), std::nullopt, 10)->entries.empty());
}

TEST_F(LedgerTest, SafetyRecordRoundTrips) {
  EXPECT_FALSE(ledger_->LoadSafetyRecord()->has_value());
  v1::SafetyRecord record;
  record.set_highest_voted_round(7);
  record.set_highest_qc_round(6);
  ASSERT_TRUE(ledger_->SaveSafetyRecord(record).ok());
  auto loaded = ledger_->LoadSafetyRecord();
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ((*loaded)->highest_voted_round(), 7u);
}

TEST_F(LedgerTest, CommittedNonceReadsTheRecordAlone) {
  const Bytes sender = test::TestChain::AddressOf(chain_.user(0));
  EXPECT_EQ(ledger_->CommittedNonce(sender).value(), 0u);
  ASSERT_TRUE(chain_.CommitBlock(*ledger_, TxList({chain_.Transfer(chain_.user(0), 1, chain_.user(1), 5),
                                                   chain_.Transfer(chain_.user(0), 2, chain_.user(1), 5)})).ok());
  EXPECT_EQ(ledger_->CommittedNonce(sender).value(), 2u);
  EXPECT_EQ(ledger_->CommittedNonce(Bytes(20, 'x')).value(), 0u);  // no such account
}

TEST_F(LedgerTest, KeepsTheFinalityProofOfDirectlyCommittedBlocks) {
  ASSERT_TRUE(chain_.CommitBlock(*ledger_, {}).ok());
  ASSERT_TRUE(chain_.CommitBlock(*ledger_, {}).ok());
  // Block 1's proof is block 2's certificate, which names it; the head has none yet.
  auto proof1 = ledger_->FinalityProof(1);
  ASSERT_TRUE(proof1.ok() && proof1->has_value());
  EXPECT_EQ((*proof1)->commit_hash(), ToBytes(ledger_->GetBlock(1)->hash));
  EXPECT_FALSE(ledger_->FinalityProof(2)->has_value());
  EXPECT_FALSE(ledger_->FinalityProof(0)->has_value());
  EXPECT_FALSE(ledger_->FinalityProof(9)->has_value());

  // A block committed with the certificate that committed it keeps that certificate.
  ExecutedBlock executed = ledger_->ProposeBlock(NextTemplate({})).value();
  const v1::QuorumCertificate certificate = chain_.Certify(executed.block, ToBytes(ledger_->head_hash()));
  v1::QuorumCertificate wrong = certificate;  // names the parent, not this block
  EXPECT_EQ(ledger_->Commit(executed, certificate, &wrong).code(), StatusCode::kInvalidArgument);
  v1::QuorumCertificate finality = chain_.Certify(ledger_->GetBlock(2)->block, ToBytes(executed.hash));
  ASSERT_TRUE(ledger_->Commit(executed, certificate, &finality).ok());
  auto proof3 = ledger_->FinalityProof(3);
  ASSERT_TRUE(proof3.ok() && proof3->has_value());
  EXPECT_EQ((*proof3)->SerializeAsString(), finality.SerializeAsString());
}

TEST_F(LedgerTest, ReadsOfMissingThingsAreNotFound) {
  EXPECT_EQ(ledger_->GetBlock(42).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ledger_->GetBlockByHash(Hash{}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ledger_->GetTransaction(Hash{}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ledger_->GetAccount("short").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(LedgerTest, CommittedBlockHashNamesEachCommittedBlockWithoutReadingIt) {
  for (int k = 0; k < 3; ++k) ASSERT_TRUE(chain_.CommitBlock(*ledger_, TxList({})).ok());
  for (uint64_t height = 0; height <= ledger_->height(); ++height) {
    auto hash = ledger_->CommittedBlockHash(height);
    ASSERT_TRUE(hash.ok()) << height << ": " << hash.status().ToString();
    EXPECT_EQ(*hash, ledger_->GetBlock(height)->hash) << height;
  }
  EXPECT_EQ(ledger_->CommittedBlockHash(ledger_->height() + 1).status().code(), StatusCode::kNotFound);
}

TEST(LedgerStore, ReopensAtItsHeadAndRefusesAnotherGenesis) {
  test::TempDir dir;
  test::TestChain chain;
  Hash root;
  {
    auto ledger = Ledger::Open(OpenLevelDbStore(dir.path()).value(), chain.genesis()).value();
    for (uint64_t nonce = 1; nonce <= 3; ++nonce) {
      ASSERT_TRUE(chain.CommitBlock(*ledger, TxList({chain.Transfer(chain.user(0), nonce, chain.user(1), 10)})).ok());
    }
    root = ledger->state_root();
  }
  {
    auto reopened = Ledger::Open(OpenLevelDbStore(dir.path()).value(), chain.genesis());
    ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
    EXPECT_EQ((*reopened)->height(), 3u);
    EXPECT_EQ((*reopened)->state_root(), root);
    auto by_hash = (*reopened)->GetBlockByHash((*reopened)->head_hash());
    ASSERT_TRUE(by_hash.ok());
    EXPECT_EQ(by_hash->header.height(), 3u);
  }
  test::TestChain other({.chain_id = "other-chain"});
  auto refused = Ledger::Open(OpenLevelDbStore(dir.path()).value(), other.genesis());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("cairn-test"), std::string::npos) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("other-chain"), std::string::npos);
}

TEST(LedgerStore, ALevelDbStoreReopensInPlaceKeepingWhatWasWritten) {
  test::TempDir dir;
  auto store = OpenLevelDbStore(dir.path()).value();
  WriteBatch batch;
  batch.Put("k", "v");
  ASSERT_TRUE(store->Write(batch, Durability::kSync).ok());
  ASSERT_TRUE(store->Reopen().ok());
  auto value = store->Get("k");
  ASSERT_TRUE(value.ok() && value->has_value());
  EXPECT_EQ(**value, "v");
  batch.Put("k2", "v2");
  EXPECT_TRUE(store->Write(batch, Durability::kSync).ok());
}

// The state tree's records are in tree/ of the data directory (split_store.h), and a
// directory of format 2, which kept them beside the rest, is refused, saying what to do.
TEST(LedgerStore, TheTreeHasADatabaseOfItsOwnAndFormats2And3AreRefused) {
  test::TempDir dir;
  test::TestChain chain;
  {
    auto ledger = Ledger::Open(OpenLevelDbStore(dir.path()).value(), chain.genesis()).value();
    ASSERT_TRUE(chain.CommitBlock(*ledger, TxList({chain.Transfer(chain.user(0), 1, chain.user(1), 10)})).ok());
  }
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(dir.path()) / kTreeDirectory / "CURRENT"));
  for (uint32_t version : {2u, 3u}) {
    {
      auto store = OpenLevelDbStore(dir.path()).value();
      v1::StoreFormat format;
      format.set_version(version);
      WriteBatch batch;
      batch.Put(keys::kStoreFormat, format.SerializeAsString());
      ASSERT_TRUE(store->Write(batch, Durability::kSync).ok());
    }
    auto refused = Ledger::Open(OpenLevelDbStore(dir.path()).value(), chain.genesis());
    EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(refused.status().message().find("store format " + std::to_string(version) + " (a development build's)"),
              std::string::npos)
        << refused.status().ToString();
  }
}

// Open reads the root alone, so damage below it is caught where it is read: the
// account's reads and every block that touches it fail with CORRUPTION (never a wrong
// balance, nor a block called invalid), and the other accounts are served.
TEST(LedgerStore, ADamagedAccountLeafIsCaughtWhereverItIsRead) {
  test::TestChain chain;
  auto store = std::make_unique<MemoryStore>();
  MemoryStore* raw = store.get();
  auto ledger = Ledger::Open(std::move(store), chain.genesis()).value();
  const Bytes victim = test::TestChain::AddressOf(chain.user(0));
  const Bytes leaf_key = test::NewestAccountLeafKey(*raw, victim);
  ASSERT_FALSE(leaf_key.empty());
  Bytes leaf = raw->Get(leaf_key).value().value();
  v1::Account account;
  ASSERT_TRUE(account.ParseFromString(leaf.substr(33)));
  account.mutable_balances(0)->set_amount(1);
  raw->TEST_Put(leaf_key, leaf.substr(0, 33) + account.SerializeAsString());

  auto copy = std::make_unique<MemoryStore>();
  ASSERT_TRUE(raw->Scan("", "", [&](ByteView k, ByteView v) { copy->TEST_Put(k, v); return true; }).ok());
  auto reopened = Ledger::Open(std::move(copy), chain.genesis());
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ((*reopened)->GetAccount(victim).status().code(), StatusCode::kCorruption);
  EXPECT_EQ((*reopened)->CommittedNonce(victim).status().code(), StatusCode::kCorruption);
  EXPECT_TRUE((*reopened)->GetAccount(test::TestChain::AddressOf(chain.user(1))).ok());
  google::protobuf::RepeatedPtrField<v1::Transaction> txs;
  *txs.Add() = chain.Transfer(chain.user(0), 1, chain.user(1), 5);
  EXPECT_EQ(chain.CommitBlock(**reopened, txs).code(), StatusCode::kCorruption);
}

// Readers on other threads while blocks commit: every answer is one committed version
// (its proof checks against its own state root, which is the header's at its height),
// and heights never go back.
TEST(LedgerStore, ReadersSeeConsistentVersionsWhileBlocksCommit) {
  test::TestChain chain({.users = 8});
  test::TempDir dir;
  auto ledger = Ledger::Open(OpenLevelDbStore(dir.path()).value(), chain.genesis(), nullptr, {.state_cache_bytes = 64 << 10}).value();
  std::atomic<bool> done{false};
  std::atomic<uint64_t> answers{0};
  std::vector<std::thread> readers;
  std::vector<std::string> errors(2);
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&, r] {
      uint64_t last_height = 0;
      for (uint64_t i = 0; !done.load() && errors[r].empty(); ++i) {
        const Bytes address = test::TestChain::AddressOf(chain.user(static_cast<int>(i % 8)));
        auto view = ledger->GetAccount(address);
        if (!view.ok()) { errors[r] = view.status().ToString(); break; }
        auto block = ledger->GetBlock(view->height);
        if (!VerifyAccountProof(view->state_root, address, view->account_bytes, view->proof)) errors[r] = "a proof failed";
        else if (!block.ok() || block->header.state_root() != AsView(view->state_root)) errors[r] = "root of another height";
        else if (view->height < last_height) errors[r] = "the height went back";
        last_height = view->height;
        ++answers;
      }
    });
  }
  for (uint64_t nonce = 1; nonce <= 60; ++nonce) {
    google::protobuf::RepeatedPtrField<v1::Transaction> txs;
    for (int u = 0; u < 8; ++u) *txs.Add() = chain.Transfer(chain.user(u), nonce, chain.user((u + 1) % 8), 1);
    ASSERT_TRUE(chain.CommitBlock(*ledger, txs).ok());
  }
  done = true;
  for (auto& t : readers) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_GT(answers.load(), 0u);
}

TEST(LedgerStore, ADamagedRootNodeIsCaughtAtOpen) {
  test::TestChain chain;
  auto store = std::make_unique<MemoryStore>();
  MemoryStore* raw = store.get();
  auto ledger = Ledger::Open(std::move(store), chain.genesis()).value();
  v1::StateTreeRoot root;
  ASSERT_TRUE(root.ParseFromString(raw->Get(keys::StateRoot(0)).value().value()));
  tree::NibblePath top;
  const Bytes root_key = tree::NodeKey(root.node_version(), top);
  Bytes node = raw->Get(root_key).value().value();
  node.back() ^= 1;
  raw->TEST_Put(root_key, node);
  auto copy = std::make_unique<MemoryStore>();
  ASSERT_TRUE(raw->Scan("", "", [&](ByteView k, ByteView v) { copy->TEST_Put(k, v); return true; }).ok());
  EXPECT_EQ(Ledger::Open(std::move(copy), chain.genesis()).status().code(), StatusCode::kCorruption);
}

// A data directory of format 1 (one record per account, the tree rebuilt at every
// start) is converted once at open: the tree is stored, the account records go, and
// the next open reads only the root.
TEST(LedgerStore, AFormatOneDirectoryIsConvertedOnceAtOpen) {
  test::TestChain chain;
  auto store = std::make_unique<MemoryStore>();
  MemoryStore* raw = store.get();
  auto ledger = Ledger::Open(std::move(store), chain.genesis()).value();
  for (uint64_t nonce = 1; nonce <= 3; ++nonce) {
    google::protobuf::RepeatedPtrField<v1::Transaction> txs;
    *txs.Add() = chain.Transfer(chain.user(0), nonce, chain.user(1), 10);
    ASSERT_TRUE(chain.CommitBlock(*ledger, txs).ok());
  }
  const Hash root = ledger->state_root();
  // The same chain as format 1 wrote it: every record but the tree's, and an account
  // record per account.
  auto old = std::make_unique<MemoryStore>();
  ASSERT_TRUE(raw->Scan("", "", [&](ByteView k, ByteView v) {
    const char tag = k[0];
    if (tag != 'n' && tag != 'R' && tag != 's' && tag != 'M') old->TEST_Put(k, v);
    return true;
  }).ok());
  TreeStore head_tree(*raw, 0);
  const std::vector<StateTree::Entry> leaves = head_tree.Load(3).value().Leaves(Hash{}, 1000).value();
  for (const auto& [key, bytes] : leaves) {
    v1::Account account;
    ASSERT_TRUE(account.ParseFromString(bytes));
    old->TEST_Put(keys::Account(account.address()), bytes);
  }
  // One whose chain convicted someone is refused: its state roots leave out what this
  // build's state records (evidence.h).
  auto convicted = std::make_unique<MemoryStore>();
  ASSERT_TRUE(old->Scan("", "", [&](ByteView k, ByteView v) { convicted->TEST_Put(k, v); return true; }).ok());
  convicted->TEST_Put(Bytes(keys::kFormat1OffencePrefix) + "V-offence-id", U64Bytes(2));
  auto refused = Ledger::Open(std::move(convicted), chain.genesis());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("recorded equivocation evidence"), std::string::npos) << refused.status().ToString();
  MemoryStore* old_raw = old.get();
  auto converted = Ledger::Open(std::move(old), chain.genesis());
  ASSERT_TRUE(converted.ok()) << converted.status().ToString();
  EXPECT_TRUE((*converted)->open_report().converted_state_tree);
  EXPECT_EQ((*converted)->state_root(), root);
  size_t account_records = 0;
  ASSERT_TRUE(old_raw->Scan(keys::kAccountPrefix, "", [&](ByteView, ByteView) { return ++account_records, true; }).ok());
  EXPECT_EQ(account_records, 0u);
  // It goes on committing, and opening again converts nothing.
  google::protobuf::RepeatedPtrField<v1::Transaction> txs;
  *txs.Add() = chain.Transfer(chain.user(0), 4, chain.user(1), 10);
  ASSERT_TRUE(chain.CommitBlock(**converted, txs).ok());
  auto copy = std::make_unique<MemoryStore>();
  ASSERT_TRUE(old_raw->Scan("", "", [&](ByteView k, ByteView v) { copy->TEST_Put(k, v); return true; }).ok());
  auto again = Ledger::Open(std::move(copy), chain.genesis());
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE((*again)->open_report().converted_state_tree);
  EXPECT_EQ((*again)->height(), 4u);
}

}  // namespace
}  // namespace cairn::ledger
