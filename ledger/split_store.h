// The ledger's store as two: the state tree's records (keys.h `n`: its nodes, stale
// lists and roots, every key version first) in a database of their own, everything else
// in another. OpenLevelDbStore gives one of these over two LevelDB databases.
//
// Why: a block's tree records are most of its bytes (at 1,000,000 accounts, two 16-way
// internal nodes of about 650 bytes for every account it changes) and their keys only
// grow, so in a database of their own each new table sorts after every older one and
// LevelDB moves it down the levels without rewriting it. Beside the block's random keys
// (the transaction, block-hash and history indexes) every new table overlapped every
// range and LevelDB rewrote each byte three or four times (README, "State at scale").
//
// Contract, beyond KvStore's:
//  - A batch is applied tree records first, then the rest, each part whole and with the
//    batch's durability. A crash between leaves the tree's part alone: records of a
//    version that nothing in the rest names yet (no head, no restored-subtree record),
//    written again byte for byte when that block commits again or that subtree is
//    restored again. So whoever deletes tree records must first record, in a batch of
//    its own, that nothing reads them any more.
//  - After a failed Write every later Write fails with its error, until Reopen.
//  - Scan visits both in one key order.
#pragma once

#include <memory>
#include <mutex>

#include "ledger/kv_store.h"

namespace cairn::ledger {

class SplitStore : public KvStore {
 public:
  SplitStore(std::unique_ptr<KvStore> rest, std::unique_ptr<KvStore> tree)
      : rest_(std::move(rest)), tree_(std::move(tree)) {}

  Result<std::optional<Bytes>> Get(ByteView key) const override;
  Status Write(const WriteBatch& batch, Durability durability) override;
  Status Scan(ByteView prefix, ByteView start, const Visitor& visit) const override;
  Status Reopen() override;
  // Each database compacts its part of the range.
  Status Compact(ByteView begin, ByteView end) override;

 private:
  const std::unique_ptr<KvStore> rest_;
  const std::unique_ptr<KvStore> tree_;
  std::mutex write_mu_;
  Status write_error_;
};

}  // namespace cairn::ledger
