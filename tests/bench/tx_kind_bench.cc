// What each kind of transaction of the ledger model costs a validator to execute, beside
// a plain transfer, on a chain with an asset registry: blocks of 1,000 of one kind (and
// one mixing all of them) run through Ledger::Execute, as every replica checks a
// proposal. Signatures are verified once before the timed part (the node's cache finds
// them), so per_tx is execution, the state tree and parsing; `signatures` says how many
// Ed25519 checks (about 50 us of a core each, crypto_bench) each kind adds on admission
// and once per block.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>

#include "crypto/domain.h"
#include "crypto/verifier.h"
#include "ledger/ledger.h"
#include "tests/support/test_chain.h"
#include "tests/unit/temp_dir.h"

namespace cairn {
namespace {

using Txs = google::protobuf::RepeatedPtrField<v1::Transaction>;

constexpr int kUsers = 1000;

enum Kind : int64_t { kTransfer, kMultiSigTransfer, kSwap, kRecord, kMint, kMixed };
constexpr const char* kKindNames[] = {"transfer", "2-of-2 transfer", "swap (2 signers, 2 transfers)", "record 1 KiB",
                                      "mint", "mixed"};

class TxKindFixture {
 public:
  TxKindFixture()
      : chain_({.users = kUsers, .asset_registry = true}),
        ledger_(ledger::Ledger::Open(ledger::OpenLevelDbStore(dir_.path()).value(), chain_.genesis(), &signatures_).value()),
        cosigner_(test::KeyFromLabel("bench-cosigner")) {
    // The second half of the users become 2-of-2 accounts (their cosigner shared).
    Txs setup;
    for (int i = kUsers / 2; i < kUsers; ++i) {
      v1::TxBody body;
      body.add_operations()->mutable_add_signatory()->set_public_key(Bytes(cosigner_.public_key().bytes()));
      body.add_operations()->mutable_set_quorum()->set_quorum(2);
      *setup.Add() = chain_.Sign(chain_.user(i), 1, body);
    }
    if (!chain_.CommitBlock(*ledger_, setup).ok()) std::abort();
  }

  // A block of 1,000 transactions of `kind`, two by each of the first half of the users
  // (a mix cycles through the kinds).
  v1::Block Block(Kind kind) {
    Txs txs;
    for (int round = 0; round < 2; ++round) {
      for (int i = 0; i < kUsers / 2; ++i) *txs.Add() = Tx(kind == kMixed ? static_cast<Kind>((i + round) % kMixed) : kind, i);
    }
    for (const v1::Transaction& tx : txs) CacheSignatures(tx);
    auto proposed = ledger_->ProposeBlock(chain_.NextTemplate(*ledger_, txs).value());
    if (!proposed.ok()) {
      std::fprintf(stderr, "tx_kind_bench: the proposal failed: %s\n", proposed.status().ToString().c_str());
      std::abort();
    }
    return proposed->block;
  }
  ledger::Ledger& ledger() { return *ledger_; }

 private:
  // Transaction `kind` by user `i` (of the first half; a 2-of-2 transfer by the user
  // half the set above it).
  v1::Transaction Tx(Kind kind, int i) {
    const int sender = kind == kMultiSigTransfer ? i + kUsers / 2 : i;
    v1::TxBody body;
    body.set_chain_id(chain_.chain_id());
    body.set_nonce(kind == kMint ? NextNonce(-1) : NextNonce(sender));  // a mint is the issuer's
    auto transfer = [&](int from, int to) {
      v1::Operation op;
      if (from != sender) op.set_account(test::TestChain::AddressOf(chain_.user(from)));
      op.mutable_transfer()->set_to(test::TestChain::AddressOf(chain_.user(to)));
      op.mutable_transfer()->set_asset("CAIRN");
      op.mutable_transfer()->set_amount(1);
      return op;
    };
    std::vector<const crypto::PrivateKey*> keys{&chain_.user(sender)};
    switch (kind) {
      case kMultiSigTransfer:
        keys.push_back(&cosigner_);
        [[fallthrough]];
      case kTransfer: *body.add_operations() = transfer(sender, (sender + 1) % kUsers); break;
      case kSwap: {
        const int other = (i + kUsers / 4) % (kUsers / 2);
        *body.add_operations() = transfer(sender, other);
        *body.add_operations() = transfer(other, sender);
        keys.push_back(&chain_.user(other));
        break;
      }
      case kRecord: {
        v1::Operation* op = body.add_operations();
        op->mutable_set_record()->set_key("bench/" + std::to_string(body.nonce() % 8));
        op->mutable_set_record()->set_value(Bytes(1024, static_cast<char>('a' + body.nonce() % 26)));
        break;
      }
      case kMint:
      default: {
        v1::Operation* op = body.add_operations();
        op->mutable_mint()->set_to(test::TestChain::AddressOf(chain_.user(i)));
        op->mutable_mint()->set_asset("CAIRN");
        op->mutable_mint()->set_amount(1);
        keys = {&chain_.issuer()};
        break;
      }
    }
    if (keys.size() > 1) body.set_sender(test::TestChain::AddressOf(chain_.user(sender)));
    return keys.size() == 1 ? ledger::SignTransaction(*keys[0], body) : ledger::SignTransaction(keys, body);
  }
  // Nonces as the proposals will use them (a proposal is never committed here, so each
  // block starts again from the committed ones).
  uint64_t NextNonce(int user) {
    const Bytes address = test::TestChain::AddressOf(user < 0 ? chain_.issuer() : chain_.user(user));
    auto [it, fresh] = nonces_.emplace(address, 0);
    if (fresh) it->second = ledger_->CommittedNonce(address).value();
    return ++it->second;
  }
  void CacheSignatures(const v1::Transaction& tx) {
    const Bytes message = crypto::DomainMessage(crypto::Purpose::kTransaction, chain_.chain_id(), tx.body());
    const auto signatures = ledger::TransactionSignatures(tx).value();
    for (const auto& [key, signature] : signatures) {
      signatures_.Verify(crypto::PublicKey::FromBytes(key).value(), message, signature);
    }
  }

  test::TempDir dir_;
  test::TestChain chain_;
  crypto::CachingVerifier signatures_{1 << 20};
  std::unique_ptr<ledger::Ledger> ledger_;
  crypto::PrivateKey cosigner_;
  std::map<Bytes, uint64_t> nonces_;
};

void BM_TxKindExecution(benchmark::State& state) {
  const auto kind = static_cast<Kind>(state.range(0));
  state.SetLabel(kKindNames[kind]);
  TxKindFixture fixture;
  const v1::Block block = fixture.Block(kind);
  if (block.transactions_size() != kUsers) state.SkipWithError("the proposal left transactions out");
  int signatures = 0;
  for (const v1::Transaction& tx : block.transactions()) signatures += tx.signatures_size() > 0 ? tx.signatures_size() : 1;
  for (auto _ : state) {
    auto executed = fixture.ledger().Execute(block);
    if (!executed.ok()) state.SkipWithError("execution failed");
    benchmark::DoNotOptimize(executed);
  }
  state.counters["per_tx"] = benchmark::Counter(static_cast<double>(state.iterations()) * kUsers,
                                                benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["signatures"] = static_cast<double>(signatures) / kUsers;
}
BENCHMARK(BM_TxKindExecution)->DenseRange(kTransfer, kMixed)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cairn
