// The cost of one transaction in each stage a validator puts it through, outside the
// signature checks: admission (the mempool, behind Submit and gossip), proposal (the
// leader's execution), execution (every replica's check of the block) and commit (the
// synced batch). Signatures are checked once before the timed part, so each stage finds
// them in the node's signature cache, as it does in a running node: what is left is
// parsing, copies, execution, the state tree and the store, which set the node's speed
// once signatures are as fast as the machine allows. The counter per_tx (CPU time per
// transaction) is the figure to drive down; blocks of one transaction show the per-block cost.
#include <benchmark/benchmark.h>

#include <memory>

#include "crypto/domain.h"
#include "crypto/verifier.h"
#include "ledger/ledger.h"
#include "node/mempool.h"
#include "tests/support/test_chain.h"
#include "tests/unit/temp_dir.h"

namespace cairn {
namespace {

using Txs = google::protobuf::RepeatedPtrField<v1::Transaction>;

// A LevelDB ledger whose `txs` users each send one transfer a block.
class TxCostFixture {
 public:
  explicit TxCostFixture(int txs)
      : chain_({.users = txs}),
        ledger_(ledger::Ledger::Open(ledger::OpenLevelDbStore(dir_.path()).value(), chain_.genesis(), &signatures_)
                    .value()) {}

  // The next block's transfers, their signatures already in the cache.
  Txs NextTransfers() {
    Txs txs;
    const uint64_t nonce = ledger_->height() + 1;
    for (int i = 0; i < chain_.user_count(); ++i) {
      *txs.Add() = chain_.Transfer(chain_.user(i), nonce, chain_.user((i + 1) % chain_.user_count()), 1);
      const v1::Transaction& tx = txs[i];
      signatures_.Verify(crypto::PublicKey::FromBytes(tx.public_key()).value(),
                         crypto::DomainMessage(crypto::Purpose::kTransaction, chain_.chain_id(), tx.body()),
                         tx.signature());
    }
    return txs;
  }
  ledger::BlockTemplate Template(Txs txs) const {
    ledger::BlockTemplate t;
    const v1::BlockHeader head = ledger_->head_header();
    t.round = head.round() + 1;
    t.timestamp_ms = head.timestamp_ms() + 1;
    t.parent_qc = chain_.HeadCertificate(*ledger_).value();
    t.transactions = std::move(txs);
    return t;
  }
  std::unique_ptr<node::Mempool> NewMempool() {
    return std::make_unique<node::Mempool>(chain_.chain_id(), signatures_, [](const ledger::CheckedTx&) -> Result<uint64_t> { return uint64_t{0}; });
  }
  const test::TestChain& chain() const { return chain_; }
  ledger::Ledger& ledger() { return *ledger_; }

 private:
  test::TempDir dir_;
  test::TestChain chain_;
  crypto::CachingVerifier signatures_{1 << 20};
  std::unique_ptr<ledger::Ledger> ledger_;
};

void CountPerTx(benchmark::State& state) {
  // Seconds of CPU per transaction, shown with its prefix (us).
  state.counters["per_tx"] = benchmark::Counter(static_cast<double>(state.iterations() * state.range(0)),
                                                benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_TxCostAdmission(benchmark::State& state) {
  TxCostFixture fixture(static_cast<int>(state.range(0)));
  const Txs txs = fixture.NextTransfers();
  std::unique_ptr<node::Mempool> mempool;
  for (auto _ : state) {
    state.PauseTiming();
    mempool = fixture.NewMempool();  // freeing the last pool is not admission
    state.ResumeTiming();
    for (const v1::Transaction& tx : txs) {
      if (!mempool->Add(tx).ok()) state.SkipWithError("admission failed");
    }
  }
  CountPerTx(state);
}
BENCHMARK(BM_TxCostAdmission)->Arg(1)->Arg(100)->Arg(1000);

void BM_TxCostProposal(benchmark::State& state) {
  TxCostFixture fixture(static_cast<int>(state.range(0)));
  const ledger::BlockTemplate t = fixture.Template(fixture.NextTransfers());
  for (auto _ : state) {
    auto proposed = fixture.ledger().ProposeBlock(t);
    if (!proposed.ok()) state.SkipWithError("proposal failed");
    benchmark::DoNotOptimize(proposed);
  }
  CountPerTx(state);
}
BENCHMARK(BM_TxCostProposal)->Arg(1)->Arg(100)->Arg(1000);

void BM_TxCostExecution(benchmark::State& state) {
  TxCostFixture fixture(static_cast<int>(state.range(0)));
  const v1::Block block = fixture.ledger().ProposeBlock(fixture.Template(fixture.NextTransfers())).value().block;
  for (auto _ : state) {
    auto executed = fixture.ledger().Execute(block);
    if (!executed.ok()) state.SkipWithError("execution failed");
    benchmark::DoNotOptimize(executed);
  }
  CountPerTx(state);
}
BENCHMARK(BM_TxCostExecution)->Arg(1)->Arg(100)->Arg(1000);

void BM_TxCostCommit(benchmark::State& state) {
  TxCostFixture fixture(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    state.PauseTiming();
    auto proposed = fixture.ledger().ProposeBlock(fixture.Template(fixture.NextTransfers())).value();
    const v1::QuorumCertificate qc = fixture.chain().Certify(proposed.block);
    state.ResumeTiming();
    if (!fixture.ledger().Commit(proposed, qc).ok()) state.SkipWithError("commit failed");
  }
  CountPerTx(state);
}
BENCHMARK(BM_TxCostCommit)->Arg(1)->Arg(100)->Arg(1000);

}  // namespace
}  // namespace cairn
