// node/voted_block_log.h: the blocks a validator voted for, kept on disk until committed.
#include <gtest/gtest.h>

#include <filesystem>

#include "node/voted_block_log.h"
#include "tests/unit/temp_dir.h"

namespace cairn::node {
namespace {

namespace fs = std::filesystem;

// A block of `height` (of round `round`, by default the height) whose body is `filler`
// bytes (the log stores what it is given).
v1::Block BlockAt(uint64_t height, size_t filler = 16, uint64_t round = 0) {
  v1::BlockHeader header;
  header.set_height(height);
  header.set_round(round > 0 ? round : height);
  v1::Block block;
  block.set_header(header.SerializeAsString());
  block.add_transactions()->set_body(std::string(filler, 'x'));
  return block;
}

std::vector<uint64_t> Heights(const std::vector<v1::Block>& blocks) {
  std::vector<uint64_t> heights;
  for (const v1::Block& b : blocks) {
    v1::BlockHeader header;
    header.ParseFromString(b.header());
    heights.push_back(header.height());
  }
  return heights;
}

TEST(VotedBlockLog, KeepsWhatIsAboveTheHeadAcrossAReopen) {
  test::TempDir dir;
  {
    auto log = VotedBlockLog::Open(dir.path(), 0);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    for (uint64_t h : {1, 2, 3}) ASSERT_TRUE((*log)->Append(BlockAt(h), 0).ok());
    ASSERT_TRUE((*log)->Append(BlockAt(3, 16, 7), 0).ok());  // a fork: another block at 3, of a later round
    ASSERT_TRUE((*log)->Append(BlockAt(4), 0).ok());
    EXPECT_EQ(Heights((*log)->Above(2)), (std::vector<uint64_t>{3, 3, 4}));
  }
  auto reopened = VotedBlockLog::Open(dir.path(), 2);  // heights 1 and 2 committed since
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(Heights((*reopened)->Above(0)), (std::vector<uint64_t>{3, 3, 4}));
  // Open rewrote the pair with only those: a second reopen reads the same.
  reopened->reset();
  auto again = VotedBlockLog::Open(dir.path(), 0);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(Heights((*again)->Above(0)), (std::vector<uint64_t>{3, 3, 4}));
}

TEST(VotedBlockLog, ATornLastAppendLosesOnlyThatEntry) {
  test::TempDir dir;
  {
    auto log = VotedBlockLog::Open(dir.path(), 0);
    ASSERT_TRUE(log.ok());
    for (uint64_t h : {5, 6, 7}) ASSERT_TRUE((*log)->Append(BlockAt(h, 1000), 4).ok());
  }
  const std::string segment = dir.path() + "/" + VotedBlockLog::kSegmentNames[0];
  fs::resize_file(segment, fs::file_size(segment) - 10);  // the crash cut the last append short
  auto reopened = VotedBlockLog::Open(dir.path(), 4);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(Heights((*reopened)->Above(0)), (std::vector<uint64_t>{5, 6}));
  // Appends go on after the good entries, not after the torn bytes.
  ASSERT_TRUE((*reopened)->Append(BlockAt(8), 4).ok());
  reopened->reset();
  auto again = VotedBlockLog::Open(dir.path(), 4);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(Heights((*again)->Above(0)), (std::vector<uint64_t>{5, 6, 8}));
}

TEST(VotedBlockLog, ACrashInsideOpensRewriteKeepsEachBlockOnce) {
  test::TempDir dir;
  {
    auto log = VotedBlockLog::Open(dir.path(), 0);
    ASSERT_TRUE(log.ok());
    for (uint64_t h : {3, 4}) ASSERT_TRUE((*log)->Append(BlockAt(h), 0).ok());
  }
  // Open rewrote segment 0 with both and crashed before emptying segment 1, which still
  // held them.
  const std::string first = dir.path() + "/" + VotedBlockLog::kSegmentNames[0];
  const std::string second = dir.path() + "/" + VotedBlockLog::kSegmentNames[1];
  fs::copy_file(first, second, fs::copy_options::overwrite_existing);
  auto reopened = VotedBlockLog::Open(dir.path(), 0);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(Heights((*reopened)->Above(0)), (std::vector<uint64_t>{3, 4}));
}

TEST(VotedBlockLog, TheFilesStayAboutTwoSegmentsWhileTheChainCommits) {
  test::TempDir dir;
  auto log = VotedBlockLog::Open(dir.path(), 0);
  ASSERT_TRUE(log.ok());
  const size_t block_bytes = 64 << 10;
  const uint64_t blocks = 4 * VotedBlockLog::kSegmentBytes / block_bytes;  // four segments' worth
  for (uint64_t h = 1; h <= blocks; ++h) {
    // The usual pipeline: the head two behind the block voted for.
    ASSERT_TRUE((*log)->Append(BlockAt(h, block_bytes), h > 2 ? h - 2 : 0).ok());
  }
  uint64_t on_disk = 0;
  for (const char* name : VotedBlockLog::kSegmentNames) on_disk += fs::file_size(dir.path() + "/" + name);
  EXPECT_LE(on_disk, 2 * VotedBlockLog::kSegmentBytes + 2 * block_bytes + 4096);
  EXPECT_EQ(Heights((*log)->Above(blocks - 2)), (std::vector<uint64_t>{blocks - 1, blocks}));
  // And what a restart needs is still there.
  log->reset();
  auto reopened = VotedBlockLog::Open(dir.path(), blocks - 2);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(Heights((*reopened)->Above(0)), (std::vector<uint64_t>{blocks - 1, blocks}));
}

TEST(VotedBlockLog, WhileNothingCommitsNothingIsDropped) {
  test::TempDir dir;
  auto log = VotedBlockLog::Open(dir.path(), 0);
  ASSERT_TRUE(log.ok());
  const size_t block_bytes = 256 << 10;
  const uint64_t blocks = 3 * VotedBlockLog::kSegmentBytes / block_bytes;
  for (uint64_t h = 1; h <= blocks; ++h) ASSERT_TRUE((*log)->Append(BlockAt(h, block_bytes), 0).ok());
  log->reset();
  auto reopened = VotedBlockLog::Open(dir.path(), 0);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->Above(0).size(), blocks);
}

}  // namespace
}  // namespace cairn::node
