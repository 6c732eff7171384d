#include "lsm/level_iterator.h"

#include <gtest/gtest.h>

#include <random>

#include "lsm/iter_testutil.h"

namespace larder::lsm {
namespace {

using itertest::Entry;
using itertest::IKey;

using itertest::CutIntoFiles;
using itertest::VectorLevelFiles;

TEST(LsmLevelIteratorTest, MatchesTheConcatenationUnderRandomMoves) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 60; ++trial) {
    std::vector<Entry> all;
    const int n = static_cast<int>(rng() % 100);
    for (int k = 0; k < n; ++k) {
      const SequenceNumber seq = 1 + rng() % 3;
      all.push_back(
          {IKey(itertest::Numbered("k", 1000 + k / 2), seq + (k % 2) * 10, ValueType::kValue),
           std::to_string(k)});
    }
    itertest::SortEntries(&all);
    all.erase(std::unique(all.begin(), all.end(),
                          [](const Entry& a, const Entry& b) { return a.first == b.first; }),
              all.end());
    std::vector<std::string> targets;
    for (const Entry& e : all) targets.push_back(e.first);
    for (int t = 0; t < 30; ++t) {
      targets.push_back(IKey(itertest::Numbered("k", 995 + rng() % 60), rng() % 15, kMaxValueType));
    }
    int opens = 0;
    auto level = NewLevelIterator(CutIntoFiles(all, &rng, &opens));
    ASSERT_EQ(itertest::CheckInternalIterator(level.get(), all, targets, &rng), "")
        << "trial " << trial;
  }
}

// Keys k100, k101, ... with one version each.
std::vector<Entry> OneVersionEach(int n) {
  std::vector<Entry> all;
  for (int k = 0; k < n; ++k) {
    all.push_back({IKey(itertest::Numbered("k", 100 + k), 1, ValueType::kValue), "v"});
  }
  return all;
}

TEST(LsmLevelIteratorTest, OpensEachFileOncePerCrossing) {
  const std::vector<Entry> all = OneVersionEach(40);
  std::mt19937 rng(3);
  int opens = 0;
  auto files = CutIntoFiles(all, &rng, &opens);
  const std::size_t nfiles = files->size();
  auto level = NewLevelIterator(std::move(files));
  int seen = 0;
  for (level->SeekToFirst(); level->Valid(); level->Next()) ++seen;
  EXPECT_EQ(seen, 40);
  EXPECT_EQ(static_cast<std::size_t>(opens), nfiles);
  opens = 0;
  level->Seek(IKey("k120", 1, ValueType::kValue));
  ASSERT_TRUE(level->Valid());
  EXPECT_EQ(opens, 1);
  level->Seek(IKey("k120", 1, ValueType::kValue));  // the file open already: no reopen
  ASSERT_TRUE(level->Valid());
  EXPECT_EQ(opens, 1);
}

TEST(LsmLevelIteratorTest, AFileThatFailsToOpenStopsTheLevel) {
  const std::vector<Entry> all = OneVersionEach(30);
  std::mt19937 rng(5);
  int opens = 0;
  auto files = CutIntoFiles(all, &rng, &opens);
  files->bad = 2;
  auto level = NewLevelIterator(std::move(files));
  int seen = 0;
  for (level->SeekToFirst(); level->Valid(); level->Next()) ++seen;
  EXPECT_GT(seen, 0);
  EXPECT_LT(seen, 30);
  EXPECT_TRUE(level->status().IsCorruption());
  EXPECT_NE(level->status().message().find("000009.sst"), std::string_view::npos);
  level->SeekToLast();
  EXPECT_TRUE(level->Valid());
  EXPECT_TRUE(level->status().ok());
}

TEST(LsmLevelIteratorTest, NoFiles) {
  int opens = 0;
  auto level = NewLevelIterator(std::make_unique<VectorLevelFiles>(
      std::vector<std::vector<Entry>>{}, std::vector<std::string>{}, std::vector<std::string>{},
      &opens));
  level->SeekToFirst();
  EXPECT_FALSE(level->Valid());
  level->SeekToLast();
  EXPECT_FALSE(level->Valid());
  level->Seek(IKey("a", 1, ValueType::kValue));
  EXPECT_FALSE(level->Valid());
  level->SeekForPrev(IKey("a", 1, ValueType::kValue));
  EXPECT_FALSE(level->Valid());
  EXPECT_TRUE(level->status().ok());
  EXPECT_EQ(opens, 0);
}

}  // namespace
}  // namespace larder::lsm
