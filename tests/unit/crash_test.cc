// Crash safety of the ledger, proven: a child process commits blocks to a LevelDB
// ledger and is SIGKILLed at a random moment, again and again on the same data
// directory. After every kill the store must reopen on a committed block boundary that
// (1) includes every block the child reported as committed (durability), (2) has no
// record of a later block (atomicity), and (3) has the state root that re-executing
// every block from genesis gives, with every account read back from the on-disk state
// tree.
//
// The child also prunes as a node with a short retention window does, on a thread of
// its own beside the commits (block bodies and state versions, with compactions), so
// kills land inside pruning steps too. After each kill (4) what the store says it
// retains is whole: every kept block has its body, every pruned one its header and
// certificate, every kept state version reads back, leaf by leaf, to the root the
// reference computes.
//
// CAIRN_CRASH_KILLS sets the number of kill points (default 200); CAIRN_TEST_SEED
// replays a run.
#include <signal.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "ledger/ledger.h"
#include "tests/support/seed.h"
#include "tests/support/test_chain.h"
#include "tests/unit/recovery_check.h"
#include "tests/unit/temp_dir.h"

namespace cairn::ledger {
namespace {

using recovery::BlockTransactions;
using recovery::Chain;
using recovery::kUsers;

constexpr uint64_t kMaxChildBlocks = 1'000'000;
// The child keeps the bodies and state versions of its last few blocks.
constexpr uint64_t kKeep = 4;

// The child's pruner: below the head less kKeep, never at or above `prune_below` (the
// parent's reference has executed the blocks below it and needs no body of them again).
void PruneForever(Ledger& ledger, uint64_t prune_below) {
  for (;;) {
    const uint64_t head = ledger.height();
    const uint64_t below = std::min(prune_below, head > kKeep ? head - kKeep : 0);
    if (!ledger.PruneBlocks(below, 3).ok() || !ledger.PruneStateVersions(below, 3).ok() ||
        !ledger.CompactPruned(8).ok()) {
      _exit(7);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
}

// The child: commit forever, reporting each committed height on `report_fd`, and prune.
[[noreturn]] void RunChild(const std::string& dir, int report_fd, uint64_t prune_below) {
  auto store = OpenLevelDbStore(dir);
  if (!store.ok()) _exit(3);
  auto ledger = Ledger::Open(std::move(store).value(), Chain().genesis());
  if (!ledger.ok()) _exit(4);
  std::thread([&ledger = **ledger, prune_below] { PruneForever(ledger, prune_below); }).detach();
  for (uint64_t i = 0; i < kMaxChildBlocks; ++i) {
    uint64_t next = (*ledger)->height() + 1;
    if (!Chain().CommitBlock(**ledger, BlockTransactions(next)).ok()) _exit(5);
    if (write(report_fd, &next, sizeof(next)) != sizeof(next)) _exit(6);
  }
  _exit(0);
}

// Reads every height the child reported; returns the last (or `last` if none).
uint64_t LastReported(int fd, uint64_t last) {
  uint64_t height = 0;
  while (read(fd, &height, sizeof(height)) == sizeof(height)) last = height;
  return last;
}

// Waits up to 10 s for the child's first commit report; returns its height.
uint64_t WaitForFirstReport(int fd) {
  pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
  uint64_t height = 0;
  if (poll(&p, 1, 10'000) == 1 && read(fd, &height, sizeof(height)) == sizeof(height)) return height;
  return 0;
}

TEST(LedgerCrash, SigkillAtRandomPointsLosesNothingCommitted) {
  const char* kills_env = std::getenv("CAIRN_CRASH_KILLS");
  const int kills = kills_env ? std::atoi(kills_env) : 200;
  std::mt19937_64 rng(test::TestSeed("LedgerCrash"));
  test::TempDir dir;
  // The reference re-executes every stored block from genesis, once each.
  auto reference = Ledger::Open(std::make_unique<MemoryStore>(), Chain().genesis()).value();
  uint64_t durable = 0, pruned = 0;
  int unreported_commits = 0, kills_before_any_commit = 0;

  for (int k = 0; k < kills; ++k) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      RunChild(dir.path(), fds[1], durable);
    }
    close(fds[1]);
    // A quarter of the kills come at any moment from the start, so they also hit the
    // store's recovery at open; the rest come within a few blocks of the first commit,
    // where the commit writes are, since a block spends most of its time on signatures.
    uint64_t first_report = 0;
    if (rng() % 4 == 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % 30'000));
    } else {
      first_report = WaitForFirstReport(fds[0]);
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % 8'000));
    }
    kill(pid, SIGKILL);
    int wstatus = 0;
    ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(wstatus)) << "child failed on its own with status " << wstatus;
    uint64_t reported = LastReported(fds[0], first_report);
    close(fds[0]);

    auto store = OpenLevelDbStore(dir.path());
    ASSERT_TRUE(store.ok()) << "kill " << k << ": " << store.status().ToString();
    auto reopened = Ledger::Open(std::move(store).value(), Chain().genesis());
    ASSERT_TRUE(reopened.ok()) << "kill " << k << ": " << reopened.status().ToString();
    const uint64_t height = (*reopened)->height();
    // Durability: everything reported (and everything found at earlier reopens) stays.
    ASSERT_GE(height, std::max(durable, reported)) << "kill " << k;
    // At most the one commit in flight when the kill came finished unreported.
    ASSERT_LE(height, std::max(durable, reported) + 1) << "kill " << k;
    if (height == std::max(durable, reported) + 1) ++unreported_commits;
    if (height == durable) ++kills_before_any_commit;
    // Atomicity: nothing of a later block is there.
    EXPECT_EQ((*reopened)->GetBlock(height + 1).status().code(), StatusCode::kNotFound);

    const std::string where = "kill " + std::to_string(k);
    ASSERT_NO_FATAL_FAILURE(recovery::CatchUpAndCompare(**reopened, *reference, where));
    ASSERT_NO_FATAL_FAILURE(recovery::CheckRetained(**reopened, *reference, where));
    pruned = std::max(pruned, (*reopened)->retained_from());
    durable = height;
  }
  std::printf("LedgerCrash: %d kills, %llu blocks committed, %d kills landed after a commit was "
              "durable but before it was reported, %d before the child committed anything\n",
              kills, static_cast<unsigned long long>(durable), unreported_commits,
              kills_before_any_commit);
  std::printf("LedgerCrash: bodies pruned below block %llu\n", static_cast<unsigned long long>(pruned));
  EXPECT_GT(durable, 0u);
  EXPECT_GT(pruned, 0u) << "the child never pruned: the kills did not exercise pruning";
}

}  // namespace
}  // namespace cairn::ledger
