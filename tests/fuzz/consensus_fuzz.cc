// A consensus message (proposal with its block, vote, timeout, certificates) from a
// validator, delivered to a freshly started replica of validator 0 (consensus/replica.h)
// with a real ledger behind it. The first byte picks the sender; the rest is the message.
// Whatever it holds, the replica answers with actions or drops it, never more.
#include <cstddef>
#include <cstdint>

#include "crypto/verifier.h"
#include "tests/fuzz/fuzz_chain.h"
#include "tests/support/replica_rig.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn;
  if (size < 1) return 0;
  v1::ConsensusMessage message;
  if (!message.ParseFromArray(data + 1, static_cast<int>(size - 1))) return 0;
  const uint32_t from = data[0] % 4;

  static crypto::CachingVerifier verifier(1 << 12);
  static consensus::RoundRobinLeaders leaders(4);
  test::ReplicaRig rig(fuzz::Chain(), 0, verifier, leaders);
  (void)rig.replica->Start(1'000);
  (void)rig.replica->OnMessage(from, message, 1'000);
  return 0;
}
