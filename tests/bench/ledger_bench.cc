// Micro-benchmarks of the hot paths under the ledger: signatures, hashing, Merkle roots,
// the state tree, and executing and committing a block. Run through scripts/bench.sh,
// which reports medians of repetitions; quote ratios from one run, not absolutes.
#include <benchmark/benchmark.h>

#include <map>
#include <random>

#include "crypto/ed25519.h"
#include "crypto/merkle.h"
#include "crypto/sha256.h"
#include "ledger/ledger.h"
#include "ledger/state_chunk.h"
#include "ledger/state_restore.h"
#include "tests/support/test_chain.h"
#include "tests/unit/temp_dir.h"

namespace cairn {
namespace {

void BM_Ed25519Sign(benchmark::State& state) {
  crypto::PrivateKey key = crypto::PrivateKey::Generate();
  Bytes message(200, 'm');
  for (auto _ : state) benchmark::DoNotOptimize(key.Sign(message));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ed25519Sign);

// With two threads: verification must scale across cores (OpenSSL 3's provider
// look-ups take process-wide locks, which crypto/ed25519.cc keeps off this path).
void BM_Ed25519Verify(benchmark::State& state) {
  crypto::PrivateKey key = crypto::PrivateKey::Generate();
  Bytes message(200, 'm');
  Bytes signature = key.Sign(message);
  for (auto _ : state) benchmark::DoNotOptimize(key.public_key().Verify(message, signature));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ed25519Verify)->ThreadRange(1, 2)->UseRealTime();

void BM_Sha256(benchmark::State& state) {
  Bytes data(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) benchmark::DoNotOptimize(crypto::Sha256Of(data));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Sha256)->Arg(64)->Arg(16 << 10);

void BM_MerkleRoot(benchmark::State& state) {
  std::vector<Hash> leaves;
  for (int64_t i = 0; i < state.range(0); ++i) leaves.push_back(crypto::Sha256Of(std::to_string(i)));
  for (auto _ : state) benchmark::DoNotOptimize(crypto::MerkleRoot(leaves));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_MerkleRoot)->Arg(1000)->Arg(5000);

// A state-tree update per block, committed through the node cache (64 MiB, the
// default) to a store: `range(0)` changed accounts in a tree of `range(1)`. A block of
// 1,000 transfers changes up to 2,000 accounts. The ratio between tree sizes is what
// the state issue's "within 20%" asks of the tree.
void BM_StateRootUpdate(benchmark::State& state) {
  std::vector<ledger::StateTree::Entry> entries;
  for (int64_t i = 0; i < state.range(1); ++i) {
    entries.emplace_back(crypto::Sha256Of("k" + std::to_string(i)), "v" + std::to_string(i));
  }
  ledger::MemoryStore store;
  ledger::TreeStore nodes(store, size_t{64} << 20);
  if (!nodes.WriteWhole(ledger::StateTree::Build(0, entries), store).ok()) std::abort();
  ledger::StateTree tree = nodes.Load(0).value();
  std::mt19937_64 rng(1);
  for (auto _ : state) {
    state.PauseTiming();
    std::map<Hash, std::optional<Bytes>> changes;
    for (int64_t i = 0; i < state.range(0); ++i) {
      changes[entries[rng() % entries.size()].first] = std::to_string(rng());
    }
    state.ResumeTiming();
    tree = tree.Update(tree.version() + 1, {changes.begin(), changes.end()}).value();
    ledger::WriteBatch batch;
    nodes.AddToBatch(tree, &batch);
    if (!store.Write(batch, ledger::Durability::kNoSync).ok()) std::abort();
    nodes.MarkCommitted(tree);
    tree = tree.Committed(&nodes);
    benchmark::DoNotOptimize(tree.root());
  }
}
BENCHMARK(BM_StateRootUpdate)->Args({2000, 1000})->Args({2000, 100'000})->Args({2000, 1'000'000})->Unit(benchmark::kMillisecond);

// State sync's chunks end to end on one core: a tree of `range(0)` accounts (about the
// size of an Account record each) served from one LevelDB store and restored into
// another, both on disk. Leaves a second is the figure to set beside Aptos's 50-80k a
// second and the state issue's 60 s for a million; in a real sync the serving runs on
// the peers, so this is the restoring node's cost plus one peer's.
void BM_StateChunkRestore(benchmark::State& state) {
  std::vector<ledger::StateTree::Entry> entries;
  for (int64_t i = 0; i < state.range(0); ++i) {
    entries.emplace_back(crypto::Sha256Of("k" + std::to_string(i)), Bytes(100, static_cast<char>('a' + i % 26)));
  }
  test::TempDir source_dir;
  auto source_store = ledger::OpenLevelDbStore(source_dir.path()).value();
  ledger::TreeStore source_nodes(*source_store, size_t{64} << 20);
  if (!source_nodes.WriteWhole(ledger::StateTree::Build(1, entries), *source_store).ok()) std::abort();
  const ledger::StateTree source = source_nodes.Load(1).value();
  uint64_t bytes = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto dir = std::make_unique<test::TempDir>();
    auto store = ledger::OpenLevelDbStore(dir->path()).value();
    state.ResumeTiming();
    auto restore = ledger::StateRestore::Open(*store, 1, source.root()).value();
    while (!restore->finished()) {
      const auto& [path, hash] = *restore->wanted().begin();
      v1::StateChunkRequest request;
      request.set_version(1);
      request.set_path(path);
      request.set_expected_hash(ToBytes(hash));
      request.set_max_leaves(ledger::kMaxChunkLeaves);
      const v1::StateChunkResponse answer = ledger::ServeStateChunk(source, request, 1u << 20);
      bytes += answer.ByteSizeLong();
      if (restore->Apply(answer).value() != ledger::StateRestore::Applied::kStored) std::abort();
    }
    state.PauseTiming();
    restore.reset();
    store.reset();
    dir.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["bytes_per_leaf"] = static_cast<double>(bytes) / static_cast<double>(state.iterations() * state.range(0));
}
BENCHMARK(BM_StateChunkRestore)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->Iterations(1);

// Blocks of `range(0)` transfers on a LevelDB ledger, each user sending one per block.
class BlockFixture {
 public:
  explicit BlockFixture(int txs)
      : chain_({.users = txs}),
        ledger_(ledger::Ledger::Open(ledger::OpenLevelDbStore(dir_.path()).value(), chain_.genesis()).value()) {}

  // The next block, proposed (executed once by the proposer) but not committed.
  ledger::ExecutedBlock Propose() {
    ledger::BlockTemplate t;
    v1::BlockHeader head = ledger_->head_header();
    t.round = head.round() + 1;
    t.timestamp_ms = head.timestamp_ms() + 1;
    t.parent_qc = chain_.HeadCertificate(*ledger_).value();
    uint64_t nonce = head.height() + 1;
    for (int i = 0; i < chain_.user_count(); ++i) {
      *t.transactions.Add() = chain_.Transfer(chain_.user(i), nonce, chain_.user((i + 1) % chain_.user_count()), 1);
    }
    return ledger_->ProposeBlock(t).value();
  }
  // The next block, proposed, with a quorum certificate for it; untimed.
  std::pair<ledger::ExecutedBlock, v1::QuorumCertificate> ProposeCertified(benchmark::State& state) {
    state.PauseTiming();
    ledger::ExecutedBlock proposed = Propose();
    v1::QuorumCertificate qc = chain_.Certify(proposed.block);
    state.ResumeTiming();
    return {std::move(proposed), std::move(qc)};
  }
  ledger::Ledger& ledger() { return *ledger_; }

 private:
  test::TempDir dir_;
  test::TestChain chain_;
  std::unique_ptr<ledger::Ledger> ledger_;
};

// What a replica does with a block it did not propose: verify every signature, execute,
// check the roots, and commit in one synced batch.
void BM_ExecuteAndCommitBlock(benchmark::State& state) {
  BlockFixture fixture(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto [proposed, qc] = fixture.ProposeCertified(state);
    auto executed = fixture.ledger().Execute(proposed.block);
    if (!executed.ok() || !fixture.ledger().Commit(*executed, qc).ok()) state.SkipWithError("commit failed");
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ExecuteAndCommitBlock)->Arg(1000)->Arg(5000)->Unit(benchmark::kMillisecond);

// The commit alone: the synced WriteBatch of an already executed block.
void BM_CommitBlock(benchmark::State& state) {
  BlockFixture fixture(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto [proposed, qc] = fixture.ProposeCertified(state);
    if (!fixture.ledger().Commit(proposed, qc).ok()) state.SkipWithError("commit failed");
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_CommitBlock)->Arg(1000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cairn

BENCHMARK_MAIN();
