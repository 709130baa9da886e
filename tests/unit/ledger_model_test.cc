// The business ledger model at the executor: registered assets, multi-signature
// accounts, records, atomic batches, expiry and memo, grants. Each rule with hostile
// inputs, on an in-memory state, through CheckTransaction and ExecuteTransactions as a
// block runs them.
#include <limits>
#include <map>

#include <gtest/gtest.h>

#include "crypto/domain.h"
#include "crypto/verifier.h"
#include "ledger/executor.h"
#include "ledger/genesis.h"
#include "ledger/ledger.h"
#include "ledger/operations.h"
#include "ledger/signatories.h"
#include "ledger/tx_check.h"
#include "tests/support/map_state.h"
#include "tests/support/test_chain.h"

namespace cairn::ledger {
namespace {

constexpr char kChain[] = "model-test";
constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

using test::MapState;

Bytes Addr(const crypto::PrivateKey& key) { return crypto::AddressOf(key.public_key().bytes()); }
Bytes Pub(const crypto::PrivateKey& key) { return Bytes(key.public_key().bytes()); }

v1::Operation TransferOp(const crypto::PrivateKey& to, const std::string& asset, uint64_t amount, Bytes account = {}) {
  v1::Operation op;
  op.set_account(account);
  op.mutable_transfer()->set_to(Addr(to));
  op.mutable_transfer()->set_asset(asset);
  op.mutable_transfer()->set_amount(amount);
  return op;
}
v1::Operation MintOp(const crypto::PrivateKey& to, const std::string& asset, uint64_t amount) {
  v1::Operation op;
  op.mutable_mint()->set_to(Addr(to));
  op.mutable_mint()->set_asset(asset);
  op.mutable_mint()->set_amount(amount);
  return op;
}
v1::Operation BurnOp(const std::string& asset, uint64_t amount) {
  v1::Operation op;
  op.mutable_burn()->set_asset(asset);
  op.mutable_burn()->set_amount(amount);
  return op;
}
v1::Operation RecordOp(const std::string& key, const Bytes& value, Bytes owner = {}) {
  v1::Operation op;
  op.mutable_set_record()->set_account(owner);
  op.mutable_set_record()->set_key(key);
  op.mutable_set_record()->set_value(value);
  return op;
}
v1::Operation AddSignatoryOp(const crypto::PrivateKey& key) {
  v1::Operation op;
  op.mutable_add_signatory()->set_public_key(Pub(key));
  return op;
}
v1::Operation QuorumOp(uint32_t quorum) {
  v1::Operation op;
  op.mutable_set_quorum()->set_quorum(quorum);
  return op;
}
v1::Operation GrantOp(v1::Permission permission, const crypto::PrivateKey& grantee, std::string asset = {},
                      Bytes account = {}) {
  v1::Operation op;
  op.mutable_grant()->set_permission(permission);
  op.mutable_grant()->set_grantee(Addr(grantee));
  op.mutable_grant()->set_asset(asset);
  op.mutable_grant()->set_account(account);
  return op;
}

class LedgerModelTest : public ::testing::Test {
 protected:
  LedgerModelTest()
      : admin_(test::KeyFromLabel("model-admin")),
        issuer_(test::KeyFromLabel("model-issuer")),
        alice_(test::KeyFromLabel("model-alice")),
        bob_(test::KeyFromLabel("model-bob")),
        carol_(test::KeyFromLabel("model-carol")),
        alice2_(test::KeyFromLabel("model-alice-2")),
        alice3_(test::KeyFromLabel("model-alice-3")) {
    AddAccount(admin_, v1::ROLE_ADMIN);
    AddAccount(issuer_, v1::ROLE_ISSUER);
    AddAccount(alice_, v1::ROLE_USER, "USD", 1000);
    AddAccount(bob_, v1::ROLE_USER, "EUR", 500);
    AddAccount(carol_, v1::ROLE_USER);
    Define("USD", 1000);
    Define("EUR", 500);
  }

  void AddAccount(const crypto::PrivateKey& key, v1::Role role, const std::string& asset = {}, uint64_t amount = 0) {
    v1::Account account;
    account.set_address(Addr(key));
    account.set_public_key(Pub(key));
    account.set_role(role);
    if (amount > 0) {
      auto* balance = account.add_balances();
      balance->set_asset(asset);
      balance->set_amount(amount);
    }
    state_.accounts[account.address()] = account;
  }
  void Define(const std::string& name, uint64_t supply, uint64_t cap = 0) {
    v1::AssetDefinition asset;
    asset.set_name(name);
    asset.set_precision(2);
    asset.add_issuers(Addr(issuer_));
    asset.set_supply(supply);
    asset.set_supply_cap(cap);
    state_.assets[name] = asset;
  }

