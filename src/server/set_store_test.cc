// sets:: over a real keyspace: Add/Remove/Store bookkeeping and the Sampler's distribution, with a
// fixed seed (so the chi-square bounds below are deterministic, not flaky).
#include "server/set_store.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "server/batch_keyspace_test_util.h"

namespace larder::server::sets {
namespace {

class SetStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(ks_.ok()); }
  Database& db() { return ks_.db(); }

  KeyInfo MakeSet(const std::string& key, const std::vector<std::string>& members) {
    std::optional<KeyInfo> info;
    const std::vector<std::string_view> views(members.begin(), members.end());
    auto added = Add(db(), key, &info, views);
    EXPECT_TRUE(added.ok());
    EXPECT_TRUE(info.has_value());
    return info.value_or(KeyInfo{});
  }

  testing::BatchKeyspace ks_;
};

// Pearson's statistic of `counts` against equal expectations.
double ChiSquare(const std::vector<std::uint64_t>& counts) {
  double total = 0;
  for (std::uint64_t c : counts) total += static_cast<double>(c);
  const double expected = total / static_cast<double>(counts.size());
  double chi = 0;
  for (std::uint64_t c : counts) {
    const double d = static_cast<double>(c) - expected;
    chi += d * d / expected;
  }
  return chi;
}

std::vector<std::string> Numbered(const char* format, int n) {
  std::vector<std::string> out;
  char buf[32];
  for (int i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, format, i);
    out.push_back(buf);
  }
  return out;
}

TEST_F(SetStoreTest, AddRemoveStoreKeepTheSize) {
  KeyInfo info = MakeSet("s", {"b", "a", "b", "c"});
  EXPECT_EQ(info.size, 3u);
  auto lookup = db().Lookup("s");
  ASSERT_TRUE(lookup.ok() && lookup->has_value());
  EXPECT_EQ((*lookup)->size, 3u);
  const std::vector<std::string_view> gone = {"a", "zz", "c"};
  auto removed = Remove(db(), "s", &info, gone);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 2);
  auto all = All(db(), info);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, std::vector<std::string>{"b"});
  auto existed = Store(db(), "s", {"x", "y"});
  ASSERT_TRUE(existed.ok());
  EXPECT_TRUE(*existed);
  lookup = db().Lookup("s");
  ASSERT_TRUE(lookup.ok() && lookup->has_value());
  EXPECT_EQ((*lookup)->size, 2u);
  existed = Store(db(), "s", {});
  ASSERT_TRUE(existed.ok());
  EXPECT_TRUE(*existed);
  lookup = db().Lookup("s");
  ASSERT_TRUE(lookup.ok());
  EXPECT_FALSE(lookup->has_value());
  EXPECT_TRUE(IsIntsetLike(std::vector<std::string>{"1", "-2"}));
  EXPECT_FALSE(IsIntsetLike(std::vector<std::string>{"1", "01"}));
}

TEST_F(SetStoreTest, SmallSetsAreSampledUniformly) {
  const KeyInfo info = MakeSet("s", Numbered("%d", 10));
  std::mt19937_64 rng(7);
  Sampler sampler(db(), info, rng);
  auto picks = sampler.WithRepeats(10000);
  ASSERT_TRUE(picks.ok());
  std::vector<std::uint64_t> counts(10);
  for (const std::string& p : *picks) ++counts.at(std::stoul(p));
  EXPECT_LT(ChiSquare(counts), 40);  // df = 9: p < 1e-5 for a uniform source
  auto distinct = sampler.Distinct(8);
  ASSERT_TRUE(distinct.ok());
  EXPECT_EQ(std::set<std::string>(distinct->begin(), distinct->end()).size(), 8u);
}

TEST_F(SetStoreTest, BigFixedWidthSetsAreSampledUniformlyBySeeks) {
  const int n = 5000;
  const KeyInfo info = MakeSet("big", Numbered("m:%05d", n));
  std::mt19937_64 rng(11);
  Sampler sampler(db(), info, rng);
  auto picks = sampler.WithRepeats(8000);
  ASSERT_TRUE(picks.ok());
  std::vector<std::uint64_t> buckets(10);
  for (const std::string& p : *picks) {
    ASSERT_EQ(p.substr(0, 2), "m:") << p;
    const int i = std::stoi(p.substr(2));
    ASSERT_LT(i, n);
    ++buckets.at(static_cast<std::size_t>(i / (n / 10)));
  }
  EXPECT_LT(ChiSquare(buckets), 40);
  // Few distinct: picks; many: one walk. Both distinct members of the set.
  for (std::uint64_t count : {10u, 2000u}) {
    auto distinct = sampler.Distinct(count);
    ASSERT_TRUE(distinct.ok());
    const std::set<std::string> unique(distinct->begin(), distinct->end());
    EXPECT_EQ(unique.size(), count);
    for (const std::string& m : unique) EXPECT_LT(std::stoi(m.substr(2)), n);
  }
}

TEST_F(SetStoreTest, BigVariableWidthSetsAreCloseToUniform) {
  // "0".."2999": the descent favours the members that are prefixes of others (1..299) and the
  // subtrees of "3".."9" (111 members each against 1111 for "1" and "2").
  const int n = 3000;
  const KeyInfo info = MakeSet("var", Numbered("%d", n));
  std::mt19937_64 rng(13);
  Sampler sampler(db(), info, rng);
  const int draws = 15000;
  auto picks = sampler.WithRepeats(draws);
  ASSERT_TRUE(picks.ok());
  std::map<std::string, int> counts;
  for (const std::string& p : *picks) ++counts[p];
  int long_members = 0;  // 4-digit members: 2000 of the 3000
  for (const auto& [m, c] : counts) long_members += m.size() == 4 ? c : 0;
  const double long_share = static_cast<double>(long_members) / draws;
  // Uniform gives 2/3: the descent alone gives them 0.15 ("0" alone is a tenth of the root's
  // slots), the rejection step brings it back to within a few percent.
  EXPECT_GT(long_share, 0.62) << long_share;
  EXPECT_LT(long_share, 0.71) << long_share;
  std::printf("variable width: 4-digit share %.3f (uniform 0.667), %zu of %d members seen\n",
              long_share, counts.size(), n);
  EXPECT_GT(counts.size(), static_cast<std::size_t>(n * 9 / 10));  // nearly every member seen
}

}  // namespace
}  // namespace larder::server::sets
