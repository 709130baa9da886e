// A consensus message (proposal with its block, vote, timeout, certificates) from a
// validator, delivered to a freshly started replica of validator 0 (consensus/replica.h)
// with a real ledger behind it. The first byte picks the sender; the rest is the message.
// Whatever it holds, the replica answers with actions or drops it, never more.
#include <cstddef>
#include <cstdint>

#include "consensus/replica.h"
#include "crypto/verifier.h"
#include "ledger/speculator.h"
#include "node/ledger_engine.h"
#include "tests/fuzz/fuzz_chain.h"

namespace {

class NoTransactions : public cairn::node::TransactionSource {
 public:
  std::vector<cairn::v1::Transaction> Candidates(size_t, const std::set<cairn::Hash>&) override { return {}; }
  void LeftOut(const cairn::v1::Transaction&, const cairn::Status&) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn;
  if (size < 1) return 0;
  v1::ConsensusMessage message;
  if (!message.ParseFromArray(data + 1, static_cast<int>(size - 1))) return 0;
  const uint32_t from = data[0] % 4;

  static crypto::CachingVerifier verifier(1 << 12);
  static const consensus::RoundRobinLeaders leaders(4);
  auto ledger = fuzz::FreshLedger(&verifier);
  ledger::Speculator speculator(*ledger, 64);
  NoTransactions source;
  node::LedgerEngine engine(*ledger, speculator, source, 100);
  auto head = ledger->GetBlock(0).value();
  consensus::RecoveredState recovered{
      .head = {head.block, head.header, head.hash, HashFromBytes(head.header.parent_hash()).value()},
      .head_qc = ledger::GenesisCertificate(head.hash),
      .safety = v1::SafetyRecord()};
  consensus::Replica replica({.context = fuzz::ChainContext(), .self = 0}, &fuzz::Chain().validator(0), engine, verifier,
                             leaders, std::move(recovered));
  (void)replica.Start(1'000);
  (void)replica.OnMessage(from, message, 1'000);
  return 0;
}
