#include "tests/sim/twins_space.h"

#include <set>
#include <tuple>

#include <gtest/gtest.h>

namespace cairn::sim {
namespace {

using Key = std::tuple<uint32_t, std::vector<int>, int, int, bool>;
Key KeyOf(const TwinsRound& r) { return {r.leader, r.group_of_instance, r.votes_only_to, r.timeouts_only_to, r.stale}; }

TEST(TwinsSpaceTest, PartitionsAreEachSetPartitionOnce) {
  // Stirling numbers of the second kind summed: S(5,1) + S(5,2) = 16, + S(5,3) = 41, Bell(5) = 52.
  EXPECT_EQ(Partitions(5, 1).size(), 1u);
  EXPECT_EQ(Partitions(5, 2).size(), 16u);
  EXPECT_EQ(Partitions(5, 3).size(), 41u);
  EXPECT_EQ(Partitions(5, 5).size(), 52u);
  for (int parts : {2, 3, 5}) {
    std::set<std::vector<int>> seen;
    for (const std::vector<int>& p : Partitions(5, parts)) {
      ASSERT_EQ(p.size(), 5u);
      // Restricted growth: each group number is at most one above the highest before it,
      // so no two strings name the same split with the groups renumbered.
      int highest = -1;
      for (int g : p) {
        EXPECT_LE(g, highest + 1);
        EXPECT_LT(g, parts);
        highest = std::max(highest, g);
      }
      EXPECT_TRUE(seen.insert(p).second);
    }
  }
  EXPECT_EQ(Partitions(5, 2).front(), std::vector<int>(5, 0));  // everyone connected first
}

TEST(TwinsSpaceTest, EveryLetterIsADistinctRound) {
  const TwinsSpace space(4, 5, 2);
  ASSERT_EQ(space.letters(), 4u * 16 * 6 * 6 * 2);
  std::set<Key> seen;
  for (uint64_t letter = 0; letter < space.letters(); ++letter) {
    const TwinsRound r = space.Letter(letter);
    EXPECT_LT(r.leader, 4u);
    EXPECT_GE(r.votes_only_to, -1);
    EXPECT_LT(r.votes_only_to, 5);
    EXPECT_GE(r.timeouts_only_to, -1);
    EXPECT_LT(r.timeouts_only_to, 5);
    EXPECT_TRUE(seen.insert(KeyOf(r)).second) << "letter " << letter;
  }
}

TEST(TwinsSpaceTest, FirstRoundsAreTheIndexDigitsAndTheRestReplaysFromTheIndex) {
  const TwinsSpace space(4, 5, 2);
  const uint64_t a = 123, b = 456;
  const std::vector<TwinsRound> schedule = space.Schedule(a + b * space.letters(), 8);
  ASSERT_EQ(schedule.size(), 8u);
  EXPECT_EQ(KeyOf(schedule[0]), KeyOf(space.Letter(a)));
  EXPECT_EQ(KeyOf(schedule[1]), KeyOf(space.Letter(b)));
  // Indexes below the radix enumerate round 1 exhaustively.
  std::set<Key> first_rounds;
  for (uint64_t index = 0; index < space.letters(); ++index) first_rounds.insert(KeyOf(space.Schedule(index, 8)[0]));
  EXPECT_EQ(first_rounds.size(), space.letters());
  // The sampled rounds are a function of the index alone, and differ between indexes.
  std::set<std::vector<Key>> tails;
  for (uint64_t index = 1; index <= 50; ++index) {
    std::vector<Key> once, again;
    for (const TwinsRound& r : space.Schedule(index, 8)) once.push_back(KeyOf(r));
    for (const TwinsRound& r : space.Schedule(index, 8)) again.push_back(KeyOf(r));
    EXPECT_EQ(once, again);
    tails.insert(std::vector<Key>(once.begin() + 1, once.end()));
  }
  EXPECT_GT(tails.size(), 45u);
}

}  // namespace
}  // namespace cairn::sim
