#include "server/rank_cache.h"

#include <gtest/gtest.h>

#include <string>

namespace larder::server {
namespace {

RankChunks RanksOf(int chunks) {
  RankChunks ranks(8);
  for (int i = 0; i < chunks; ++i)
    ranks.Append("entry-key-longer-than-sso-" + std::to_string(1000 + i), 4);
  return ranks;
}

TEST(RankCacheTest, FindsWhatWasInsertedAndForgetsWhatWasErased) {
  RankCache cache;
  EXPECT_EQ(cache.Find(7), nullptr);
  RankChunks* ranks = cache.Insert(7, RanksOf(3));
  ASSERT_NE(ranks, nullptr);
  EXPECT_EQ(cache.Find(7), ranks);
  EXPECT_EQ(ranks->total(), 12u);
  EXPECT_EQ(cache.bytes(), ranks->bytes());
  cache.Erase(7);
  EXPECT_EQ(cache.Find(7), nullptr);
  EXPECT_EQ(cache.bytes(), 0u);
  EXPECT_EQ(cache.builds(), 1u);
}

TEST(RankCacheTest, EvictsTheLeastRecentlyUsedPastTheBudget) {
  const std::size_t one = RanksOf(50).bytes();
  RankCache cache(3 * one);
  cache.Insert(1, RanksOf(50));
  cache.Insert(2, RanksOf(50));
  cache.Insert(3, RanksOf(50));
  EXPECT_EQ(cache.entries(), 3u);
  ASSERT_NE(cache.Find(1), nullptr);  // 2 is now the least recently used
  cache.Insert(4, RanksOf(50));
  EXPECT_EQ(cache.Find(2), nullptr);
  EXPECT_NE(cache.Find(1), nullptr);
  EXPECT_NE(cache.Find(3), nullptr);
  EXPECT_NE(cache.Find(4), nullptr);
  EXPECT_EQ(cache.evictions(), 1u);
  EXPECT_LE(cache.bytes(), 3 * one);
}

TEST(RankCacheTest, AGrowingIndexIsRechargedAndEvictsOthersNotItself) {
  const std::size_t one = RanksOf(50).bytes();
  RankCache cache(2 * one + one / 2);
  cache.Insert(1, RanksOf(50));
  RankChunks* growing = cache.Insert(2, RanksOf(50));
  for (int i = 0; i < 400; ++i)
    growing->Append("zz-another-long-entry-key-" + std::to_string(i), 1);
  cache.Charge(2);
  EXPECT_EQ(cache.Find(1), nullptr);
  EXPECT_EQ(cache.Find(2), growing);  // over the budget alone, but the one in use stays
  EXPECT_EQ(cache.bytes(), growing->bytes());
  cache.Charge(99);  // not cached: ignored
  cache.Clear();
  EXPECT_EQ(cache.entries(), 0u);
  EXPECT_EQ(cache.bytes(), 0u);
}

}  // namespace
}  // namespace larder::server
