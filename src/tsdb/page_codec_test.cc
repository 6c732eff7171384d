#include "tsdb/page_codec.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>

namespace larder::tsdb {
namespace {

std::vector<Sample> RoundTrip(const std::vector<Sample>& in, std::int64_t interval,
                              const EncodeChoice& choice = {}) {
  const std::string page = EncodePage(in, interval, choice);
  std::vector<Sample> out;
  const Status s = DecodePage(page, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(out.size(), in.size());
  for (std::size_t i = 0; i < std::min(in.size(), out.size()); ++i) {
    EXPECT_EQ(out[i].time_ms, in[i].time_ms) << i;
    EXPECT_EQ(std::bit_cast<std::uint64_t>(out[i].value), std::bit_cast<std::uint64_t>(in[i].value))
        << i << " " << in[i].value;
  }
  return out;
}

PageSummary Summary(const std::vector<Sample>& in, std::int64_t interval) {
  PageSummary sum;
  EXPECT_TRUE(SummarizePage(EncodePage(in, interval), &sum).ok());
  return sum;
}

TEST(TsdbPageCodecTest, DecimalScale) {
  EXPECT_EQ(FindDecimalScale(std::vector<Sample>{{0, 1}, {1, 2}}), 0);
  EXPECT_EQ(FindDecimalScale(std::vector<Sample>{{0, 1.5}, {1, 0.25}}), 2);
  EXPECT_EQ(FindDecimalScale(std::vector<Sample>{{0, 0.1}, {1, 12.34}}), 2);
  EXPECT_EQ(FindDecimalScale(std::vector<Sample>{{0, -0.0}}), -1);
  EXPECT_EQ(FindDecimalScale(std::vector<Sample>{{0, std::nan("")}}), -1);
  EXPECT_EQ(FindDecimalScale(std::vector<Sample>{{0, 1.0 / 3}}), -1);
  EXPECT_EQ(FindDecimalScale(std::vector<Sample>{{0, 1e300}}), -1);
}

TEST(TsdbPageCodecTest, RegularConstantTakesAFewBytes) {
  std::vector<Sample> s;
  for (int i = 0; i < 512; ++i) s.push_back({1000 + i * 1000, 42.0});
  RoundTrip(s, 1000);
  EXPECT_LT(EncodePage(s, 1000).size(), 16u);
  EXPECT_EQ(Summary(s, 1000).kind, 'R');
  EXPECT_EQ(Summary(s, 1000).codec, ValueCodec::kScaledBitpack);
}

TEST(TsdbPageCodecTest, GapsAndIrregularTimes) {
  std::vector<Sample> s;
  for (int i = 0; i < 300; ++i) {
    if (i % 7 != 3) s.push_back({i * 10, i * 0.5});
  }
  RoundTrip(s, 10);
  EXPECT_EQ(Summary(s, 10).kind, 'R');
  s.push_back({s.back().time_ms + 3, 1});  // off the grid
  RoundTrip(s, 10);
  EXPECT_EQ(Summary(s, 10).kind, 'I');
  RoundTrip(s, 0);
}

TEST(TsdbPageCodecTest, SpecialValuesUseXor) {
  std::vector<Sample> s = {
      {1, -0.0},    {2, std::numeric_limits<double>::infinity()},   {3, std::nan("7")},
      {4, 1.0 / 3}, {5, std::numeric_limits<double>::denorm_min()}, {6, -1e308}};
  RoundTrip(s, 1);
  EXPECT_EQ(Summary(s, 1).codec, ValueCodec::kXor);
  RoundTrip({{0, 5.0}}, 0);
  RoundTrip({{kMaxTime, 5.0}}, 0);
}

TEST(TsdbPageCodecTest, LargeJumpsAndExtremeTimes) {
  RoundTrip({{0, 0}, {1, 9e15}, {2, -9e15}, {3, 1}}, 1);
  RoundTrip({{0, 1}, {kMaxTime - 1, 2}, {kMaxTime, 3}}, 0);
  RoundTrip({{0, 1}, {kMaxTime, 2}}, 1);
}

TEST(TsdbPageCodecTest, RandomizedRoundTrip) {
  std::mt19937_64 rng(18);
  for (int round = 0; round < 300; ++round) {
    const int n = 1 + static_cast<int>(rng() % 600);
    const int kind = static_cast<int>(rng() % 5);
    const std::int64_t interval = static_cast<std::int64_t>(rng() % 3) * 500;
    std::vector<Sample> s;
    std::int64_t t = static_cast<std::int64_t>(rng() % 1'000'000'000'000);
    double v = 0;
    for (int i = 0; i < n; ++i) {
      t += interval > 0 && rng() % 4 != 0 ? interval : 1 + static_cast<std::int64_t>(rng() % 5000);
      switch (kind) {
        case 0:
          v = std::round((v + (static_cast<double>(rng() % 200) - 100) / 100) * 100) / 100;
          break;
        case 1:
          v += static_cast<double>(rng() % 1000);
          break;
        case 2:
          v = static_cast<double>(rng() % 2);
          break;
        case 3:
          v = std::bit_cast<double>(rng());
          break;
        default:
          v = static_cast<double>(rng() % 1000000) / 1000.0 - 500;
          break;
      }
      s.push_back({t, v});
    }
    for (ValueCodec c : {ValueCodec::kXor, ValueCodec::kScaledBitpack, ValueCodec::kScaledVarint}) {
      RoundTrip(s, interval, {.allow_regular = true, .force_codec = true, .codec = c});
    }
    RoundTrip(s, interval);
  }
}

TEST(TsdbPageCodecTest, DamagedPagesFailCleanly) {
  std::mt19937_64 rng(7);
  std::vector<Sample> s;
  for (int i = 0; i < 200; ++i) s.push_back({i * 1000, static_cast<double>(rng() % 100) / 10});
  for (std::int64_t interval : {0, 1000}) {
    for (ValueCodec c : {ValueCodec::kXor, ValueCodec::kScaledBitpack, ValueCodec::kScaledVarint}) {
      const std::string page = EncodePage(s, interval, {.force_codec = true, .codec = c});
      for (std::size_t cut = 0; cut < page.size(); ++cut) {
        std::vector<Sample> out;
        EXPECT_FALSE(DecodePage(page.substr(0, cut), &out).ok()) << cut;
        EXPECT_TRUE(out.empty());
      }
      for (int flip = 0; flip < 200; ++flip) {
        std::string bad = page;
        bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
        std::vector<Sample> out;
        (void)DecodePage(bad, &out);  // must not crash; any answer is allowed
      }
    }
  }
}

}  // namespace
}  // namespace larder::tsdb
