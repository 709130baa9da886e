#include "tests/support/state_records.h"

#include "ledger/keys.h"
#include "ledger/state_tree.h"

namespace cairn::test {

Bytes NewestAccountLeafKey(const ledger::KvStore& store, ByteView address) {
  const Hash key = ledger::StateKey(address);
  Bytes found;
  // Node keys begin with their version, so the last match is the newest.
  Status scanned = store.Scan(ledger::keys::kNodePrefix, "", [&](ByteView node_key, ByteView value) {
    if (ledger::keys::IsNodeKey(node_key) && value.size() >= 33 && value[0] == 0 && value.substr(1, 32) == AsView(key)) {
      found = Bytes(node_key);
    }
    return true;
  });
  return scanned.ok() ? found : Bytes();
}

}  // namespace cairn::test