  v1::TxBody Body(const crypto::PrivateKey& sender, std::vector<v1::Operation> ops, bool name_sender = false) {
    v1::TxBody body;
    body.set_chain_id(kChain);
    body.set_nonce(state_.accounts[Addr(sender)].nonce() + 1);
    if (name_sender) body.set_sender(Addr(sender));
    for (auto& op : ops) *body.add_operations() = std::move(op);
    return body;
  }
  v1::Transaction Signed(const v1::TxBody& body, std::vector<const crypto::PrivateKey*> keys) {
    if (keys.size() == 1 && body.sender().empty()) return SignTransaction(*keys[0], body);
    return SignTransaction(keys, body);
  }
  CheckedTx Checked(const v1::Transaction& tx) {
    auto checked = CheckTransaction(tx, kChain);
    EXPECT_TRUE(checked.ok()) << checked.status().ToString();
    return checked.ok() ? std::move(checked).value() : CheckedTx{};
  }

  // Runs one block of `txs` at `time_ms` as a proposer builds it (dropping what cannot
  // enter) and applies its changes.
  ExecutionOutcome Run(const std::vector<v1::Transaction>& txs, uint64_t time_ms = 1'000) {
    std::vector<CheckedTx> checked;
    for (const auto& tx : txs) checked.push_back(Checked(tx));
    crypto::DirectVerifier verifier;
    GovernanceRules rules;
    auto outcome = ExecuteTransactions(state_, v1::GovernanceState(), {kChain, rules, verifier, registry_},
                                       {++height_, time_ms}, checked, InvalidTxPolicy::kDrop);
    EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
    state_.Apply(outcome->changes);
    return std::move(outcome).value();
  }
  v1::Receipt RunOne(const v1::Transaction& tx) {
    auto outcome = Run({tx});
    EXPECT_EQ(outcome.receipts.size(), 1u) << (outcome.dropped.empty() ? "" : outcome.dropped[0].reason.ToString());
    return outcome.receipts.empty() ? v1::Receipt() : outcome.receipts[0];
  }
  uint64_t Balance(const crypto::PrivateKey& key, const std::string& asset) {
    return BalanceOf(state_.accounts[Addr(key)], asset);
  }

  crypto::PrivateKey admin_, issuer_, alice_, bob_, carol_, alice2_, alice3_;
  MapState state_;
  bool registry_ = true;
  uint64_t height_ = 0;
};

// ---- Transactions: forms and bounds ------------------------------------------------

TEST_F(LedgerModelTest, ABatchOfMoreThanKOperationsIsMalformed) {
  std::vector<v1::Operation> ops(kMaxOperations + 1, TransferOp(bob_, "USD", 1));
  auto checked = CheckTransaction(Signed(Body(alice_, ops), {&alice_}), kChain);
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.status().message().find("17 operations, the limit is 16"), std::string::npos) << checked.status().ToString();
  ops.pop_back();
  EXPECT_TRUE(CheckTransaction(Signed(Body(alice_, ops), {&alice_}), kChain).ok());
}

TEST_F(LedgerModelTest, DuplicateOrUnorderedSignaturesAreMalformed) {
  v1::TxBody body = Body(alice_, {TransferOp(bob_, "USD", 1)}, true);
  v1::Transaction tx = Signed(body, {&alice_, &alice2_});
  ASSERT_EQ(tx.signatures_size(), 2);
  ASSERT_TRUE(CheckTransaction(tx, kChain).ok());
  v1::Transaction duplicate = tx;
  *duplicate.mutable_signatures(1) = duplicate.signatures(0);
  auto checked = CheckTransaction(duplicate, kChain);
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.status().message().find("repeats a key"), std::string::npos) << checked.status().ToString();
  v1::Transaction swapped = tx;
  swapped.mutable_signatures()->SwapElements(0, 1);
  EXPECT_FALSE(CheckTransaction(swapped, kChain).ok());
  v1::Transaction forged = tx;
  forged.mutable_signatures(1)->mutable_signature()->at(5) ^= 1;
  checked = CheckTransaction(forged, kChain);
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.status().message(), "signature 2 does not verify");
}

TEST_F(LedgerModelTest, SeveralSignersMustNameTheSenderAndFormsDoNotMix) {
  v1::Transaction tx = Signed(Body(alice_, {TransferOp(bob_, "USD", 1)}), {&alice_, &alice2_});
  EXPECT_FALSE(CheckTransaction(tx, kChain).ok());
  v1::Transaction mixed = Signed(Body(alice_, {TransferOp(bob_, "USD", 1)}, true), {&alice_, &alice2_});
  mixed.set_public_key(Pub(alice_));
  mixed.set_signature(mixed.signatures(0).signature());
  EXPECT_FALSE(CheckTransaction(mixed, kChain).ok());
  v1::TxBody both = Body(alice_, {TransferOp(bob_, "USD", 1)});
  both.mutable_transfer()->set_to(Addr(bob_));
  EXPECT_FALSE(CheckTransaction(SignTransaction(alice_, both), kChain).ok());
}

