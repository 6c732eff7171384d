#include "queue/placement.h"

#include <gtest/gtest.h>

#include <numeric>
#include <random>
#include <vector>

namespace larder::queue {
namespace {

using Counts = std::vector<std::uint32_t>;

Counts CountsOf(std::vector<std::uint64_t> weights, std::uint32_t n) {
  auto c = PartitionCounts(weights, n);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? *c : Counts{};
}

TEST(QueuePlacementTest, TheTableOfDocsQueueMd) {
  struct Row {
    std::vector<std::uint64_t> weights;
    std::uint32_t n;
    Counts want;
  };
  const std::vector<Row> rows = {
      {{7, 3}, 1, {1, 0}},                   // the original: no partition at all
      {{7, 3}, 2, {1, 1}},                   // every positive weight once n >= 2
      {{7, 3}, 3, {2, 1}},                   // the original: 2 + 0
      {{7, 3}, 5, {4, 1}},                   // 3.5/1.5: tie broken for the first listed
      {{7, 3}, 10, {7, 3}},                  // exact
      {{7, 3}, 11, {8, 3}},                  // 7.7/3.3
      {{1, 1, 1, 0}, 100, {34, 33, 33, 0}},  // the original gives 99
      {{1, 1, 1, 0}, 2, {1, 1, 0, 0}},       // fewer partitions than locations: first listed
      {{10, 5, 3, 1}, 100, {53, 26, 16, 5}},
      {{100, 1}, 2, {1, 1}},  // the floor of one takes from the location above its share
      {{99, 1}, 100, {99, 1}},
      {{0, 5}, 3, {0, 3}},
      {{1}, 7, {7}},
      {{3, 3, 3}, 0, {0, 0, 0}},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(CountsOf(r.weights, r.n), r.want) << "n=" << r.n;
  }
}

TEST(QueuePlacementTest, ZeroTotalAndOversizedInputsAreRefused) {
  EXPECT_EQ(PartitionCounts(std::vector<std::uint64_t>{0, 0}, 3).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(PartitionCounts(std::vector<std::uint64_t>{}, 3).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(PartitionCounts(std::vector<std::uint64_t>{kMaxAffinity + 1}, 3).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(PartitionCounts(std::vector<std::uint64_t>{1}, kMaxPartitions + 1).status().code(),
            Code::kInvalidArgument);
}

// The rule's promises over many random weight sets and counts.
TEST(QueuePlacementTest, RandomWeightsKeepEveryPromise) {
  std::mt19937_64 rng(20261202);
  for (int round = 0; round < 3000; ++round) {
    const std::size_t k = 1 + rng() % 6;
    std::vector<std::uint64_t> w(k);
    for (auto& x : w) x = rng() % 4 == 0 ? 0 : rng() % 20;
    if (std::accumulate(w.begin(), w.end(), std::uint64_t{0}) == 0) w[0] = 1;
    const auto n = static_cast<std::uint32_t>(rng() % 130);
    const Counts c = CountsOf(w, n);
    ASSERT_EQ(c.size(), k);
    const std::uint64_t total = std::accumulate(w.begin(), w.end(), std::uint64_t{0});
    std::size_t positive = 0;
    std::uint64_t sum = 0;
    bool adjusted = false;
    for (std::size_t i = 0; i < k; ++i) {
      sum += c[i];
      positive += w[i] > 0;
      if (w[i] == 0) {
        EXPECT_EQ(c[i], 0u);
      }
      if (w[i] > 0 && w[i] * n < total) adjusted = adjusted || c[i] == 1;
    }
    EXPECT_EQ(sum, n) << "round " << round;
    for (std::size_t i = 0; i < k; ++i) {
      if (n >= positive && w[i] > 0) {
        EXPECT_GE(c[i], 1u) << "round " << round;
      }
      // Each count is within one of its exact share, except where the floor of one moved one.
      const std::uint64_t lo = w[i] * n / total;
      if (!adjusted) {
        EXPECT_GE(c[i], lo) << "round " << round;
        EXPECT_LE(c[i], lo + 1) << "round " << round;
      }
    }
    auto where = PlacePartitions(w, n);
    ASSERT_TRUE(where.ok());
    ASSERT_EQ(where->size(), n);
    for (std::size_t p = 1; p < where->size(); ++p) EXPECT_LE((*where)[p - 1], (*where)[p]);
  }
}

TEST(QueuePlacementTest, GrowingPlacesNewPartitionsWhereTheRuleWantsMore) {
  const std::vector<std::uint64_t> w = {7, 3};
  auto first = PlacePartitions(w, 1);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, Counts({0}));
  auto added = PlaceNewPartitions(w, *first, 10);
  ASSERT_TRUE(added.ok());
  std::vector<std::uint32_t> all = *first;
  all.insert(all.end(), added->begin(), added->end());
  EXPECT_EQ(std::count(all.begin(), all.end(), 0u), 7);
  EXPECT_EQ(std::count(all.begin(), all.end(), 1u), 3);
  // Growing one at a time: the second partition goes to the location the rule wants for two.
  auto second = PlaceNewPartitions(w, *first, 2);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, Counts({1}));
}

}  // namespace
}  // namespace larder::queue
