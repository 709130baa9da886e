// The safety record under SIGKILL: a child process saves the record with a rising
// round, reporting each round only after its save returned (as the node releases a
// signature only after the save), and is killed at a random moment, again and again on
// the same folder. After every kill the record must load, and hold at least the last
// reported round: a released signature is never forgotten, whichever slot the kill hit.
// CAIRN_TEST_SEED replays a run.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "node/safety_file.h"
#include "tests/support/seed.h"
#include "tests/unit/temp_dir.h"

namespace cairn::node {
namespace {

// The child: from the round on disk on, save the next round forever, reporting each.
[[noreturn]] void SaveForever(const std::string& dir, int report_fd) {
  SafetyFile file(dir);
  auto loaded = file.Load();
  if (!loaded.ok()) _exit(3);
  uint64_t round = loaded->has_value() ? (*loaded)->highest_voted_round() : 0;
  for (;;) {
    v1::SafetyRecord record;
    record.set_highest_voted_round(++round);
    // A size that changes with the round, so that slots are also rewritten shorter.
    if (round % 3 == 0) record.mutable_high_qc()->set_block_hash(std::string(32 + round % 64, 'h'));
    if (!file.Save(record).ok()) _exit(4);
    if (write(report_fd, &round, sizeof(round)) != sizeof(round)) _exit(5);
  }
}

TEST(SafetyFileCrash, SigkillNeverLosesARoundReleasedAfterItsSave) {
  std::mt19937_64 rng(test::TestSeed("SafetyFileCrash"));
  test::TempDir dir;
  uint64_t durable = 0;
  int kills_after_a_save = 0;
  for (int k = 0; k < 100; ++k) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      SaveForever(dir.path(), fds[1]);
    }
    close(fds[1]);
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 20'000));
    kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the child failed on its own with status " << status;
    uint64_t reported = 0, round = 0;
    while (read(fds[0], &round, sizeof(round)) == sizeof(round)) reported = round;
    close(fds[0]);
    if (reported > 0) ++kills_after_a_save;

    auto loaded = SafetyFile(dir.path()).Load();
    ASSERT_TRUE(loaded.ok()) << "kill " << k << ": " << loaded.status().ToString();
    const uint64_t on_disk = loaded->has_value() ? (*loaded)->highest_voted_round() : 0;
    ASSERT_GE(on_disk, std::max(durable, reported)) << "kill " << k;
    ASSERT_LE(on_disk, std::max(durable, reported) + 1) << "kill " << k << ": at most the save in flight";
    durable = on_disk;
  }
  std::printf("SafetyFileCrash: 100 kills, %d after at least one save, round %llu at the end\n", kills_after_a_save,
              static_cast<unsigned long long>(durable));
  EXPECT_GT(kills_after_a_save, 10) << "the kills came too early to test anything";
}

}  // namespace
}  // namespace cairn::node
