// What the fuzz targets that need a chain share: a TestChain (four validators with
// known keys) and, per input, a fresh ledger at its genesis, so that no input changes
// what the next one sees.
#pragma once

#include <memory>

#include "ledger/kv_store.h"
#include "ledger/ledger.h"
#include "tests/support/replica_rig.h"
#include "tests/support/test_chain.h"

namespace cairn::fuzz {

inline const test::TestChain& Chain() {
  static const test::TestChain chain;
  return chain;
}

inline const consensus::Context& ChainContext() {
  static const consensus::Context context = test::ContextOf(Chain());
  return context;
}

inline std::unique_ptr<ledger::Ledger> FreshLedger(crypto::SignatureVerifier* verifier) {
  return ledger::Ledger::Open(std::make_unique<ledger::MemoryStore>(), Chain().genesis(), verifier).value();
}

}  // namespace cairn::fuzz
