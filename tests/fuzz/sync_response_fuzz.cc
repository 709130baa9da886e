// A block-sync response as a peer sends it: blocks with their certificates, checked
// and applied by the node (node/sync_apply.h) to a ledger at genesis. A lying or
// malformed response must be refused with a reason and commit nothing it cannot prove.
#include <cstddef>
#include <cstdint>

#include "crypto/verifier.h"
#include "node/sync_apply.h"
#include "tests/fuzz/fuzz_chain.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn;
  v1::SyncResponse response;
  if (!response.ParseFromArray(data, static_cast<int>(size))) return 0;
  if (response.from_height() > 1) response.set_from_height(1);  // the caller buffers later ones
  static crypto::CachingVerifier verifier(1 << 12);
  auto ledger = fuzz::FreshLedger(&verifier);
  (void)node::ApplySyncResponse(*ledger, verifier, response);
  return 0;
}