TEST_F(LedgerModelTest, RecordAndMemoBoundsAreChecked) {
  auto too_long = [&](v1::Operation op) {
    return CheckTransaction(Signed(Body(alice_, {std::move(op)}), {&alice_}), kChain).ok();
  };
  EXPECT_TRUE(too_long(RecordOp(std::string(kMaxRecordKeyBytes, 'k'), Bytes(kMaxRecordValueBytes, 'v'))));
  EXPECT_FALSE(too_long(RecordOp(std::string(kMaxRecordKeyBytes + 1, 'k'), "v")));
  EXPECT_FALSE(too_long(RecordOp("k", Bytes(kMaxRecordValueBytes + 1, 'v'))));
  EXPECT_FALSE(too_long(RecordOp("", "v")));
  EXPECT_FALSE(too_long(RecordOp("a key", "v")));
  v1::TxBody body = Body(alice_, {TransferOp(bob_, "USD", 1)});
  body.set_memo(std::string(kMaxMemoBytes, 'm'));
  EXPECT_TRUE(CheckTransaction(SignTransaction(alice_, body), kChain).ok());
  body.set_memo(std::string(kMaxMemoBytes + 1, 'm'));
  EXPECT_FALSE(CheckTransaction(SignTransaction(alice_, body), kChain).ok());
}

TEST_F(LedgerModelTest, QuorumOfZeroIsMalformedAndAboveTheSignatoriesFails) {
  EXPECT_FALSE(CheckTransaction(Signed(Body(alice_, {QuorumOp(0)}), {&alice_}), kChain).ok());
  v1::Receipt receipt = RunOne(Signed(Body(alice_, {QuorumOp(2)}), {&alice_}));
  EXPECT_EQ(receipt.result(), v1::TX_INVALID_OPERATION);
  EXPECT_NE(receipt.message().find("above the 1 signatories"), std::string::npos) << receipt.message();
  EXPECT_EQ(state_.accounts[Addr(alice_)].nonce(), 1u);  // a failure uses the nonce
}

// ---- Multi-signature accounts --------------------------------------------------------

TEST_F(LedgerModelTest, AMultiSignatureAccountNeedsItsQuorum) {
  // Alice becomes 2-of-3: one transaction of three operations, signed by her key alone.
  v1::Receipt receipt = RunOne(Signed(Body(alice_, {AddSignatoryOp(alice2_), AddSignatoryOp(alice3_), QuorumOp(2)}),
                                      {&alice_}));
  ASSERT_EQ(receipt.result(), v1::TX_OK) << receipt.message();
  EXPECT_EQ(SignatoriesOf(state_.accounts[Addr(alice_)]).size(), 3u);
  EXPECT_EQ(QuorumOf(state_.accounts[Addr(alice_)]), 2u);

  // One signature no longer moves her funds: the transaction never enters the block and
  // her nonce is not used.
  auto outcome = Run({Signed(Body(alice_, {TransferOp(bob_, "USD", 10)}, true), {&alice3_})});
  ASSERT_EQ(outcome.dropped.size(), 1u);
  EXPECT_NE(outcome.dropped[0].reason.message().find("needs 2 of its 3 signatories to sign, 1 did"), std::string::npos)
      << outcome.dropped[0].reason.ToString();
  EXPECT_EQ(state_.accounts[Addr(alice_)].nonce(), 1u);
  // Neither does the old one-signer form with her first key.
  outcome = Run({SignTransaction(alice_, Body(alice_, {TransferOp(bob_, "USD", 10)}))});
  EXPECT_EQ(outcome.dropped.size(), 1u);

  // Two of three do.
  receipt = RunOne(Signed(Body(alice_, {TransferOp(bob_, "USD", 10)}, true), {&alice2_, &alice3_}));
  EXPECT_EQ(receipt.result(), v1::TX_OK) << receipt.message();
  EXPECT_EQ(Balance(bob_, "USD"), 10u);

  // A key that is no signatory may not ride along.
  outcome = Run({Signed(Body(alice_, {TransferOp(bob_, "USD", 10)}, true), {&alice2_, &alice3_, &carol_})});
  ASSERT_EQ(outcome.dropped.size(), 1u);
  EXPECT_NE(outcome.dropped[0].reason.message().find("no signatory"), std::string::npos);

  // Removing below the quorum is refused; lowering the quorum first works.
  v1::Operation remove;
  remove.mutable_remove_signatory()->set_public_key(Pub(alice_));
  v1::Operation remove2 = remove;
  remove2.mutable_remove_signatory()->set_public_key(Pub(alice2_));
  receipt = RunOne(Signed(Body(alice_, {remove, remove2}, true), {&alice2_, &alice3_}));
  EXPECT_EQ(receipt.result(), v1::TX_INVALID_OPERATION);
  EXPECT_EQ(receipt.failed_operation(), 2u);
  EXPECT_EQ(SignatoriesOf(state_.accounts[Addr(alice_)]).size(), 3u);  // the first removal rolled back
  receipt = RunOne(Signed(Body(alice_, {QuorumOp(1), remove, remove2}, true), {&alice2_, &alice3_}));
  EXPECT_EQ(receipt.result(), v1::TX_OK) << receipt.message();
  EXPECT_EQ(SignatoriesOf(state_.accounts[Addr(alice_)]), std::vector<Bytes>{Pub(alice3_)});
}

