// node/safety_file.h: the validator's safety record in two slot files of its own.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "node/safety_file.h"
#include "tests/unit/temp_dir.h"

namespace cairn::node {
namespace {

namespace fs = std::filesystem;

v1::SafetyRecord Voted(uint64_t round) {
  v1::SafetyRecord record;
  record.set_highest_voted_round(round);
  return record;
}

uint64_t LoadedRound(const std::string& folder) {
  auto loaded = SafetyFile(folder).Load();
  EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
  if (!loaded.ok() || !loaded->has_value()) return 0;
  return (*loaded)->highest_voted_round();
}

// A write cut short: the slot keeps only its first half.
void Tear(const std::string& path) { fs::resize_file(path, fs::file_size(path) / 2); }

TEST(SafetyFile, RoundTripsTheLatestRecordAndWritesTheSlotsInTurn) {
  test::TempDir dir;
  SafetyFile file(dir.path());
  auto none = file.Load();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value()) << "no record before the first save";
  v1::SafetyRecord record = Voted(7);
  record.set_highest_timeout_round(6);
  ASSERT_TRUE(file.Save(record).ok());
  EXPECT_TRUE(fs::exists(file.SlotPath(0)));
  EXPECT_FALSE(fs::exists(file.SlotPath(1)));
  record.set_highest_voted_round(8);
  ASSERT_TRUE(file.Save(record).ok());
  EXPECT_TRUE(fs::exists(file.SlotPath(1)));
  for (uint64_t round = 9; round <= 12; ++round) ASSERT_TRUE(file.Save(Voted(round)).ok());
  EXPECT_EQ(LoadedRound(dir.path()), 12u);
  for (int slot = 0; slot < 2; ++slot) {
    EXPECT_EQ(fs::status(file.SlotPath(slot)).permissions() & fs::perms::others_read, fs::perms::none);
    EXPECT_FALSE(fs::exists(file.SlotPath(slot) + ".new")) << "a slot is created by a rename";
  }
}

TEST(SafetyFile, ATornWriteLeavesTheRecordBeforeIt) {
  test::TempDir dir;
  {
    SafetyFile file(dir.path());
    ASSERT_TRUE(file.Save(Voted(1)).ok());  // slot 0
    ASSERT_TRUE(file.Save(Voted(2)).ok());  // slot 1
    ASSERT_TRUE(file.Save(Voted(3)).ok());  // slot 0
    Tear(file.SlotPath(0));                 // the crash came while round 3 was written
  }
  EXPECT_EQ(LoadedRound(dir.path()), 2u) << "round 3's signature never left: round 2 is what was signed";

  // A restarted node writes over the torn slot, never over the one it read from.
  SafetyFile file(dir.path());
  ASSERT_TRUE(file.Save(Voted(4)).ok());
  EXPECT_EQ(LoadedRound(dir.path()), 4u);
  Tear(file.SlotPath(0));
  EXPECT_EQ(LoadedRound(dir.path()), 2u);
}

TEST(SafetyFile, ARecordOfAnotherSizeReplacesALongerOne) {
  test::TempDir dir;
  SafetyFile file(dir.path());
  v1::SafetyRecord big = Voted(5);
  big.mutable_high_qc()->set_block_hash(std::string(32, 'x'));
  ASSERT_TRUE(file.Save(big).ok());
  ASSERT_TRUE(file.Save(big).ok());
  ASSERT_TRUE(file.Save(Voted(6)).ok());  // shorter, over slot 0
  auto loaded = SafetyFile(dir.path()).Load();
  ASSERT_TRUE(loaded.ok() && loaded->has_value()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->highest_voted_round(), 6u);
  EXPECT_FALSE((*loaded)->has_high_qc());
}

TEST(SafetyFile, BothSlotsDamagedIsAnErrorNotAFreshStart) {
  test::TempDir dir;
  SafetyFile file(dir.path());
  ASSERT_TRUE(file.Save(Voted(1)).ok());
  ASSERT_TRUE(file.Save(Voted(2)).ok());
  Tear(file.SlotPath(0));
  std::ofstream(file.SlotPath(1), std::ios::binary | std::ios::trunc) << "\xff\xff\xff garbage";
  auto loaded = SafetyFile(dir.path()).Load();
  EXPECT_EQ(loaded.status().code(), StatusCode::kCorruption);
  EXPECT_NE(loaded.status().message().find("must not start without it"), std::string::npos);
}

TEST(SafetyFile, TheSingleFileOfEarlierBuildsIsReadUntilASlotIsWritten) {
  test::TempDir dir;
  const std::string single = dir.path() + "/" + SafetyFile::kSingleFileName;
  std::ofstream(single, std::ios::binary) << Voted(9).SerializeAsString();
  EXPECT_EQ(LoadedRound(dir.path()), 9u);
  SafetyFile file(dir.path());
  ASSERT_TRUE(file.Save(Voted(10)).ok());
  EXPECT_EQ(LoadedRound(dir.path()), 10u);

  test::TempDir other;
  std::ofstream(other.path() + "/" + SafetyFile::kSingleFileName, std::ios::binary) << "\xff\xff\xff garbage";
  EXPECT_EQ(SafetyFile(other.path()).Load().status().code(), StatusCode::kCorruption);
}

TEST(SafetyFile, CopyRecordCarriesTheLatestRecordOver) {
  test::TempDir from, to;
  SafetyFile file(from.path());
  for (uint64_t round = 1; round <= 3; ++round) ASSERT_TRUE(file.Save(Voted(round)).ok());
  ASSERT_TRUE(SafetyFile::CopyRecord(from.path(), to.path()).ok());
  EXPECT_EQ(LoadedRound(to.path()), 3u);
  SafetyFile copied(to.path());
  ASSERT_TRUE(copied.Save(Voted(4)).ok());
  EXPECT_EQ(LoadedRound(to.path()), 4u);
}

}  // namespace
}  // namespace cairn::node
