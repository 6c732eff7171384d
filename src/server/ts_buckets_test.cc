#include <gtest/gtest.h>

#include <cmath>
#include <span>
#include <vector>

#include "server/ts_family.h"

namespace larder::server::tsfamily {
namespace {

// EMPTY, BUCKETTIMESTAMP and twa (the figures of RedisTimeSeries 1.8's documentation).
TEST(TsBucketsTest, EmptyBucketTimestampAndTwa) {
  const std::vector<tsdb::Sample> samples = {{12, 12}, {15, 15}, {19, 19}, {22, 22}, {51, 3}};
  BucketSpec spec;
  spec.bucket_ms = 10;
  spec.aggregation = tsdb::Aggregation::kTwa;
  std::vector<tsdb::Sample> out;
  ASSERT_TRUE(Bucketize(std::span(samples).first(4), spec, &out));
  EXPECT_EQ(out, (std::vector<tsdb::Sample>{{10, 16}, {20, 21}}));
  out.clear();
  spec.aggregation = tsdb::Aggregation::kLast;
  spec.empty = true;
  spec.timestamp = BucketTimestamp::kEnd;
  ASSERT_TRUE(Bucketize(samples, spec, &out));
  EXPECT_EQ(out, (std::vector<tsdb::Sample>{{20, 19}, {30, 22}, {40, 22}, {50, 22}, {60, 3}}));
  out.clear();
  spec.aggregation = tsdb::Aggregation::kMax;
  spec.timestamp = BucketTimestamp::kMid;
  ASSERT_TRUE(Bucketize(samples, spec, &out));
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out[0], (tsdb::Sample{15, 19}));
  EXPECT_TRUE(std::isnan(out[2].value));
  out.clear();
  spec.bucket_ms = 1;
  const std::vector<tsdb::Sample> far = {{0, 1}, {kMaxBuckets + 5, 2}};
  EXPECT_FALSE(Bucketize(far, spec, &out));
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace larder::server::tsfamily
