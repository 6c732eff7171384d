#include "base/coding.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>
#include <string>
#include <vector>

namespace larder {
namespace {

// Every power of two and its neighbours, plus every 7-bit group boundary: 0, 1, 127, 128, ...
std::vector<std::uint64_t> BoundaryValues() {
  std::vector<std::uint64_t> values = {0, 1};
  for (int bit = 1; bit < 64; ++bit) {
    const std::uint64_t p = std::uint64_t{1} << bit;
    values.push_back(p - 1);
    values.push_back(p);
    values.push_back(p + 1);
  }
  values.push_back(std::numeric_limits<std::uint64_t>::max());
  return values;
}

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

TEST(CodingTest, FixedIsLittleEndian) {
  std::string s;
  PutFixed32(&s, 0x04030201u);
  PutFixed64(&s, 0x0c0b0a0908070605ull);
  EXPECT_EQ(s, Bytes({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}));
  std::string_view in = s;
  std::uint32_t a = 0;
  std::uint64_t b = 0;
  ASSERT_TRUE(GetFixed32(&in, &a));
  ASSERT_TRUE(GetFixed64(&in, &b));
  EXPECT_EQ(a, 0x04030201u);
  EXPECT_EQ(b, 0x0c0b0a0908070605ull);
  EXPECT_TRUE(in.empty());
  std::string_view short_in = std::string_view(s).substr(0, 7);
  EXPECT_FALSE(GetFixed64(&short_in, &b));
  EXPECT_EQ(short_in.size(), 7u) << "a failed read consumes nothing";
  short_in = short_in.substr(0, 3);
  EXPECT_FALSE(GetFixed32(&short_in, &a));
}

TEST(CodingTest, KeyHeadIsTheFirstEightBytesBigEndianZeroPadded) {
  EXPECT_EQ(KeyHead(""), 0u);
  EXPECT_EQ(KeyHead(Bytes({0x01})), 0x0100000000000000ull);
  EXPECT_EQ(KeyHead("abcdefghij"), KeyHead("abcdefgh"));
  EXPECT_EQ(KeyHead(Bytes({1, 2, 3, 4, 5, 6, 7, 8})), 0x0102030405060708ull);
  // Heads never contradict bytewise order, including 0xff bytes and keys that end early.
  EXPECT_LT(KeyHead("ab"), KeyHead("ab\x01"));
  EXPECT_LT(KeyHead(Bytes({0x7f, 0xff})), KeyHead(Bytes({0x80})));
  EXPECT_EQ(KeyHead("ab"), KeyHead(std::string("ab\0", 3)));  // equal heads, different keys
}

TEST(CodingTest, CommonPrefixLengthCountsSharedLeadingBytes) {
  EXPECT_EQ(CommonPrefixLength("", ""), 0u);
  EXPECT_EQ(CommonPrefixLength("abc", ""), 0u);
  EXPECT_EQ(CommonPrefixLength("abc", "abd"), 2u);
  EXPECT_EQ(CommonPrefixLength("abc", "abcdef"), 3u);
  EXPECT_EQ(CommonPrefixLength("abcdef", "abc"), 3u);
  EXPECT_EQ(CommonPrefixLength("xbc", "abc"), 0u);
  EXPECT_EQ(CommonPrefixLength(Bytes({0, 0xff, 1}), Bytes({0, 0xff, 2})), 2u);
}

TEST(CodingTest, Varint64RoundTripsEveryBoundary) {
  for (std::uint64_t v : BoundaryValues()) {
    std::string s;
    PutVarint64(&s, v);
    EXPECT_EQ(s.size(), VarintLength(v)) << v;
    std::uint8_t raw[kMaxVarint64Length];
    EXPECT_EQ(static_cast<std::size_t>(EncodeVarint64(raw, v) - raw), s.size()) << v;
    EXPECT_EQ(std::string(reinterpret_cast<char*>(raw), s.size()), s) << v;
    s += "tail";
    std::string_view in = s;
    std::uint64_t got = ~v;
    ASSERT_TRUE(GetVarint64(&in, &got)) << v;
    EXPECT_EQ(got, v);
    EXPECT_EQ(in, "tail");
  }
}

TEST(CodingTest, Varint32RoundTripsEveryBoundary) {
  for (std::uint64_t wide : BoundaryValues()) {
    if (wide > std::numeric_limits<std::uint32_t>::max()) continue;
    const auto v = static_cast<std::uint32_t>(wide);
    std::string s;
    PutVarint32(&s, v);
    EXPECT_EQ(s.size(), VarintLength(v));
    std::string_view in = s;
    std::uint32_t got = ~v;
    ASSERT_TRUE(GetVarint32(&in, &got)) << v;
    EXPECT_EQ(got, v);
    EXPECT_TRUE(in.empty());
  }
}

TEST(CodingTest, VarintLengthsAtGroupEdges) {
  EXPECT_EQ(VarintLength(0), 1u);
  EXPECT_EQ(VarintLength(127), 1u);
  EXPECT_EQ(VarintLength(128), 2u);
  EXPECT_EQ(VarintLength(16383), 2u);
  EXPECT_EQ(VarintLength(16384), 3u);
  EXPECT_EQ(VarintLength(std::numeric_limits<std::uint32_t>::max()), 5u);
  EXPECT_EQ(VarintLength((std::uint64_t{1} << 63) - 1), 9u);
  EXPECT_EQ(VarintLength(std::uint64_t{1} << 63), 10u);
  EXPECT_EQ(VarintLength(std::numeric_limits<std::uint64_t>::max()), kMaxVarint64Length);
  std::string s;
  PutVarint64(&s, 300);
  EXPECT_EQ(s, Bytes({0xac, 0x02}));  // the protobuf documentation's example
}

TEST(CodingTest, TruncatedVarintsFailAndConsumeNothing) {
  for (std::uint64_t v : BoundaryValues()) {
    std::string s;
    PutVarint64(&s, v);
    for (std::size_t cut = 0; cut < s.size(); ++cut) {
      std::string_view in = std::string_view(s).substr(0, cut);
      std::uint64_t got = 0;
      EXPECT_FALSE(GetVarint64(&in, &got)) << v << " cut at " << cut;
      EXPECT_EQ(in.size(), cut);
      std::uint32_t got32 = 0;
      EXPECT_FALSE(GetVarint32(&in, &got32)) << v << " cut at " << cut;
    }
  }
}

TEST(CodingTest, OverflowingVarintsFail) {
  std::uint64_t v64 = 0;
  std::uint32_t v32 = 0;
  // 2^32 does not fit 32 bits: 5th byte 0x10.
  std::string s = Bytes({0x80, 0x80, 0x80, 0x80, 0x10});
  std::string_view in = s;
  EXPECT_FALSE(GetVarint32(&in, &v32));
  EXPECT_EQ(in.size(), 5u);
  EXPECT_TRUE(GetVarint64(&in, &v64));
  EXPECT_EQ(v64, std::uint64_t{1} << 32);
  // The largest 5-byte value that fits: 0xffffffff = ff ff ff ff 0f.
  s = Bytes({0xff, 0xff, 0xff, 0xff, 0x0f});
  in = s;
  EXPECT_TRUE(GetVarint32(&in, &v32));
  EXPECT_EQ(v32, 0xffffffffu);
  // A 6th byte for a 32-bit varint.
  s = Bytes({0xff, 0xff, 0xff, 0xff, 0x8f, 0x00});
  in = s;
  EXPECT_FALSE(GetVarint32(&in, &v32));
  // 2^64: the 10th byte may only be 0 or 1.
  s = Bytes({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02});
  in = s;
  EXPECT_FALSE(GetVarint64(&in, &v64));
  s[9] = 0x01;
  in = s;
  EXPECT_TRUE(GetVarint64(&in, &v64));
  EXPECT_EQ(v64, std::uint64_t{1} << 63);
  // An 11-byte encoding.
  s = std::string(10, static_cast<char>(0x80)) + Bytes({0x00});
  in = s;
  EXPECT_FALSE(GetVarint64(&in, &v64));
  EXPECT_EQ(in.size(), 11u);
}

TEST(CodingTest, NonMinimalVarintsFail) {
  std::uint64_t v = 0;
  std::uint32_t v32 = 0;
  for (const std::string& s : {Bytes({0x80, 0x00}), Bytes({0x81, 0x80, 0x00}),
                               Bytes({0xff, 0xff, 0xff, 0xff, 0x80, 0x00})}) {
    std::string_view in = s;
    EXPECT_FALSE(GetVarint64(&in, &v)) << s.size();
    EXPECT_EQ(in.size(), s.size());
    in = s;
    EXPECT_FALSE(GetVarint32(&in, &v32)) << s.size();
  }
  std::string zero = Bytes({0x00});  // a lone zero byte is the one encoding of 0
  std::string_view in = zero;
  EXPECT_TRUE(GetVarint64(&in, &v));
  EXPECT_EQ(v, 0u);
}

TEST(CodingTest, RandomVarintStreamsRoundTrip) {
  std::mt19937_64 rng(7);
  std::vector<std::uint64_t> values;
  std::string s;
  for (int i = 0; i < 2000; ++i) {
    const std::uint64_t v = rng() >> (rng() % 64);
    values.push_back(v);
    PutVarint64(&s, v);
  }
  std::string_view in = s;
  for (std::uint64_t want : values) {
    std::uint64_t got = 0;
    ASSERT_TRUE(GetVarint64(&in, &got));
    ASSERT_EQ(got, want);
  }
  EXPECT_TRUE(in.empty());
}

TEST(CodingTest, LengthPrefixedRoundTripAndBounds) {
  std::string s;
  PutLengthPrefixed(&s, "");
  PutLengthPrefixed(&s, "abc");
  PutLengthPrefixed(&s, std::string(200, 'x'));  // a two-byte length
  std::string_view in = s;
  std::string_view got;
  ASSERT_TRUE(GetLengthPrefixed(&in, &got));
  EXPECT_EQ(got, "");
  ASSERT_TRUE(GetLengthPrefixed(&in, &got));
  EXPECT_EQ(got, "abc");
  ASSERT_TRUE(GetLengthPrefixed(&in, &got));
  EXPECT_EQ(got, std::string(200, 'x'));
  EXPECT_TRUE(in.empty());
  EXPECT_FALSE(GetLengthPrefixed(&in, &got));

  // A length past the end, and a malformed length: nothing consumed.
  std::string bad = Bytes({5, 'a', 'b'});
  in = bad;
  EXPECT_FALSE(GetLengthPrefixed(&in, &got));
  EXPECT_EQ(in.size(), 3u);
  bad = Bytes({0x80});
  in = bad;
  EXPECT_FALSE(GetLengthPrefixed(&in, &got));
  // A huge length must not wrap around.
  bad.clear();
  PutVarint64(&bad, std::numeric_limits<std::uint64_t>::max());
  bad += "xyz";
  in = bad;
  EXPECT_FALSE(GetLengthPrefixed(&in, &got));
}

}  // namespace
}  // namespace larder
