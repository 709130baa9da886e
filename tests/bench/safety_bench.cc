// The cost of persisting the consensus safety record, which every vote, timeout and
// proposal waits for (node/safety_file.h): one fdatasync on the data directory's disk.
// Run through scripts/bench.sh micro; the figure depends on the disk, not the CPU.
#include <benchmark/benchmark.h>

#include "node/safety_file.h"
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

}  // namespace
}  // namespace cairn
