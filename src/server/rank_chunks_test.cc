// RankChunks against a model: a sorted vector of entries, cut into chunks the same way. Random
// inserts, erases and splits; after each, every count, position and rank agrees with the model.
#include "server/rank_chunks.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace larder::server {
namespace {

// Checks ranks against the sorted entries: chunks hold the entries in their ranges, the counts
// and block sums add up, and ChunkAtRank finds every rank.
void ExpectMatches(const RankChunks& ranks, const std::vector<std::string>& entries) {
  ASSERT_EQ(ranks.total(), entries.size());
  if (entries.empty()) return;
  ASSERT_GT(ranks.chunks(), 0u);
  EXPECT_LE(ranks.key(0), entries.front());
  std::uint64_t before = 0;
  for (std::size_t c = 0; c < ranks.chunks(); ++c) {
    if (c > 0) {
      EXPECT_LT(ranks.key(c - 1), ranks.key(c));
    }
    EXPECT_EQ(ranks.CountBefore(c), before) << c;
    const auto first = std::lower_bound(entries.begin(), entries.end(), ranks.key(c));
    const auto end = c + 1 < ranks.chunks()
                         ? std::lower_bound(entries.begin(), entries.end(), ranks.key(c + 1))
                         : entries.end();
    EXPECT_EQ(static_cast<std::uint64_t>(first - entries.begin()), before) << c;
    EXPECT_EQ(ranks.count(c), static_cast<std::uint32_t>(end - first)) << c;
    before += ranks.count(c);
  }
  for (std::uint64_t r = 0; r < entries.size(); ++r) {
    const RankChunks::Position pos = ranks.ChunkAtRank(r);
    EXPECT_LE(pos.before, r);
    EXPECT_LT(r, pos.before + ranks.count(pos.chunk));
    EXPECT_EQ(pos.before, ranks.CountBefore(pos.chunk));
    EXPECT_EQ(ranks.ChunkOf(entries[r]), pos.chunk) << r;
  }
}

// Inserts `e` (absent) into the model and the index, splitting a full chunk as RankIndex does:
// at the middle entry of the chunk. True when a chunk split.
bool InsertAndSplit(RankChunks& ranks, std::vector<std::string>& entries, const std::string& e) {
  entries.insert(std::lower_bound(entries.begin(), entries.end(), e), e);
  const std::size_t chunk = ranks.Insert(e);
  const std::uint32_t n = ranks.count(chunk);
  if (n <= ranks.chunk_max()) return false;
  const auto first = std::lower_bound(entries.begin(), entries.end(), ranks.key(chunk));
  ranks.Split(chunk, *(first + n / 2), n - n / 2);
  return true;
}

TEST(RankChunksTest, RandomChangesAgreeWithASortedVector) {
  std::mt19937 rng(11);
  for (const std::uint32_t chunk_max : {2u, 5u, 128u}) {
    RankChunks ranks(chunk_max);
    std::vector<std::string> entries;
    int splits = 0;
    int emptied = 0;
    for (int step = 0; step < 6000; ++step) {
      const std::string e = "k" + std::to_string(rng() % 2000);
      const auto at = std::lower_bound(entries.begin(), entries.end(), e);
      const bool present = at != entries.end() && *at == e;
      if (!present && (rng() % 3 != 0 || entries.empty())) {
        if (InsertAndSplit(ranks, entries, e)) ++splits;
      } else if (present) {
        const std::size_t chunks = ranks.chunks();
        entries.erase(at);
        ranks.Erase(e);
        if (ranks.chunks() < chunks) ++emptied;
      }
      if (step % 97 == 0) ExpectMatches(ranks, entries);
    }
    ExpectMatches(ranks, entries);
    EXPECT_GT(splits, chunk_max < 128 ? 10 : 3) << chunk_max;
    if (chunk_max < 128) {
      EXPECT_GT(emptied, 10) << chunk_max;
    }
    EXPECT_GT(ranks.chunks(), 2u * RankChunks::kBlock / chunk_max) << chunk_max;
  }
}

// Pops from the front (ZPOPMIN), some from the back (ZPOPMAX) and inserts anywhere, below the
// first entry too: the first chunk's slot is dropped in place and the dropped slots compacted
// away (1,000 chunks, popped down to none and filled again).
TEST(RankChunksTest, PopsFromEitherEndAgreeWithASortedVector) {
  std::mt19937 rng(5);
  RankChunks ranks(4);
  std::vector<std::string> entries;
  auto insert_random = [&] {
    const std::string e = "k" + std::to_string(10000 + rng() % 90000);
    if (!std::binary_search(entries.begin(), entries.end(), e)) InsertAndSplit(ranks, entries, e);
  };
  for (int round = 0; round < 2; ++round) {
    while (entries.size() < 3000) insert_random();
    ASSERT_GT(ranks.chunks(), 2 * RankChunks::kBlock);
    ExpectMatches(ranks, entries);
    for (int step = 0; !entries.empty(); ++step) {
      const int op = static_cast<int>(rng() % 10);
      if (op < 7) {
        ranks.Erase(entries.front());
        entries.erase(entries.begin());
      } else if (op < 9) {
        ranks.Erase(entries.back());
        entries.pop_back();
      } else {
        insert_random();
      }
      if (step % 97 == 0) ExpectMatches(ranks, entries);
    }
    ExpectMatches(ranks, entries);
    EXPECT_EQ(ranks.chunks(), 0u);
  }
}

TEST(RankChunksTest, AnInsertBelowEveryKeyRenamesChunkZero) {
  RankChunks ranks(4);
  ranks.Append("m", 2);
  ranks.Append("t", 1);
  EXPECT_EQ(ranks.Insert("c"), 0u);
  EXPECT_EQ(ranks.key(0), "c");
  EXPECT_EQ(ranks.count(0), 3u);
  EXPECT_EQ(ranks.total(), 4u);
  EXPECT_EQ(ranks.ChunkOf("a"), 0u);
  EXPECT_EQ(ranks.ChunkOf("u"), 1u);
}

TEST(RankChunksTest, BytesGrowWithChunks) {
  RankChunks ranks(4);
  const std::size_t empty = ranks.bytes();
  for (int i = 0; i < 100; ++i)
    ranks.Append("entry-with-a-long-key-" + std::to_string(1000 + i), 2);
  EXPECT_GT(ranks.bytes(), empty + 100 * 26);
}

}  // namespace
}  // namespace larder::server
