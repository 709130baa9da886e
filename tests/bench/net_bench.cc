// Micro-benchmarks of the network's hot path: decoding a frame of gossiped
// transactions (what a peer does for every batch it receives, before any signature).
#include <benchmark/benchmark.h>

#include "net/frame.h"
#include "tests/support/test_chain.h"

namespace cairn {
namespace {

// A frame holding a TxBatch of `range(0)` signed transfers.
void BM_DecodeTxBatchFrame(benchmark::State& state) {
  const int txs = static_cast<int>(state.range(0));
  test::TestChain chain({.users = txs});
  v1::PeerMessage message;
  for (int i = 0; i < txs; ++i) {
    *message.mutable_transactions()->add_transactions() = chain.Transfer(chain.user(i), 1, chain.user((i + 1) % txs), 1);
  }
  const Bytes frame = net::EncodeFrame(message);
  const ByteView body = ByteView(frame).substr(net::kFrameHeaderBytes);
  for (auto _ : state) {
    auto decoded = net::DecodeFrameBody(body);
    if (!decoded.ok() || decoded->transactions().transactions_size() != txs) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(decoded);
  }
  state.SetItemsProcessed(state.iterations() * txs);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(frame.size()));
}
BENCHMARK(BM_DecodeTxBatchFrame)->Arg(512);

}  // namespace
}  // namespace cairn
