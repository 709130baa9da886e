// The state tree versions readers hold open, and the floor below which versions may be
// pruned: what keeps "a pruned version is never read" true without a reader ever
// waiting for a pruning step, or a pruning step for a reader.
//
// A reader pins the version it reads (Pin) and keeps the pin while it reads; a pruning
// step raises the floor (RaiseFloor), which stops below the oldest pinned version, and
// deletes only below the floor. Both happen under one mutex, so a version is either
// pinned before the floor passes it or refused to the reader.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <set>

namespace cairn::ledger {

class VersionPins {
 public:
  explicit VersionPins(uint64_t floor = 0) : floor_(floor) {}

  // A pin of `version`, held until the last copy of it is dropped; null when `version`
  // is below the floor (pruned, or about to be). The pins must outlive every pin.
  std::shared_ptr<const void> Pin(uint64_t version);
  // Raises the floor towards `to`, but not past the oldest pinned version nor down;
  // returns the floor now.
  uint64_t RaiseFloor(uint64_t to);
  uint64_t floor() const;

 private:
  mutable std::mutex mu_;
  uint64_t floor_;
  // One entry per pin alive: as many as readers at once (gRPC threads, the state
  // server), so bounded by the threads that read.
  std::multiset<uint64_t> pinned_;
};

}  // namespace cairn::ledger
