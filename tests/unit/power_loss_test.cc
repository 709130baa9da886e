// Power loss, modelled. A SIGKILL (crash_test.cc) keeps what the process wrote in the
// page cache, so it cannot see a missing or misplaced sync; a power loss can. Here the
// ledger commits, prunes and compacts on LevelDB over an Env that keeps only what was
// synced (tests/support/power_loss_env.h). At a random moment the disk stops taking
// writes (the power goes): the ledger is dropped with everything it held in memory, the
// files are cut back to their synced bytes, and of the directory operations (files
// created, renamed, removed) since the directory was last synced only a random prefix
// survives, the rest undone as a journaling file system would. The store must
// then reopen and hold (1) every block whose commit returned (durability), (2) at most the
// one commit in flight besides, and nothing of a block after it (atomicity), (3) the
// state that re-executing every block from genesis gives, read from the on-disk tree, and
// (4) whole what it says it retains.
//
// CAIRN_POWER_CUTS sets the number of power losses (default 400); CAIRN_TEST_SEED replays
// a run.
#include <cstdio>
#include <algorithm>
#include <cstdlib>
#include <random>

#include <gtest/gtest.h>

#include "ledger/kv_store.h"
#include "ledger/ledger.h"
#include "ledger/leveldb_env_for_tests.h"
#include "tests/support/power_loss_env.h"
#include "tests/support/seed.h"
#include "tests/unit/recovery_check.h"
#include "tests/unit/temp_dir.h"

namespace cairn::ledger {
namespace {

using recovery::BlockTransactions;
using recovery::Chain;

constexpr uint64_t kKeep = 4;               // bodies and state versions kept behind the head
constexpr uint64_t kBlocksPerLife = 40;     // at most, between two power losses
constexpr uint64_t kMaxOperations = 600;    // the power goes within this many writes and syncs

// Puts the power-loss Env under every LevelDB opened in this scope.
class WithPowerLossEnv {
 public:
  explicit WithPowerLossEnv(test::PowerLossEnv& env) { SetLevelDbEnvForTests(&env); }
  ~WithPowerLossEnv() { SetLevelDbEnvForTests(nullptr); }
};

TEST(PowerLoss, EveryCommitThatReturnedSurvivesAndTheStoreReopensWhole) {
  const char* cuts_env = std::getenv("CAIRN_POWER_CUTS");
  const int cuts = cuts_env ? std::atoi(cuts_env) : 400;
  std::mt19937_64 rng(test::TestSeed("PowerLoss"));
  test::TempDir dir;
  test::PowerLossEnv env;
  WithPowerLossEnv installed(env);
  auto reference = Ledger::Open(std::make_unique<MemoryStore>(), Chain().genesis()).value();
  uint64_t durable = 0;     // the highest height whose commit returned
  uint64_t in_flight = 0;   // the height being committed when the power went (0: none)
  int lost_in_flight = 0, kept_in_flight = 0, cut_while_pruning = 0;
  size_t directory_ops_undone = 0;
  uint64_t pruned = 0;

  for (int c = 0; c < cuts; ++c) {
    const std::string where = "power loss " + std::to_string(c);
    {
      auto store = OpenLevelDbStore(dir.path());
      ASSERT_TRUE(store.ok()) << where << ": " << store.status().ToString();
      auto ledger = Ledger::Open(std::move(store).value(), Chain().genesis());
      ASSERT_TRUE(ledger.ok()) << where << ": " << ledger.status().ToString();
      const uint64_t height = (*ledger)->height();
      ASSERT_GE(height, durable) << where << ": a commit that returned was lost";
      ASSERT_LE(height, std::max(durable, in_flight)) << where;
      if (in_flight > durable) (height == in_flight ? kept_in_flight : lost_in_flight)++;
      EXPECT_EQ((*ledger)->GetBlock(height + 1).status().code(), StatusCode::kNotFound) << where;
      ASSERT_NO_FATAL_FAILURE(recovery::CatchUpAndCompare(**ledger, *reference, where));
      ASSERT_NO_FATAL_FAILURE(recovery::CheckRetained(**ledger, *reference, where));
      pruned = std::max(pruned, (*ledger)->retained_from());
      durable = height;
      in_flight = 0;

      // Commit and prune as a node does, until the power goes.
      env.CutAfter(rng() % kMaxOperations);
      for (uint64_t b = 0; b < kBlocksPerLife; ++b) {
        const uint64_t next = (*ledger)->height() + 1;
        in_flight = next;
        if (!Chain().CommitBlock(**ledger, BlockTransactions(next)).ok()) break;
        durable = next;
        in_flight = 0;
        // Never below what the reference has re-executed: it reads each block once, after
        // the power loss that follows its commit.
        const uint64_t below = std::min(next > kKeep ? next - kKeep : 0, reference->height());
        if (!(*ledger)->PruneBlocks(below, 3).ok() || !(*ledger)->PruneStateVersions(below, 3).ok() ||
            !(*ledger)->CompactPruned(4).ok()) {
          ++cut_while_pruning;
          break;
        }
      }
      // Whatever it still does before it stops reaches no disk.
      env.CutAfter(0);
    }
    directory_ops_undone += env.PowerLoss(rng());
  }
  std::printf("PowerLoss: %d power losses, %llu blocks committed; the commit in flight was lost %d times and kept "
              "%d times; %d losses came while pruning; bodies pruned below block %llu; %zu directory operations "
              "undone\n",
              cuts, static_cast<unsigned long long>(durable), lost_in_flight, kept_in_flight, cut_while_pruning,
              static_cast<unsigned long long>(pruned), directory_ops_undone);
  EXPECT_GT(durable, 0u);
  EXPECT_GT(lost_in_flight, 0) << "no power loss fell between a commit's writes and its sync";
  EXPECT_GT(cut_while_pruning, 0) << "no power loss fell inside pruning";
  EXPECT_GT(directory_ops_undone, 0u) << "no power loss undid a file's creation, rename or removal";
}

}  // namespace
}  // namespace cairn::ledger
