// The table's Bloom filter: no false negatives, a measured false-positive rate.
#include "lsm/filter.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace larder::lsm {
namespace {

std::string Key(int i) { return "key" + std::to_string(i); }

TEST(LsmFilterTest, HashIsStableAndSpreads) {
  // Format-defining: these values must never change.
  EXPECT_EQ(FilterHash64(""), FilterHash64(""));
  EXPECT_NE(FilterHash64("a"), FilterHash64("b"));
  EXPECT_NE(FilterHash64("a"), FilterHash64("a", 1));
  EXPECT_NE(FilterHash64(std::string(8, '\0')), FilterHash64(std::string(9, '\0')));
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 100000; ++i) seen.insert(FilterHash64(Key(i)));
  EXPECT_EQ(seen.size(), 100000u);
  // Each output bit is set about half the time over consecutive inputs.
  for (int bit = 0; bit < 64; ++bit) {
    int ones = 0;
    for (int i = 0; i < 4000; ++i) ones += (FilterHash64(Key(i)) >> bit) & 1;
    EXPECT_GT(ones, 1700) << bit;
    EXPECT_LT(ones, 2300) << bit;
  }
}

TEST(LsmFilterTest, NoFalseNegativesAndFewFalsePositives) {
  for (const int n : {1, 10, 1000, 100000}) {
    FilterBuilder b(10);
    for (int i = 0; i < n; ++i) b.AddKey(Key(i));
    FilterReader r;
    ASSERT_TRUE(r.Init(b.Finish()).ok());
    for (int i = 0; i < n; ++i) ASSERT_TRUE(r.KeyMayMatch(Key(i))) << i;
    int fp = 0;
    const int probes = 100000;
    for (int i = 0; i < probes; ++i) fp += r.KeyMayMatch(Key(n + 1000000 + i)) ? 1 : 0;
    const double rate = static_cast<double>(fp) / probes;
    if (n >= 1000) {
      EXPECT_LT(rate, 0.03) << "n=" << n;  // about 1% expected at 10 bits/key
    }
    RecordProperty("fp_rate_" + std::to_string(n), std::to_string(rate));
  }
}

TEST(LsmFilterTest, ConsecutiveDuplicatesCountOnce) {
  FilterBuilder b(10);
  b.AddKey("a");
  b.AddKey("a");
  b.AddKey("b");
  EXPECT_EQ(b.num_keys(), 2u);
}

TEST(LsmFilterTest, EmptyReaderMatchesEverything) {
  FilterReader r;
  EXPECT_TRUE(r.KeyMayMatch("anything"));
}

TEST(LsmFilterTest, BadLayoutIsCorruption) {
  FilterReader r;
  EXPECT_TRUE(r.Init("").IsCorruption());
  EXPECT_TRUE(r.Init(std::string("\0\0\0\0\x07\x02", 6)).IsCorruption());  // kind 2
  EXPECT_TRUE(r.Init(std::string("\0\0\0\0\x00\x01", 6)).IsCorruption());  // 0 probes
  EXPECT_TRUE(r.Init(std::string("\0\0\0\0\x07\x01", 6)).IsCorruption());  // not a line
  EXPECT_TRUE(r.Init(std::string(64, '\0') + "\x07\x01").ok());
  EXPECT_FALSE(r.KeyMayMatch("x"));  // no bit set
}

}  // namespace
}  // namespace larder::lsm
