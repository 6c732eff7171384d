#include "tsdb/deleted_ranges.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace larder::tsdb {
namespace {

// Random ranges over a small time axis against a std::set of deleted times.
TEST(TsdbDeletedRangesTest, MatchesASetOfTimes) {
  std::mt19937 rng(18);
  for (int round = 0; round < 50; ++round) {
    DeletedRanges ranges;
    std::set<std::int64_t> model;
    for (int i = 0; i < 20; ++i) {
      const std::int64_t from = rng() % 200;
      const std::int64_t to = from + static_cast<std::int64_t>(rng() % (i % 3 == 0 ? 40 : 4));
      ranges.Add(from, to);
      for (std::int64_t t = from; t <= to; ++t) model.insert(t);
      for (std::int64_t t = -1; t < 250; ++t) {
        ASSERT_EQ(ranges.Contains(t), model.count(t) == 1) << "t " << t;
      }
      const std::int64_t a = rng() % 240, b = a + static_cast<std::int64_t>(rng() % 10);
      bool all = true;
      for (std::int64_t t = a; t <= b; ++t) all = all && model.count(t) == 1;
      ASSERT_EQ(ranges.Covers(a, b), all) << a << ".." << b;
    }
    // Sorted, disjoint and not touching: merged.
    const auto& r = ranges.ranges();
    for (std::size_t i = 1; i < r.size(); ++i) EXPECT_GT(r[i].first, r[i - 1].second + 1);
  }
}

}  // namespace
}  // namespace larder::tsdb
