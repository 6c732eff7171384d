#include "bolt/piece_cuts.h"

#include <gtest/gtest.h>

#include <numeric>
#include <random>

#include "bolt/page.h"

namespace larder::bolt::internal {
namespace {

constexpr std::size_t kPage = 4096;

std::size_t PageBytes(const std::vector<std::size_t>& sizes, std::size_t begin, std::size_t end) {
  return kPageHeaderSize + std::accumulate(sizes.begin() + static_cast<std::ptrdiff_t>(begin),
                                           sizes.begin() + static_cast<std::ptrdiff_t>(end),
                                           std::size_t{0});
}

// The pieces' [begin, end) bounds.
std::vector<std::pair<std::size_t, std::size_t>> Pieces(const std::vector<std::size_t>& cuts,
                                                        std::size_t n) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  std::size_t begin = 0;
  for (std::size_t cut : cuts) {
    out.emplace_back(begin, cut);
    begin = cut;
  }
  out.emplace_back(begin, n);
  return out;
}

PieceCutRequest Request(InsertRun::Kind run = InsertRun::Kind::kNone) {
  return {.page_size = kPage, .fill_bytes = kPage / 2, .run = run};
}

TEST(InsertRunTest, TellsRunsFromScatteredInserts) {
  InsertRun run;
  EXPECT_EQ(run.kind(), InsertRun::Kind::kNone);
  run.Inserted(7);
  EXPECT_EQ(run.kind(), InsertRun::Kind::kOne);
  run.Inserted(7);
  run.Inserted(7);
  EXPECT_EQ(run.kind(), InsertRun::Kind::kDescending);
  EXPECT_EQ(run.last(), 7u);
  run.Inserted(8);
  EXPECT_EQ(run.kind(), InsertRun::Kind::kScattered);
  run.Inserted(9);
  EXPECT_EQ(run.kind(), InsertRun::Kind::kScattered);  // stays so until Reset

  run.Reset();
  run.Inserted(3);
  run.Inserted(4);
  run.Inserted(5);
  EXPECT_EQ(run.kind(), InsertRun::Kind::kAscending);
  EXPECT_EQ(run.last(), 5u);
  run.Inserted(5);
  EXPECT_EQ(run.kind(), InsertRun::Kind::kScattered);

  run.Reset();
  run.Inserted(3);
  run.Inserted(3);
  run.Broken();  // a delete
  EXPECT_EQ(run.kind(), InsertRun::Kind::kScattered);
}

TEST(PieceCutsTest, WhatFitsOnePageIsNotCut) {
  std::vector<std::size_t> sizes(20, 100);
  EXPECT_TRUE(PieceCuts(sizes, Request()).empty());
  EXPECT_TRUE(PieceCuts(sizes, Request(InsertRun::Kind::kDescending)).empty());
  EXPECT_TRUE(PieceCuts(sizes, Request(InsertRun::Kind::kAscending)).empty());
  EXPECT_TRUE(PieceCuts({}, Request()).empty());
}

TEST(PieceCutsTest, ScatteredInsertsGetBboltsCutAtTheFillPercent) {
  std::vector<std::size_t> sizes(200, 100);  // 20,000 bytes
  const auto cuts = PieceCuts(sizes, Request(InsertRun::Kind::kScattered));
  const auto pieces = Pieces(cuts, sizes.size());
  ASSERT_GT(pieces.size(), 4u);
  for (std::size_t i = 0; i + 1 < pieces.size(); ++i) {
    EXPECT_LE(PageBytes(sizes, pieces[i].first, pieces[i].second), kPage / 2);
    EXPECT_GT(PageBytes(sizes, pieces[i].first, pieces[i].second) + 100, kPage / 2);
  }
}

// A run's pieces are full but for the one where it goes on: the first for a descending run (each
// key inserted before the last), the last for an ascending one.
TEST(PieceCutsTest, RunsPackFullPagesAwayFromWhereTheyGoOn) {
  std::vector<std::size_t> sizes(230, 100);  // 40 to a full piece, 5.75 pieces in all
  for (const auto run : {InsertRun::Kind::kDescending, InsertRun::Kind::kAscending}) {
    const auto pieces = Pieces(PieceCuts(sizes, Request(run)), sizes.size());
    ASSERT_EQ(pieces.size(), 6u);
    const std::size_t open = run == InsertRun::Kind::kDescending ? 0 : pieces.size() - 1;
    EXPECT_EQ(pieces[open].second - pieces[open].first, 30u);
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      const std::size_t bytes = PageBytes(sizes, pieces[i].first, pieces[i].second);
      EXPECT_LE(bytes, kPage);
      if (i != open) {
        EXPECT_GT(bytes + 100, kPage) << "piece " << i << " is not full";
      }
    }
  }
}

// Any sizes, any run: pieces tile the elements in order, each holds kMinKeysPerPage elements
// at least, and a piece larger than a page is one that could not be cut smaller.
TEST(PieceCutsTest, RandomSizesAndRunsAlwaysGiveValidPieces) {
  std::mt19937 rng(7);
  const InsertRun::Kind kinds[] = {InsertRun::Kind::kNone, InsertRun::Kind::kScattered,
                                   InsertRun::Kind::kAscending, InsertRun::Kind::kDescending};
  int cut_runs = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::vector<std::size_t> sizes(rng() % 300);
    const bool huge = trial % 5 == 0;
    for (auto& s : sizes) s = kElementSize + 1 + rng() % (huge ? 3 * kPage : 200);
    const auto cuts = PieceCuts(sizes, Request(kinds[trial % 4]));
    const auto pieces = Pieces(cuts, sizes.size());
    if (!cuts.empty()) ++cut_runs;
    for (const auto& [begin, end] : pieces) {
      if (sizes.empty() || cuts.empty()) continue;
      ASSERT_LT(begin, end);
      EXPECT_GE(end - begin, kMinKeysPerPage) << "trial " << trial;
      if (PageBytes(sizes, begin, end) > kPage) {
        EXPECT_LE(end - begin, 2 * kMinKeysPerPage) << "trial " << trial;
      }
    }
    if (PageBytes(sizes, 0, sizes.size()) < kPage) {
      EXPECT_TRUE(cuts.empty());
    }
  }
  EXPECT_GT(cut_runs, 1000);  // the property was checked on real cuts
}

}  // namespace
}  // namespace larder::bolt::internal