TEST_F(LedgerModelTest, SignatoriesAreBounded) {
  std::vector<crypto::PrivateKey> keys;
  std::vector<v1::Operation> ops;
  for (size_t i = 0; i < kMaxSignatories; ++i) {
    keys.push_back(test::KeyFromLabel("model-signatory-" + std::to_string(i)));
    ops.push_back(AddSignatoryOp(keys.back()));
  }
  // Alice's own key and 15 more make 16; the 16th added key is one too many.
  v1::Receipt receipt = RunOne(Signed(Body(alice_, ops), {&alice_}));
  EXPECT_EQ(receipt.result(), v1::TX_LIMIT) << receipt.message();
  EXPECT_EQ(receipt.failed_operation(), kMaxSignatories);
  ops.pop_back();
  receipt = RunOne(Signed(Body(alice_, ops), {&alice_}));
  EXPECT_EQ(receipt.result(), v1::TX_OK) << receipt.message();
  EXPECT_EQ(SignatoriesOf(state_.accounts[Addr(alice_)]).size(), kMaxSignatories);
}

TEST_F(LedgerModelTest, SignatureFilesCombine) {
  v1::TxBody body = Body(alice_, {TransferOp(bob_, "USD", 1)}, true);
  auto combined = CombineSignatures(SignTransaction(alice_, body), Signed(body, {&alice2_}));
  ASSERT_TRUE(combined.ok()) << combined.status().ToString();
  ASSERT_EQ(combined->signatures_size(), 2);
  EXPECT_TRUE(combined->public_key().empty());
  EXPECT_TRUE(CheckTransaction(*combined, kChain).ok());
  // Combining again with a file already in it changes nothing.
  auto again = CombineSignatures(*combined, SignTransaction(alice_, body));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->SerializeAsString(), combined->SerializeAsString());
  v1::TxBody other = body;
  other.set_memo("another body");
  EXPECT_FALSE(CombineSignatures(*combined, SignTransaction(alice2_, other)).ok());
}

// ---- Atomic batches: delivery versus payment -------------------------------------

TEST_F(LedgerModelTest, DeliveryVersusPaymentSwapsBothOrNothing) {
  // Alice pays 100 USD for bob's 50 EUR: one transaction, each leg performed by its
  // payer, signed by both.
  auto dvp = [&](uint64_t eur) {
    return Body(alice_, {TransferOp(bob_, "USD", 100), TransferOp(alice_, "EUR", eur, Addr(bob_))}, true);
  };
  v1::Receipt receipt = RunOne(Signed(dvp(50), {&alice_, &bob_}));
  ASSERT_EQ(receipt.result(), v1::TX_OK) << receipt.message();
  EXPECT_EQ(Balance(alice_, "USD"), 900u);
  EXPECT_EQ(Balance(bob_, "USD"), 100u);
  EXPECT_EQ(Balance(alice_, "EUR"), 50u);
  EXPECT_EQ(Balance(bob_, "EUR"), 450u);

  // Without bob's signature it never enters a block: nothing moves, no nonce is used.
  auto outcome = Run({Signed(dvp(50), {&alice_})});
  ASSERT_EQ(outcome.dropped.size(), 1u);
  EXPECT_NE(outcome.dropped[0].reason.message().find(ToHex(Addr(bob_))), std::string::npos);
  EXPECT_EQ(state_.accounts[Addr(alice_)].nonce(), 1u);

  // Bob short of EUR: the second leg fails, so the first is undone too.
  receipt = RunOne(Signed(dvp(451), {&alice_, &bob_}));
  EXPECT_EQ(receipt.result(), v1::TX_INSUFFICIENT_FUNDS);
  EXPECT_EQ(receipt.failed_operation(), 2u);
  EXPECT_EQ(receipt.message().rfind("operation 2 (transfer): ", 0), 0u) << receipt.message();
  EXPECT_EQ(Balance(alice_, "USD"), 900u);
  EXPECT_EQ(Balance(bob_, "USD"), 100u);
  EXPECT_EQ(state_.accounts[Addr(alice_)].nonce(), 2u);  // the sender's nonce is used
  EXPECT_EQ(state_.accounts[Addr(bob_)].nonce(), 0u);    // the other signer's is not
}

TEST_F(LedgerModelTest, BatchHistoryListsEveryAccountThatActed) {
  auto outcome = Run({Signed(
      Body(alice_, {TransferOp(carol_, "USD", 1), TransferOp(alice_, "EUR", 1, Addr(bob_))}, true), {&alice_, &bob_})});
  ASSERT_EQ(outcome.receipts.size(), 1u);
  std::vector<Bytes> touched;
  for (const auto& [address, index] : outcome.touched) touched.push_back(address);
  EXPECT_EQ(touched, (std::vector<Bytes>{Addr(alice_), Addr(bob_), Addr(carol_)}));
  v1::TxBody body;
  ASSERT_TRUE(body.ParseFromString(Signed(Body(alice_, {TransferOp(carol_, "USD", 1), TransferOp(alice_, "EUR", 1, Addr(bob_))}, true),
                                          {&alice_, &bob_})
                                       .body()));
  for (const Bytes& address : touched) {
    auto named = AccountsNamedBy(Addr(alice_), body);
    EXPECT_NE(std::find(named.begin(), named.end(), address), named.end());
  }
}

