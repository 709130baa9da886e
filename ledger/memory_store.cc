#include "ledger/kv_store.h"

namespace cairn::ledger {

Result<std::optional<Bytes>> MemoryStore::Get(ByteView key) const {
  std::lock_guard lock(mu_);
  auto it = data_.find(key);
  if (it == data_.end()) return std::optional<Bytes>();
  return std::optional<Bytes>(it->second);
}

Status MemoryStore::Write(const WriteBatch& batch, Durability durability) {
  std::lock_guard lock(mu_);
  if (!write_error_.ok()) return write_error_;
  if (durability == Durability::kSync) ++synced_writes_;
  for (size_t i = 0; i < batch.size(); ++i) {
    const WriteBatch::Op op = batch.op(i);
    if (op.value) {
      data_[Bytes(op.key)] = Bytes(*op.value);
    } else {
      data_.erase(Bytes(op.key));
    }
  }
  return Status::Ok();
}

Status MemoryStore::Scan(ByteView prefix, ByteView start, const Visitor& visit) const {
  // Copy the range first so that `visit` may call back into the store.
  std::vector<std::pair<Bytes, Bytes>> entries;
  {
    std::lock_guard lock(mu_);
    for (auto it = data_.lower_bound(start < prefix ? prefix : start); it != data_.end(); ++it) {
      if (!ByteView(it->first).starts_with(prefix)) break;
      entries.emplace_back(it->first, it->second);
    }
  }
  for (const auto& [key, value] : entries) {
    if (!visit(key, value)) break;
  }
  return Status::Ok();
}

void MemoryStore::TEST_FailWrites(Status error) {
  std::lock_guard lock(mu_);
  write_error_ = std::move(error);
}

size_t MemoryStore::TEST_synced_writes() const {
  std::lock_guard lock(mu_);
  return synced_writes_;
}

void MemoryStore::TEST_Put(ByteView key, ByteView value) {
  std::lock_guard lock(mu_);
  data_[Bytes(key)] = Bytes(value);
}

}  // namespace cairn::ledger
