// The audit's speed on a chain of 100,000 transactions (100 blocks of 1,000 transfers),
// built once per process: what `cairn audit` does per transaction (signature, execution,
// roots) and per block (certificate, stored records).
#include <benchmark/benchmark.h>

#include "crypto/check.h"
#include "ledger/audit.h"
#include "ledger/genesis.h"
#include "ledger/ledger.h"
#include "node/certificate_check.h"
#include "tests/support/test_chain.h"

namespace cairn {
namespace {

constexpr int kBlocks = 100;
constexpr int kTxsPerBlock = 1000;

struct AuditedChain {
  test::TestChain chain{{.users = kTxsPerBlock}};
  ledger::MemoryStore* store = nullptr;
  std::unique_ptr<ledger::Ledger> ledger;

  AuditedChain() {
    auto owned = std::make_unique<ledger::MemoryStore>();
    store = owned.get();
    ledger = ledger::Ledger::Open(std::move(owned), chain.genesis()).value();
    for (int b = 1; b <= kBlocks; ++b) {
      google::protobuf::RepeatedPtrField<v1::Transaction> txs;
      for (int u = 0; u < kTxsPerBlock; ++u) {
        *txs.Add() = chain.Transfer(chain.user(u), static_cast<uint64_t>(b), chain.user((u + 1) % kTxsPerBlock), 1);
      }
      CAIRN_CHECK(chain.CommitBlock(*ledger, txs).ok());
    }
  }
};

void BM_AuditChain(benchmark::State& state) {
  static AuditedChain* audited = new AuditedChain();  // built once: it takes a while
  crypto::DirectVerifier verifier;
  auto check = node::MakeCertificateCheck(audited->chain.chain_id(),
                                          ledger::BuildGenesisState(audited->chain.genesis()).block_hash, verifier);
  for (auto _ : state) {
    ledger::StoreAuditSource source(*audited->store);
    auto report = ledger::AuditChain(audited->chain.genesis(), source, check, audited->store);
    CAIRN_CHECK(report.ok() && report->transactions == kBlocks * kTxsPerBlock);
  }
  state.SetItemsProcessed(state.iterations() * kBlocks * kTxsPerBlock);
}
BENCHMARK(BM_AuditChain)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
}  // namespace cairn
