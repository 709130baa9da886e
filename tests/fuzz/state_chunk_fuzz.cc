// A state sync chunk as a peer sends it (ledger/state_restore.h): applied, after the
// honest root node, to a restorer of a known tree. Whatever it holds, Apply must not
// crash, and if it is taken the tree finished with honest answers must still be the
// known one: a lie that passes the checks aborts here.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "ledger/kv_store.h"
#include "ledger/state_chunk.h"
#include "ledger/state_restore.h"
#include "ledger/state_tree.h"
#include "ledger/tree_store.h"
#include "tests/fuzz/fuzz_chain.h"

namespace {

using namespace cairn;

constexpr uint32_t kChunkLeaves = 16;

const ledger::StateTree& Source() {
  static const ledger::StateTree tree = fuzz::SmallStateTree();
  return tree;
}

v1::StateChunkResponse Honest(const Bytes& path, const Hash& hash) {
  v1::StateChunkRequest request;
  request.set_version(2);
  request.set_path(path);
  request.set_expected_hash(ToBytes(hash));
  request.set_max_leaves(kChunkLeaves);
  return ledger::ServeStateChunk(Source(), request, 1 << 20);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  v1::StateChunkResponse input;
  if (!input.ParseFromArray(data, static_cast<int>(size))) return 0;
  ledger::MemoryStore store;
  auto restore = ledger::StateRestore::Open(store, 2, Source().root()).value();
  if (restore->Apply(Honest("", Source().root())).value() != ledger::StateRestore::Applied::kStored) std::abort();
  // Aimed at a wanted chunk unless it names one itself.
  if (restore->wanted().count(input.path()) == 0) input.set_path(restore->wanted().begin()->first);
  input.set_version(2);
  (void)restore->Apply(input);
  while (!restore->finished()) {
    const auto [path, hash] = *restore->wanted().begin();
    if (restore->Apply(Honest(path, hash)).value() != ledger::StateRestore::Applied::kStored) std::abort();
  }
  ledger::TreeStore nodes(store, 1 << 20);
  auto restored = nodes.Load(2);
  if (!restored.ok() || restored->root() != Source().root() || restored->size() != Source().size()) std::abort();
  // Every stored node read back against the hash its parent names: the records a lie
  // left would fail here even under a correct root record.
  static const auto expected = Source().Leaves(Hash{}, SIZE_MAX).value();
  auto leaves = restored->Leaves(Hash{}, SIZE_MAX);
  if (!leaves.ok() || *leaves != expected) std::abort();
  return 0;
}
