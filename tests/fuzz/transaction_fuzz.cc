// A transaction as a client or a peer sends it: parsed, then the stateless checks
// every node runs on admission (body, operation, chain id, key and signature;
// ledger/tx_check.h).
#include <cstddef>
#include <cstdint>

#include "crypto/verifier.h"
#include "ledger/tx_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn;
  v1::Transaction tx;
  if (!tx.ParseFromArray(data, static_cast<int>(size))) return 0;
  crypto::DirectVerifier verifier;
  (void)ledger::CheckTransaction(tx, "cairn-fuzz", verifier);
  return 0;
}
