// What a light client (node/light_client.h) pays, for the README's cost table: one
// account read by a client whose trust store already holds the epoch (one certificate
// check), and a cold start from the genesis file after K epoch changes (each a key
// rotation, so each set differs) followed by that read; for n = 4, 7 and 16 validators.
// Counters: bytes, the answer's (and the epoch-change pages') serialized size.
#include <benchmark/benchmark.h>

#include <map>

#include "crypto/check.h"
#include "ledger/ledger.h"
#include "node/light_client.h"
#include "tests/support/ledger_node.h"
#include "tests/support/test_chain.h"

namespace cairn {
namespace {

// A chain of n validators through `epochs` key rotations (validator k % n each time),
// a transfer committed at its head.
struct RotatedChain {
  test::TestChain chain;
  std::unique_ptr<ledger::Ledger> ledger;
  std::unique_ptr<test::LedgerNode> node;

  RotatedChain(int n, int epochs)
      : chain({.validators = n, .admin_threshold = 1, .epoch_length = 2, .spare_validators = epochs}) {
    ledger = ledger::Ledger::Open(std::make_unique<ledger::MemoryStore>(), chain.genesis()).value();
    std::vector<const crypto::PrivateKey*> current;
    for (int i = 0; i < n; ++i) current.push_back(&chain.validator(i));
    uint64_t nonce = 0;
    for (int k = 0; k < epochs; ++k) {
      const int who = k % n;
      const crypto::PrivateKey& next = chain.spare_validator(k);
      const std::string name = "validator-" + std::to_string(who);
      CAIRN_CHECK(chain.CommitSetChange(*ledger, chain.KeyRotation(name, *current[who], next, ledger->epoch()), &nonce).ok());
      current[who] = &next;
    }
    google::protobuf::RepeatedPtrField<v1::Transaction> txs;
    *txs.Add() = chain.Transfer(chain.user(0), 1, chain.user(1), 5);
    CAIRN_CHECK(chain.CommitBlock(*ledger, txs, /*with_finality=*/true).ok());
    node = std::make_unique<test::LedgerNode>(*ledger);
  }
};

RotatedChain& ChainOf(int n, int epochs) {
  static auto* chains = new std::map<std::pair<int, int>, std::unique_ptr<RotatedChain>>();
  auto& slot = (*chains)[{n, epochs}];
  if (!slot) slot = std::make_unique<RotatedChain>(n, epochs);
  return *slot;
}

void BM_LightClientRead(benchmark::State& state) {
  RotatedChain& rotated = ChainOf(static_cast<int>(state.range(0)), 0);
  const v1::GetAccountResponse answer = rotated.node->Account(rotated.chain.user(1));
  node::LightClient client = node::LightClient::FromGenesis(rotated.chain.genesis());
  for (auto _ : state) CAIRN_CHECK(client.VerifyAccount(answer, rotated.node->Fetcher(), {}).ok());
  state.counters["bytes"] = static_cast<double>(answer.ByteSizeLong());
}
BENCHMARK(BM_LightClientRead)->ArgName("n")->Arg(4)->Arg(7)->Arg(16)->Unit(benchmark::kMicrosecond);

void BM_LightClientColdStart(benchmark::State& state) {
  RotatedChain& rotated = ChainOf(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  const v1::GetAccountResponse answer = rotated.node->Account(rotated.chain.user(1));
  size_t page_bytes = 0;
  for (auto _ : state) {
    page_bytes = 0;
    auto fetch = [&](uint64_t from) -> Result<v1::EpochChangesResponse> {
      v1::EpochChangesResponse page = rotated.node->EpochChanges(from);
      page_bytes += page.ByteSizeLong();
      return page;
    };
    node::LightClient client = node::LightClient::FromGenesis(rotated.chain.genesis());
    CAIRN_CHECK(client.VerifyAccount(answer, fetch, {}).ok());
  }
  state.counters["bytes"] = static_cast<double>(answer.ByteSizeLong() + page_bytes);
}
BENCHMARK(BM_LightClientColdStart)
    ->ArgNames({"n", "epochs"})
    ->Args({4, 10})->Args({7, 10})->Args({16, 10})->Args({4, 100})->Args({7, 100})->Args({16, 100})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cairn
