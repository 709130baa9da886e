#include "ledger/split_store.h"

#include <algorithm>

#include "ledger/keys.h"

namespace cairn::ledger {

namespace {

// Every key of the tree's database begins with this byte, and no other key does.
constexpr ByteView kTreeFirst = keys::kNodePrefix;
constexpr ByteView kAfterTree = "o";

bool InTree(ByteView key) { return key.starts_with(kTreeFirst); }

}  // namespace

Result<std::optional<Bytes>> SplitStore::Get(ByteView key) const {
  return InTree(key) ? tree_->Get(key) : rest_->Get(key);
}

Status SplitStore::Write(const WriteBatch& batch, Durability durability) {
  std::lock_guard lock(write_mu_);
  if (!write_error_.ok()) return write_error_;
  WriteBatch tree, rest;
  for (size_t i = 0; i < batch.size(); ++i) {
    const WriteBatch::Op op = batch.op(i);
    WriteBatch& part = InTree(op.key) ? tree : rest;
    if (op.value) {
      part.Put(op.key, *op.value);
    } else {
      part.Delete(op.key);
    }
  }
  Status status = tree.size() > 0 ? tree_->Write(tree, durability) : Status::Ok();
  if (status.ok() && rest.size() > 0) status = rest_->Write(rest, durability);
  if (!status.ok()) write_error_ = status;
  return status;
}

Status SplitStore::Scan(ByteView prefix, ByteView start, const Visitor& visit) const {
  if (!prefix.empty()) return InTree(prefix) ? tree_->Scan(prefix, start, visit) : rest_->Scan(prefix, start, visit);
  // The whole key space in order: the rest below the tree's byte, the tree, the rest
  // above it.
  bool stopped = false;  // `visit` said stop
  auto forward = [&](ByteView key, ByteView value) {
    stopped = !visit(key, value);
    return !stopped;
  };
  auto below_tree = [&](ByteView key, ByteView value) { return key < kTreeFirst && forward(key, value); };
  CAIRN_RETURN_IF_ERROR(rest_->Scan("", start, below_tree));
  if (!stopped) CAIRN_RETURN_IF_ERROR(tree_->Scan(kTreeFirst, start, forward));
  if (!stopped) CAIRN_RETURN_IF_ERROR(rest_->Scan("", std::max(start, kAfterTree), forward));
  return Status::Ok();
}

Status SplitStore::Compact(ByteView begin, ByteView end) {
  const bool reaches_tree = begin < kAfterTree && (end.empty() || end > kTreeFirst);
  const bool reaches_rest = begin < kTreeFirst || end.empty() || end > kAfterTree;
  if (reaches_tree) CAIRN_RETURN_IF_ERROR(tree_->Compact(std::max(begin, kTreeFirst), end.empty() ? kAfterTree : std::min(end, kAfterTree)));
  if (reaches_rest) CAIRN_RETURN_IF_ERROR(rest_->Compact(begin, end));
  return Status::Ok();
}

Status SplitStore::Reopen() {
  std::lock_guard lock(write_mu_);
  CAIRN_RETURN_IF_ERROR(tree_->Reopen());
  CAIRN_RETURN_IF_ERROR(rest_->Reopen());
  write_error_ = Status::Ok();
  return Status::Ok();
}

}  // namespace cairn::ledger
