// Finding an account's records in a ledger's store, for tests that damage them behind
// the ledger's back.
#pragma once

#include "ledger/kv_store.h"

namespace cairn::test {

// The storage key of the state tree leaf that holds `address` in the newest version
// that wrote it (empty when there is none).
Bytes NewestAccountLeafKey(const ledger::KvStore& store, ByteView address);

}  // namespace cairn::test
