// What the fuzz targets that need a chain share: a TestChain (four validators with
// known keys) and, per input, a fresh ledger at its genesis, so that no input changes
// what the next one sees.
#pragma once

#include <memory>

#include "crypto/sha256.h"
#include "ledger/kv_store.h"
#include "ledger/ledger.h"
#include "ledger/state_tree.h"
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

// The state tree the state chunk target restores and its seeds are cut from: 300
// accounts, version 2, in memory.
inline ledger::StateTree SmallStateTree() {
  std::vector<ledger::StateTree::Entry> entries;
  for (int i = 0; i < 300; ++i) entries.emplace_back(crypto::Sha256Of("key-" + std::to_string(i)), "value-" + std::to_string(i));
  return ledger::StateTree::Build(2, entries);
}

}  // namespace cairn::fuzz
