// The safety record under power loss. A SIGKILL (safety_file_crash_test.cc) keeps what
// was written in the page cache; a power loss keeps only what was synced. This test's
// executable is linked with --wrap for the calls SafetyFile makes to reach the disk
// (pwrite, ftruncate, fdatasync, fsync, rename), so that for files under the test's
// folder it can model the disk: a write not yet synced is undone at the power loss, sector
// by sector at random (a torn write), and a rename not followed by a sync of its folder
// is undone. The record is saved with a rising round until the power goes (after a
// random number of operations), then loaded: it must hold at least the last round whose
// save returned (a signature released after it), at most the one in flight, and never be
// unreadable. CAIRN_TEST_SEED replays a run.
#include <errno.h>
#include <limits.h>
#include <sys/types.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "node/safety_file.h"
#include "tests/support/seed.h"
#include "tests/unit/temp_dir.h"

extern "C" {
ssize_t __real_pwrite(int fd, const void* buf, size_t n, off_t offset);
int __real_ftruncate(int fd, off_t length);
int __real_fdatasync(int fd);
int __real_fsync(int fd);
int __real_rename(const char* from, const char* to);
}

namespace {

// The disk of the files under `root`, as a power loss would leave it.
struct DiskModel {
  std::string root;                                // "" : nothing modelled
  uint64_t operations_left = UINT64_MAX;           // before the power goes
  std::map<std::string, std::string> unsynced;     // path -> its content at its last sync
  std::vector<std::pair<std::string, std::string>> renames;  // not yet made durable

  bool Modelled(const std::string& path) const { return !root.empty() && path.rfind(root, 0) == 0; }
  // One operation that reaches the disk, or false (EIO) once the power is gone.
  bool Operate() {
    if (operations_left == 0) {
      errno = EIO;
      return false;
    }
    --operations_left;
    return true;
  }
  // Before a write to `path`: what it held at its last sync, if not kept yet.
  void BeforeWrite(const std::string& path) {
    if (unsynced.count(path)) return;
    std::ifstream in(path, std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    unsynced[path] = content.str();
  }
  // What the machine finds when it comes back: each unsynced file back to its synced
  // content, 512-byte sector by sector at random (so also torn), and the renames not
  // made durable undone.
  void PowerLoss(std::mt19937_64& rng) {
    for (const auto& [path, synced] : unsynced) {
      std::ifstream in(path, std::ios::binary);
      std::stringstream now;
      now << in.rdbuf();
      const std::string written = now.str();
      const bool whole_old = rng() % 2 == 0;
      std::string result = whole_old ? synced : written;
      if (!whole_old) {
        // Torn: each sector from either.
        result.resize(rng() % 2 == 0 ? synced.size() : written.size());
        for (size_t at = 0; at < result.size(); at += 512) {
          const std::string& from = rng() % 2 == 0 ? synced : written;
          for (size_t k = at; k < std::min(result.size(), at + 512); ++k) result[k] = k < from.size() ? from[k] : '\0';
        }
      }
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out << result;
    }
    unsynced.clear();
    for (auto it = renames.rbegin(); it != renames.rend(); ++it) std::filesystem::remove(it->second);
    renames.clear();
    operations_left = UINT64_MAX;
  }
};

DiskModel disk;

std::string PathOf(int fd) {
  char buf[PATH_MAX];
  const ssize_t n = readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

}  // namespace

extern "C" {

ssize_t __wrap_pwrite(int fd, const void* buf, size_t n, off_t offset) {
  const std::string path = PathOf(fd);
  if (!disk.Modelled(path)) return __real_pwrite(fd, buf, n, offset);
  if (!disk.Operate()) return -1;
  disk.BeforeWrite(path);
  return __real_pwrite(fd, buf, n, offset);
}

int __wrap_ftruncate(int fd, off_t length) {
  const std::string path = PathOf(fd);
  if (!disk.Modelled(path)) return __real_ftruncate(fd, length);
  if (!disk.Operate()) return -1;
  disk.BeforeWrite(path);
  return __real_ftruncate(fd, length);
}

int __wrap_fdatasync(int fd) {
  const std::string path = PathOf(fd);
  if (!disk.Modelled(path)) return __real_fdatasync(fd);
  if (!disk.Operate()) return -1;
  disk.unsynced.erase(path);
  return __real_fdatasync(fd);
}

int __wrap_fsync(int fd) {
  const std::string path = PathOf(fd);
  if (!disk.Modelled(path)) return __real_fsync(fd);
  if (!disk.Operate()) return -1;
  if (std::filesystem::is_directory(path)) {
    disk.renames.clear();  // the names in it are durable
  } else {
    disk.unsynced.erase(path);
  }
  return __real_fsync(fd);
}

int __wrap_rename(const char* from, const char* to) {
  if (!disk.Modelled(from)) return __real_rename(from, to);
  if (!disk.Operate()) return -1;
  const int renamed = __real_rename(from, to);
  if (renamed == 0) {
    // The synced content moves with its name.
    if (auto it = disk.unsynced.find(from); it != disk.unsynced.end()) {
      disk.unsynced[to] = it->second;
      disk.unsynced.erase(it);
    }
    disk.renames.emplace_back(from, to);
  }
  return renamed;
}

}  // extern "C"

namespace cairn::node {
namespace {

TEST(SafetyFilePowerLoss, ARoundWhoseSaveReturnedSurvivesEveryPowerLoss) {
  constexpr int kLosses = 300;
  std::mt19937_64 rng(test::TestSeed("SafetyFilePowerLoss"));
  test::TempDir dir;
  disk.root = std::filesystem::canonical(dir.path()).string();
  uint64_t returned = 0, attempted = 0;
  int lost_in_flight = 0;
  for (int loss = 0; loss < kLosses; ++loss) {
    {
      SafetyFile file(dir.path());
      auto loaded = file.Load();
      ASSERT_TRUE(loaded.ok()) << "power loss " << loss << ": " << loaded.status().ToString();
      const uint64_t round = loaded->has_value() ? (*loaded)->highest_voted_round() : 0;
      ASSERT_GE(round, returned) << "power loss " << loss << ": a save that returned was lost";
      ASSERT_LE(round, attempted) << "power loss " << loss;
      if (attempted > returned && round == returned) ++lost_in_flight;
      returned = round;
      attempted = round;
      disk.operations_left = rng() % 16;
      for (;;) {
        v1::SafetyRecord record;
        record.set_highest_voted_round(++attempted);
        // A size that changes with the round, so that slots are also rewritten shorter.
        if (attempted % 3 == 0) record.mutable_high_qc()->set_block_hash(std::string(32 + attempted % 700, 'h'));
        if (!file.Save(record).ok()) break;
        returned = attempted;
      }
    }
    disk.PowerLoss(rng);
  }
  std::printf("SafetyFilePowerLoss: %d power losses, round %llu; the save in flight was lost %d times\n", kLosses,
              static_cast<unsigned long long>(returned), lost_in_flight);
  EXPECT_GT(returned, 100u);
  EXPECT_GT(lost_in_flight, 0) << "no power loss fell inside a save";
}

}  // namespace
}  // namespace cairn::node
