#include "ledger/version_pins.h"

#include <algorithm>

namespace cairn::ledger {

std::shared_ptr<const void> VersionPins::Pin(uint64_t version) {
  std::lock_guard lock(mu_);
  if (version < floor_) return nullptr;
  auto entry = pinned_.insert(version);
  // The pin's deleter drops the entry: the shared_ptr owns no object, only this.
  return std::shared_ptr<const void>(this, [this, entry](const void*) {
    std::lock_guard lock(mu_);
    pinned_.erase(entry);
  });
}

uint64_t VersionPins::RaiseFloor(uint64_t to) {
  std::lock_guard lock(mu_);
  if (!pinned_.empty()) to = std::min(to, *pinned_.begin());
  floor_ = std::max(floor_, to);
  return floor_;
}

uint64_t VersionPins::floor() const {
  std::lock_guard lock(mu_);
  return floor_;
}

}  // namespace cairn::ledger
