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
#include "server/rank_cache.h"

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

TEST_F(SetStoreTest, BigFixedWidthSetsAreSampledUniformly) {
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

TEST_F(SetStoreTest, BigVariableWidthSetsAreSampledUniformly) {
  // "0".."2999": members that are prefixes of others, subtrees of different sizes (a byte
  // trie's descent favours the short ones; picks by rank do not).
  const int n = 3000;
  const KeyInfo info = MakeSet("var", Numbered("%d", n));
  std::mt19937_64 rng(13);
  Sampler sampler(db(), info, rng);
  const int draws = 15000;
  auto picks = sampler.WithRepeats(draws);
  ASSERT_TRUE(picks.ok());
  std::map<std::string, int> counts;
  for (const std::string& p : *picks) ++counts[p];
  std::vector<std::uint64_t> by_length(4);  // 1, 2, 3, 4 digits: 10, 90, 900, 2000 members
  for (const auto& [m, c] : counts) by_length.at(m.size() - 1) += static_cast<std::uint64_t>(c);
  const double long_share = static_cast<double>(by_length[3]) / draws;
  EXPECT_GT(long_share, 0.64) << long_share;  // uniform: 2/3
  EXPECT_LT(long_share, 0.69) << long_share;
  EXPECT_GT(counts.size(), static_cast<std::size_t>(n * 9 / 10));  // nearly every member seen
}

TEST_F(SetStoreTest, TheCachedRankIndexFollowsAddsAndRemoves) {
  std::vector<std::string> members = Numbered("m:%d", 2000);
  std::optional<KeyInfo> info = MakeSet("s", members);
  std::set<std::string> model(members.begin(), members.end());
  std::mt19937_64 rng(17);
  {
    Sampler sampler(db(), *info, rng);  // the first pick builds the index
    ASSERT_TRUE(sampler.WithRepeats(1).ok());
  }
  for (int step = 0; step < 3000; ++step) {
    const std::string m = "m:" + std::to_string(rng() % 4000);
    const std::vector<std::string_view> one{m};
    if (rng() % 2 == 0) {
      ASSERT_TRUE(Add(db(), "s", &info, one).ok());
      model.insert(m);
    } else if (model.size() > 1) {
      ASSERT_TRUE(Remove(db(), "s", &*info, one).ok());
      model.erase(m);
    }
    ASSERT_EQ(info->size, model.size());
    if (step % 250 == 0) {
      Sampler sampler(db(), *info, rng);
      auto picks = sampler.Distinct(20);
      ASSERT_TRUE(picks.ok());
      for (const std::string& p : *picks) EXPECT_TRUE(model.contains(p)) << p;
    }
  }
  RankIndex index(db(), info->version, "");
  EXPECT_TRUE(index.cached());
  const Status checked = index.Check(model.size());
  EXPECT_TRUE(checked.ok()) << checked.ToString();
  EXPECT_EQ(db().rank_cache()->distrusted(), 0u);
}

}  // namespace
}  // namespace larder::server::sets
