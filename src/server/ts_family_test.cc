// ts_family: FILTER matchers, bucketing with ALIGN, reducers, against direct computations.
#include "server/ts_family.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace larder::server::tsfamily {
namespace {

std::optional<std::string> Parse(std::vector<std::string_view> args, std::vector<Matcher>* m) {
  return ParseFilter(args, m);
}

TEST(TsFamilyTest, FilterMatchersAsRedisTimeSeries) {
  const Labels a = {{"host", "a"}, {"dc", "x"}};
  const Labels b = {{"host", "b"}};
  auto matches = [](std::vector<std::string_view> args, const Labels& l) {
    std::vector<Matcher> m;
    EXPECT_EQ(ParseFilter(args, &m), std::nullopt);
    return MatchesAll(m, l);
  };
  EXPECT_TRUE(matches({"host=a"}, a));
  EXPECT_FALSE(matches({"host=a"}, b));
  EXPECT_TRUE(matches({"host=(a,b)"}, b));
  EXPECT_TRUE(matches({"host=(a,b)", "dc="}, b));
  EXPECT_FALSE(matches({"host=(a,b)", "dc="}, a));
  EXPECT_TRUE(matches({"host=(a,b)", "dc!="}, a));
  EXPECT_TRUE(matches({"host=(a,b)", "dc!=y"}, a));
  EXPECT_FALSE(matches({"host=(a,b)", "dc!=x"}, a));
  EXPECT_TRUE(matches({"host=(a,b)", "dc!=(x,y)"}, b));
  EXPECT_FALSE(matches({"host=(a,b)", "dc!=(x,y)"}, a));
  std::vector<Matcher> m;
  EXPECT_EQ(Parse({"dc!=x"}, &m), "ERR TSDB: please provide at least one matcher");
  EXPECT_EQ(Parse({"host="}, &m), "ERR TSDB: please provide at least one matcher");
  EXPECT_EQ(Parse({"host"}, &m), "ERR TSDB: failed parsing labels");
  EXPECT_EQ(Parse({"=a"}, &m), "ERR TSDB: failed parsing labels");
}

TEST(TsFamilyTest, NamesRoundTrip) {
  for (std::string_view n : {"avg", "min", "max", "sum", "count", "first", "last", "range", "std.p",
                             "var.p", "std.s", "var.s", "twa"}) {
    ASSERT_TRUE(ParseAggregation(n));
    EXPECT_EQ(AggregationName(*ParseAggregation(n)), n);
  }
  EXPECT_EQ(ParseAggregation("STD.P"), tsdb::Aggregation::kStdP);
  EXPECT_FALSE(ParseAggregation("median"));
  for (std::string_view n : {"block", "first", "last", "min", "max", "sum"}) {
    EXPECT_EQ(DuplicatePolicyName(*ParseDuplicatePolicy(n)), n);
  }
  EXPECT_FALSE(ParseTimestamp("-1"));
  EXPECT_EQ(ParseTimestamp("17"), 17);
}

// Bucketize against a std::map of bucket start -> values, random samples and alignments.
TEST(TsFamilyTest, BucketizeMatchesADirectComputation) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 50; ++round) {
    const std::int64_t bucket = 1 + static_cast<std::int64_t>(rng() % 50);
    const std::int64_t align = static_cast<std::int64_t>(rng() % 200);
    std::vector<tsdb::Sample> samples;
    std::int64_t t = static_cast<std::int64_t>(rng() % 10);
    for (int i = 0; i < 100; ++i) {
      t += 1 + static_cast<std::int64_t>(rng() % 20);
      samples.push_back({t, static_cast<double>(rng() % 1000) / 10});
    }
    std::map<std::int64_t, std::vector<double>> model;
    for (const tsdb::Sample& s : samples) {
      std::int64_t start = align % bucket;
      while (start + bucket <= s.time_ms) start += bucket;
      while (start > s.time_ms) start -= bucket;
      model[std::max<std::int64_t>(start, 0)].push_back(s.value);
    }
    for (tsdb::Aggregation agg : {tsdb::Aggregation::kAvg, tsdb::Aggregation::kRange,
                                  tsdb::Aggregation::kVarP, tsdb::Aggregation::kLast}) {
      std::vector<tsdb::Sample> out;
      Bucketize(samples, bucket, align, agg, &out);
      ASSERT_EQ(out.size(), model.size());
      std::size_t i = 0;
      for (const auto& [start, values] : model) {
        EXPECT_EQ(out[i].time_ms, start);
        EXPECT_EQ(out[i].value, AggregateValues(values, agg));
        ++i;
      }
    }
  }
  const std::vector<double> v = {1, 2, 3, 4};
  EXPECT_EQ(AggregateValues(v, tsdb::Aggregation::kVarP), 1.25);
  EXPECT_EQ(AggregateValues(v, tsdb::Aggregation::kStdP), std::sqrt(1.25));
  EXPECT_EQ(AggregateValues(v, tsdb::Aggregation::kCount), 4);
}

TEST(TsFamilyTest, ReduceSeriesMergesByTimestamp) {
  const std::vector<std::vector<tsdb::Sample>> series = {{{1, 1}, {2, 5}}, {{2, 3}, {3, 7}}};
  const std::vector<tsdb::Sample> want = {{1, 1}, {2, 8}, {3, 7}};
  EXPECT_EQ(ReduceSeries(series, tsdb::Aggregation::kSum), want);
  const std::vector<tsdb::Sample> max = {{1, 1}, {2, 5}, {3, 7}};
  EXPECT_EQ(ReduceSeries(series, tsdb::Aggregation::kMax), max);
}

}  // namespace
}  // namespace larder::server::tsfamily
