// The cost of persisting the consensus safety record, which every vote, timeout and
// proposal waits for (node/safety_file.h): one fdatasync on the data directory's disk;
// and of storing the block a vote is for (node/voted_block_log.h), which a vote waits
// for too.
// Run through scripts/bench.sh micro; the figure depends on the disk, not the CPU.
#include <benchmark/benchmark.h>

#include "node/safety_file.h"
#include "node/voted_block_log.h"
#include "tests/unit/temp_dir.h"

namespace cairn {
namespace {

// A record as a replica writes it mid-run: rounds and a certificate of three signatures.
v1::SafetyRecord TypicalRecord(uint64_t round) {
  v1::SafetyRecord record;
  record.set_epoch(1);
  record.set_highest_voted_round(round);
  record.set_highest_qc_round(round - 1);
  record.set_highest_timeout_round(round - 2);
  v1::QuorumCertificate* qc = record.mutable_high_qc();
  qc->set_round(round - 1);
  qc->set_height(round);
  qc->set_block_hash(std::string(32, 'b'));
  qc->set_commit_hash(std::string(32, 'c'));
  for (int i = 0; i < 3; ++i) qc->add_signatures()->set_signature(std::string(64, static_cast<char>('s' + i)));
  return record;
}

void BM_SafetyRecordSave(benchmark::State& state) {
  test::TempDir dir;  // on TMPDIR's disk: a tmpfs there makes the figure meaningless
  node::SafetyFile file(dir.path());
  uint64_t round = 10;
  for (auto _ : state) {
    if (!file.Save(TypicalRecord(++round)).ok()) state.SkipWithError("save failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SafetyRecordSave)->UseRealTime();

// A block of `txs` transactions of about 250 bytes each, as the 1,500 tx/s runs make
// (75 a block at 20 blocks a second), at `height`.
v1::Block TypicalBlock(uint64_t height, int txs) {
  v1::BlockHeader header;
  header.set_height(height);
  header.set_round(height);
  v1::Block block;
  block.set_header(header.SerializeAsString());
  for (int i = 0; i < txs; ++i) block.add_transactions()->set_body(std::string(250, 't'));
  return block;
}

void BM_VotedBlockAppend(benchmark::State& state) {
  test::TempDir dir;
  auto log = node::VotedBlockLog::Open(dir.path(), 0);
  if (!log.ok()) return state.SkipWithError("open failed");
  uint64_t height = 0;
  for (auto _ : state) {
    ++height;
    if (!(*log)->Append(TypicalBlock(height, static_cast<int>(state.range(0))), height > 2 ? height - 2 : 0).ok()) {
      state.SkipWithError("append failed");
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VotedBlockAppend)->Arg(0)->Arg(75)->UseRealTime();

}  // namespace
}  // namespace cairn
