// node/safety_file.h: the validator's safety record in its own file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "node/safety_file.h"
#include "tests/unit/temp_dir.h"

namespace cairn::node {
namespace {

TEST(SafetyFile, RoundTripsAndReplacesTheRecordWhole) {
  test::TempDir dir;
  SafetyFile file(dir.path());
  auto none = file.Load();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value()) << "no record before the first save";
  v1::SafetyRecord record;
  record.set_highest_voted_round(7);
  record.set_highest_timeout_round(6);
  ASSERT_TRUE(file.Save(record).ok());
  record.set_highest_voted_round(8);
  ASSERT_TRUE(file.Save(record).ok());
  auto loaded = SafetyFile(dir.path()).Load();
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ((*loaded)->highest_voted_round(), 8u);
  EXPECT_EQ((*loaded)->highest_timeout_round(), 6u);
  EXPECT_FALSE(std::filesystem::exists(file.path() + ".new")) << "the temporary file is renamed over the record";
  EXPECT_EQ(std::filesystem::status(file.path()).permissions() & std::filesystem::perms::others_read,
            std::filesystem::perms::none);
}

TEST(SafetyFile, ADamagedRecordIsAnErrorNotAFreshStart) {
  test::TempDir dir;
  SafetyFile file(dir.path());
  std::ofstream(file.path(), std::ios::binary) << "\xff\xff\xff garbage";
  auto loaded = file.Load();
  EXPECT_EQ(loaded.status().code(), StatusCode::kCorruption);
  EXPECT_NE(loaded.status().message().find("must not start without it"), std::string::npos);
}

}  // namespace
}  // namespace cairn::node