// ---- Expiry ----------------------------------------------------------------------

TEST_F(LedgerModelTest, ExpiryHoldsUpToItsMillisecond) {
  v1::TxBody body = Body(alice_, {TransferOp(bob_, "USD", 1)});
  body.set_expires_at_ms(5'000);
  v1::Transaction tx = SignTransaction(alice_, body);
  auto late = Run({tx}, 5'001);
  ASSERT_EQ(late.dropped.size(), 1u);
  EXPECT_NE(late.dropped[0].reason.message().find("expired at 5000 ms"), std::string::npos);
  auto on_time = Run({tx}, 5'000);
  ASSERT_EQ(on_time.receipts.size(), 1u);
  EXPECT_EQ(on_time.receipts[0].result(), v1::TX_OK);
}

// ---- Registered assets -------------------------------------------------------------

TEST_F(LedgerModelTest, OnlyRegisteredUnfrozenAssetsMove) {
  state_.accounts[Addr(alice_)].add_balances()->set_asset("ZZZ");  // as if from before the registry
  state_.accounts[Addr(alice_)].mutable_balances(1)->set_amount(5);
  v1::Receipt receipt = RunOne(Signed(Body(alice_, {TransferOp(bob_, "ZZZ", 1)}), {&alice_}));
  EXPECT_EQ(receipt.result(), v1::TX_UNKNOWN_ASSET);
  EXPECT_EQ(receipt.message(), "asset ZZZ is not registered");

  v1::Operation freeze;
  freeze.mutable_set_asset_frozen()->set_asset("USD");
  freeze.mutable_set_asset_frozen()->set_frozen(true);
  EXPECT_EQ(RunOne(Signed(Body(bob_, {freeze}), {&bob_})).result(), v1::TX_PERMISSION_DENIED);
  EXPECT_EQ(RunOne(Signed(Body(admin_, {freeze}), {&admin_})).result(), v1::TX_OK);
  EXPECT_EQ(RunOne(Signed(Body(alice_, {TransferOp(bob_, "USD", 1)}), {&alice_})).result(), v1::TX_ASSET_FROZEN);
  EXPECT_EQ(RunOne(Signed(Body(issuer_, {MintOp(bob_, "USD", 1)}), {&issuer_})).result(), v1::TX_ASSET_FROZEN);
  freeze.mutable_set_asset_frozen()->set_frozen(false);
  EXPECT_EQ(RunOne(Signed(Body(admin_, {freeze}), {&admin_})).result(), v1::TX_OK);
  EXPECT_EQ(RunOne(Signed(Body(alice_, {TransferOp(bob_, "USD", 1)}), {&alice_})).result(), v1::TX_OK);
}

TEST_F(LedgerModelTest, IssuersMintAndBurnWithinTheCapAndSupplyIsTracked) {
  Define("GLD", 0, 100);
  EXPECT_EQ(RunOne(Signed(Body(admin_, {MintOp(alice_, "GLD", 1)}), {&admin_})).result(), v1::TX_PERMISSION_DENIED);
  EXPECT_EQ(RunOne(Signed(Body(issuer_, {MintOp(alice_, "GLD", 60)}), {&issuer_})).result(), v1::TX_OK);
  v1::Receipt receipt = RunOne(Signed(Body(issuer_, {MintOp(alice_, "GLD", 41)}), {&issuer_}));
  EXPECT_EQ(receipt.result(), v1::TX_SUPPLY_CAP);
  EXPECT_EQ(receipt.message(), "the supply of GLD would be 101, its cap is 100");
  EXPECT_EQ(state_.assets["GLD"].supply(), 60u);
  // Burning takes from the issuer's own balance.
  EXPECT_EQ(RunOne(Signed(Body(issuer_, {BurnOp("GLD", 1)}), {&issuer_})).result(), v1::TX_INSUFFICIENT_FUNDS);
  EXPECT_EQ(RunOne(Signed(Body(issuer_, {MintOp(issuer_, "GLD", 10), BurnOp("GLD", 4)}), {&issuer_})).result(),
            v1::TX_OK);
  EXPECT_EQ(state_.assets["GLD"].supply(), 66u);
  EXPECT_EQ(Balance(issuer_, "GLD"), 6u);
  EXPECT_EQ(RunOne(Signed(Body(alice_, {BurnOp("GLD", 1)}), {&alice_})).result(), v1::TX_PERMISSION_DENIED);
}

TEST_F(LedgerModelTest, SupplyAndBalancesDoNotOverflow) {
  Define("BIG", kMax - 5);
  EXPECT_EQ(RunOne(Signed(Body(issuer_, {MintOp(alice_, "BIG", 6)}), {&issuer_})).result(), v1::TX_OVERFLOW);
  EXPECT_EQ(RunOne(Signed(Body(issuer_, {MintOp(alice_, "BIG", 5)}), {&issuer_})).result(), v1::TX_OK);
  // On a chain without a registry nothing tracks supply: the balance itself must not wrap.
  registry_ = false;
  state_.accounts[Addr(bob_)].mutable_balances(0)->set_amount(kMax);
  v1::Receipt receipt = RunOne(Signed(Body(issuer_, {MintOp(bob_, "EUR", 1)}), {&issuer_}));
  EXPECT_EQ(receipt.result(), v1::TX_OVERFLOW);
  EXPECT_EQ(Balance(bob_, "EUR"), kMax);
  state_.accounts[Addr(carol_)].add_balances()->set_asset("EUR");
  state_.accounts[Addr(carol_)].mutable_balances(0)->set_amount(1);
  EXPECT_EQ(RunOne(Signed(Body(carol_, {TransferOp(bob_, "EUR", 1)}), {&carol_})).result(), v1::TX_OVERFLOW);
  EXPECT_EQ(Balance(carol_, "EUR"), 1u);
}

TEST_F(LedgerModelTest, RegistrationFollowsRolesAndTheChainsRule) {
  v1::Operation reg;
  reg.mutable_register_asset()->set_name("BOND");
  reg.mutable_register_asset()->set_precision(4);
  reg.mutable_register_asset()->add_issuers(Addr(carol_));
  EXPECT_EQ(RunOne(Signed(Body(alice_, {reg}), {&alice_})).result(), v1::TX_PERMISSION_DENIED);
  EXPECT_EQ(RunOne(Signed(Body(issuer_, {reg}), {&issuer_})).result(), v1::TX_OK);
  EXPECT_EQ(state_.assets["BOND"].owner(), Addr(issuer_));
  EXPECT_EQ(RunOne(Signed(Body(admin_, {reg}), {&admin_})).result(), v1::TX_ASSET_EXISTS);
  // Carol (an issuer of BOND by the definition, a user by role) mints it.
  EXPECT_EQ(RunOne(Signed(Body(carol_, {MintOp(carol_, "BOND", 7)}), {&carol_})).result(), v1::TX_OK);
  reg.mutable_register_asset()->set_name("GHOST");
  reg.mutable_register_asset()->set_issuers(0, Bytes(20, '\x01'));
  EXPECT_EQ(RunOne(Signed(Body(admin_, {reg}), {&admin_})).result(), v1::TX_UNKNOWN_ACCOUNT);
  // A chain born without a registry keeps the flat rule.
  registry_ = false;
  reg.mutable_register_asset()->set_issuers(0, Addr(carol_));
  v1::Receipt receipt = RunOne(Signed(Body(admin_, {reg}), {&admin_}));
  EXPECT_EQ(receipt.result(), v1::TX_INVALID_OPERATION);
  EXPECT_NE(receipt.message().find("keeps no asset registry"), std::string::npos);
  EXPECT_EQ(RunOne(Signed(Body(issuer_, {MintOp(bob_, "ANYNAME", 3)}), {&issuer_})).result(), v1::TX_OK);
}

// ---- Grants ------------------------------------------------------------------------

TEST_F(LedgerModelTest, GrantsFollowTheirOneRule) {
  // A grant to oneself by a non-owner.
  v1::Receipt receipt = RunOne(Signed(Body(carol_, {GrantOp(v1::PERMISSION_WRITE_RECORDS, carol_, {}, Addr(alice_))}),
                                      {&carol_}));
  EXPECT_EQ(receipt.result(), v1::TX_PERMISSION_DENIED);
  EXPECT_EQ(RunOne(Signed(Body(carol_, {GrantOp(v1::PERMISSION_MINT, carol_, "USD")}), {&carol_})).result(),
            v1::TX_PERMISSION_DENIED);
  EXPECT_EQ(RunOne(Signed(Body(carol_, {GrantOp(v1::PERMISSION_CREATE_ACCOUNTS, carol_)}), {&carol_})).result(),
            v1::TX_PERMISSION_DENIED);

  // The admin lets carol mint USD and create accounts (users only).
  EXPECT_EQ(RunOne(Signed(Body(admin_, {GrantOp(v1::PERMISSION_MINT, carol_, "USD"),
                                        GrantOp(v1::PERMISSION_CREATE_ACCOUNTS, carol_)}),
                          {&admin_}))
                .result(),
            v1::TX_OK);
  EXPECT_EQ(RunOne(Signed(Body(carol_, {MintOp(carol_, "USD", 5)}), {&carol_})).result(), v1::TX_OK);
  v1::Operation create;
  create.mutable_create_account()->set_public_key(Pub(test::KeyFromLabel("model-new")));
  create.mutable_create_account()->set_role(v1::ROLE_ADMIN);
  EXPECT_EQ(RunOne(Signed(Body(carol_, {create}), {&carol_})).result(), v1::TX_PERMISSION_DENIED);
  create.mutable_create_account()->set_role(v1::ROLE_USER);
  EXPECT_EQ(RunOne(Signed(Body(carol_, {create}), {&carol_})).result(), v1::TX_OK);
  // Granting what is held again, and revoking.
  EXPECT_EQ(RunOne(Signed(Body(admin_, {GrantOp(v1::PERMISSION_MINT, carol_, "USD")}), {&admin_})).result(),
            v1::TX_INVALID_OPERATION);
  v1::Operation revoke;
  revoke.mutable_revoke()->set_permission(v1::PERMISSION_MINT);
  revoke.mutable_revoke()->set_grantee(Addr(carol_));
  revoke.mutable_revoke()->set_asset("USD");
  EXPECT_EQ(RunOne(Signed(Body(admin_, {revoke}), {&admin_})).result(), v1::TX_OK);
  EXPECT_EQ(RunOne(Signed(Body(carol_, {MintOp(carol_, "USD", 5)}), {&carol_})).result(), v1::TX_PERMISSION_DENIED);
}

// ---- Records -----------------------------------------------------------------------

TEST_F(LedgerModelTest, RecordsAreWrittenByTheOwnerAndItsWriters) {
  auto outcome = Run({Signed(Body(alice_, {RecordOp("invoice/42", "due 2027-01-31")}), {&alice_})});
  ASSERT_EQ(outcome.receipts[0].result(), v1::TX_OK);
  ASSERT_EQ(outcome.changes.record_writes.size(), 1u);
  EXPECT_EQ(outcome.changes.record_writes[0].writer, Addr(alice_));
  const v1::AccountRecord& record = state_.records[{Addr(alice_), "invoice/42"}];
  EXPECT_EQ(record.value(), "due 2027-01-31");
  EXPECT_EQ(record.height(), height_);
  EXPECT_EQ(state_.accounts[Addr(alice_)].record_count(), 1u);

  // Carol may not, until alice grants it.
  EXPECT_EQ(RunOne(Signed(Body(carol_, {RecordOp("invoice/42", "paid", Addr(alice_))}), {&carol_})).result(),
            v1::TX_PERMISSION_DENIED);
  EXPECT_EQ(RunOne(Signed(Body(alice_, {GrantOp(v1::PERMISSION_WRITE_RECORDS, carol_)}), {&alice_})).result(),
            v1::TX_OK);
  EXPECT_EQ(RunOne(Signed(Body(alice_, {GrantOp(v1::PERMISSION_WRITE_RECORDS, alice_)}), {&alice_})).result(),
            v1::TX_INVALID_OPERATION);
  outcome = Run({Signed(Body(carol_, {RecordOp("invoice/42", "paid", Addr(alice_))}), {&carol_})});
  ASSERT_EQ(outcome.receipts[0].result(), v1::TX_OK) << outcome.receipts[0].message();
  EXPECT_EQ(state_.records[(std::pair{Addr(alice_), std::string("invoice/42")})].writer(), Addr(carol_));
  EXPECT_EQ(state_.accounts[Addr(alice_)].record_count(), 1u);
  // Deleting: an empty value.
  EXPECT_EQ(RunOne(Signed(Body(alice_, {RecordOp("invoice/42", "")}), {&alice_})).result(), v1::TX_OK);
  EXPECT_EQ(state_.records.count({Addr(alice_), "invoice/42"}), 0u);
  EXPECT_EQ(state_.accounts[Addr(alice_)].record_count(), 0u);
  EXPECT_EQ(RunOne(Signed(Body(alice_, {RecordOp("invoice/42", "")}), {&alice_})).result(), v1::TX_INVALID_OPERATION);
}

TEST_F(LedgerModelTest, RecordsPerAccountAreBounded) {
  state_.accounts[Addr(alice_)].set_record_count(kMaxRecordsPerAccount - 1);
  EXPECT_EQ(RunOne(Signed(Body(alice_, {RecordOp("a", "1")}), {&alice_})).result(), v1::TX_OK);
  v1::Receipt receipt = RunOne(Signed(Body(alice_, {RecordOp("b", "1")}), {&alice_}));
  EXPECT_EQ(receipt.result(), v1::TX_LIMIT);
  EXPECT_EQ(state_.records.count({Addr(alice_), "b"}), 0u);
  // Overwriting a record it holds is not a new one.
  EXPECT_EQ(RunOne(Signed(Body(alice_, {RecordOp("a", "2")}), {&alice_})).result(), v1::TX_OK);
}

// ---- Through a ledger: genesis, proofs, record history -----------------------------

class LedgerModelStoreTest : public ::testing::Test {
 protected:
  LedgerModelStoreTest() : chain_(Options()) {
    auto opened = Ledger::Open(std::make_unique<MemoryStore>(), chain_.genesis());
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    ledger_ = std::move(opened).value();
  }
  static test::TestChainOptions Options() {
    test::TestChainOptions options;
    options.asset_registry = true;
    return options;
  }
  void Commit(std::initializer_list<v1::Transaction> txs) {
    google::protobuf::RepeatedPtrField<v1::Transaction> list;
    for (const auto& tx : txs) *list.Add() = tx;
    ASSERT_TRUE(chain_.CommitBlock(*ledger_, list).ok());
  }
  v1::Receipt ReceiptOf(const v1::Transaction& tx) {
    auto stored = ledger_->GetTransaction(TransactionHash(chain_.chain_id(), tx));
    EXPECT_TRUE(stored.ok()) << stored.status().ToString();
    return stored.ok() ? stored->receipt : v1::Receipt();
  }
  // The entry under `key` at the head, its proof checked against the head's root.
  template <typename T>
  T Proven(const Hash& key) {
    auto view = ledger_->ProveStateEntry(key);
    EXPECT_TRUE(view.ok());
    EXPECT_EQ(view->state_root, ledger_->state_root());
    EXPECT_TRUE(VerifyStateProof(view->state_root, key, tree::ValueHash(view->value), view->proof));
    T value;
    EXPECT_TRUE(value.ParseFromString(view->value));
    return value;
  }

  test::TestChain chain_;
  std::unique_ptr<Ledger> ledger_;
};

TEST_F(LedgerModelStoreTest, GenesisAssetsAreProvenWithTheirSupply) {
  auto asset = Proven<v1::AssetDefinition>(AssetStateKey("CAIRN"));
  EXPECT_EQ(asset.supply(), 8u * 1'000'000u);
  EXPECT_EQ(asset.issuers_size(), 1);
  EXPECT_EQ(asset.issuers(0), Addr(chain_.issuer()));
  // A flipped byte of the definition no longer matches the proof.
  auto view = ledger_->ProveStateEntry(AssetStateKey("CAIRN"));
  view->value[3] ^= 1;
  EXPECT_FALSE(VerifyStateProof(view->state_root, AssetStateKey("CAIRN"), tree::ValueHash(view->value), view->proof));
  // A genesis balance of an asset the registry does not define is refused.
  v1::Genesis genesis = chain_.genesis();
  genesis.mutable_accounts(2)->mutable_balances(0)->set_asset("OTHER");
  EXPECT_FALSE(ValidateGenesis(genesis).ok());
}

TEST_F(LedgerModelStoreTest, RecordsAreProvenAndTheirHistoryKept) {
  const crypto::PrivateKey& user = chain_.user(0);
  const crypto::PrivateKey& auditor = chain_.user(1);
  auto record_tx = [&](const crypto::PrivateKey& from, uint64_t nonce, const std::string& value, Bytes owner = {}) {
    v1::TxBody body;
    *body.add_operations() = RecordOp("kyc/status", value, std::move(owner));
    return chain_.Sign(from, nonce, body);
  };
  v1::TxBody grant;
  *grant.add_operations() = GrantOp(v1::PERMISSION_WRITE_RECORDS, auditor);
  Commit({record_tx(user, 1, "pending"), chain_.Sign(user, 2, grant)});
  v1::Transaction second = record_tx(auditor, 1, "verified", Addr(user));
  Commit({second});
  EXPECT_EQ(ReceiptOf(second).result(), v1::TX_OK) << ReceiptOf(second).message();

  auto record = Proven<v1::AccountRecord>(RecordStateKey(Addr(user), "kyc/status"));
  EXPECT_EQ(record.value(), "verified");
  EXPECT_EQ(record.writer(), Addr(auditor));
  EXPECT_EQ(record.height(), 2u);

  auto page = ledger_->GetRecordHistory(Addr(user), "kyc/status", std::nullopt, 1);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->entries.size(), 1u);
  EXPECT_EQ(page->entries[0].value(), "pending");
  EXPECT_EQ(page->entries[0].writer(), Addr(user));
  ASSERT_TRUE(page->next_after);
  page = ledger_->GetRecordHistory(Addr(user), "kyc/status", page->next_after, 10);
  ASSERT_EQ(page->entries.size(), 1u);
  EXPECT_EQ(page->entries[0].value(), "verified");
  EXPECT_EQ(page->entries[0].height(), 2u);
  EXPECT_EQ(page->entries[0].tx_hash(), ToBytes(TransactionHash(chain_.chain_id(), second)));
  EXPECT_FALSE(page->next_after);
}

TEST_F(LedgerModelStoreTest, AMultiSignedTransactionIsFoundByItsHash) {
  const crypto::PrivateKey& a = chain_.user(0);
  const crypto::PrivateKey& b = chain_.user(1);
  v1::TxBody body;
  body.set_chain_id(chain_.chain_id());
  body.set_nonce(1);
  body.set_sender(Addr(a));
  body.set_memo("order 7781");
  *body.add_operations() = TransferOp(b, "CAIRN", 5);
  *body.add_operations() = TransferOp(a, "CAIRN", 3, Addr(b));
  const crypto::PrivateKey* keys[] = {&a, &b};
  v1::Transaction tx = SignTransaction(keys, body);
  Commit({tx});
  EXPECT_EQ(ReceiptOf(tx).result(), v1::TX_OK);
  EXPECT_EQ(BalanceOf(*ledger_->GetAccount(Addr(a))->account, "CAIRN"), 1'000'000u - 2);
  // Its history entries are under both accounts that acted.
  for (const auto* key : keys) {
    auto history = ledger_->GetAccountHistory(Addr(*key), std::nullopt, 10);
    ASSERT_TRUE(history.ok());
    ASSERT_EQ(history->entries.size(), 1u);
    EXPECT_EQ(history->entries[0].tx_hash(), ToBytes(TransactionHash(chain_.chain_id(), tx)));
  }
}

}  // namespace
}  // namespace cairn::ledger
