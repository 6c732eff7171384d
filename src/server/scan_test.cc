#include "server/scan.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "server/command_test_util.h"

namespace larder::server {
namespace {

using testing::Backing;
using testing::KeysHarness;

TEST(ScanCursorTableTest, IssuedCursorsResumeOnceInTheirScope) {
  ScanCursorTable table(8, 1 << 20, /*seed=*/7);
  const std::uint64_t a = table.Issue("db:0", "k1");
  const std::uint64_t b = table.Issue("db:0", "k2");
  EXPECT_NE(a, 0u);
  EXPECT_NE(a, b);
  EXPECT_LT(a, std::uint64_t{1} << 63);
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(table.Take(b, "db:1"), std::nullopt);  // another scope: starts over (and drops it)
  EXPECT_EQ(table.Take(b, "db:0"), std::nullopt);
  EXPECT_EQ(table.Take(a, "db:0"), std::optional<std::string>("k1"));
  EXPECT_EQ(table.Take(a, "db:0"), std::nullopt);  // used once
  EXPECT_EQ(table.Take(0, "db:0"), std::nullopt);
  EXPECT_EQ(table.Take(12345, "db:0"), std::nullopt);
  EXPECT_EQ(table.size(), 0u);
}

TEST(ScanCursorTableTest, AnotherSeedIssuesOtherNumbers) {
  ScanCursorTable one(8, 1 << 20, 1);
  ScanCursorTable two(8, 1 << 20, 2);
  const std::uint64_t c = one.Issue("s", "x");
  EXPECT_NE(c, two.Issue("s", "x"));
  EXPECT_EQ(two.Take(c, "s"), std::nullopt);
}

TEST(ScanCursorTableTest, BoundedByCountAndBytesOldestFirst) {
  ScanCursorTable table(3, 1 << 20, 1);
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(table.Issue("s", "k" + std::to_string(i)));
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.Take(ids[0], "s"), std::nullopt);
  EXPECT_EQ(table.Take(ids[1], "s"), std::nullopt);
  EXPECT_EQ(table.Take(ids[2], "s"), std::optional<std::string>("k2"));

  ScanCursorTable small(100, 10, 1);  // 10 bytes of scope + position
  const std::uint64_t first = small.Issue("s", "1234");
  const std::uint64_t second = small.Issue("s", "5678");
  EXPECT_EQ(small.size(), 2u);
  const std::uint64_t huge = small.Issue("s", std::string(100, 'x'));  // the newest stays
  EXPECT_EQ(small.size(), 1u);
  EXPECT_EQ(small.Take(first, "s"), std::nullopt);
  EXPECT_EQ(small.Take(second, "s"), std::nullopt);
  EXPECT_EQ(small.Take(huge, "s"), std::optional<std::string>(std::string(100, 'x')));
}

TEST(ScanCursorTableTest, ParseScanCursorAsStrtoull) {
  EXPECT_EQ(ParseScanCursor("0"), std::optional<std::uint64_t>(0));
  EXPECT_EQ(ParseScanCursor("18446744073709551615"),
            std::optional<std::uint64_t>(18446744073709551615ull));
  EXPECT_EQ(ParseScanCursor(""), std::optional<std::uint64_t>(0));
  EXPECT_EQ(ParseScanCursor("18446744073709551616"), std::nullopt);
  EXPECT_EQ(ParseScanCursor(" 1"), std::nullopt);
  EXPECT_EQ(ParseScanCursor("1 "), std::nullopt);
  EXPECT_EQ(ParseScanCursor("1x"), std::nullopt);
  EXPECT_EQ(ParseScanCursor(std::string_view("1\0", 2)), std::nullopt);
}

TEST(ScanCursorTableTest, StartAfterIsTheLeastGreaterString) {
  EXPECT_EQ(ScanStartAfter(std::nullopt), "");
  EXPECT_EQ(ScanStartAfter(std::string("ab")), std::string("ab\0", 3));
}

class ScanGuaranteeTest : public ::testing::TestWithParam<Backing> {};

// Between the calls of a scan, other clients add and delete keys. Every key present from the
// first call to the last must be returned; a key is never returned twice.
TEST_P(ScanGuaranteeTest, ScanReturnsEveryStableKeyUnderInsertsAndDeletes) {
  KeysHarness h(GetParam());
  std::mt19937 rng(1234);
  std::set<std::string> live;
  for (int i = 0; i < 400; ++i) {
    const std::string k = "key:" + std::to_string(rng() % 100000);
    h.SetString(k, "v");
    live.insert(k);
  }
  for (int round = 0; round < 3; ++round) {
    std::set<std::string> stable = live;  // present at the start and never deleted
    std::multiset<std::string> returned;
    std::string cursor = "0";
    int calls = 0;
    do {
      const testing::ScanStep step =
          testing::ParseScanReply(h.Run({"SCAN", cursor, "COUNT", std::to_string(1 + rng() % 20)}));
      cursor = step.cursor;
      returned.insert(step.items.begin(), step.items.end());
      for (int change = 0; change < 8; ++change) {  // the other clients
        if (rng() % 2 == 0 && !live.empty()) {
          auto it = live.begin();
          std::advance(it, rng() % live.size());
          EXPECT_EQ(h.Run({"DEL", *it}), "1");
          stable.erase(*it);
          live.erase(it);
        } else {
          const std::string k = "key:" + std::to_string(rng() % 100000);
          h.SetString(k, "v");
          live.insert(k);
        }
      }
      ++calls;
    } while (cursor != "0" && calls < 10000);
    ASSERT_EQ(cursor, "0");
    for (const std::string& k : stable) EXPECT_EQ(returned.count(k), 1u) << k;
    for (const std::string& k : returned) EXPECT_EQ(returned.count(k), 1u) << k;
  }
}

TEST_P(ScanGuaranteeTest, HScanReturnsEveryStableFieldUnderChanges) {
  KeysHarness h(GetParam());
  std::mt19937 rng(99);
  std::set<std::string> live;
  for (int i = 0; i < 500; ++i) {
    const std::string f = "f" + std::to_string(rng() % 5000);
    h.Run({"HSET", "big", f, "v"});
    live.insert(f);
  }
  std::set<std::string> stable = live;
  std::multiset<std::string> returned;
  std::string cursor = "0";
  int calls = 0;
  do {
    const testing::ScanStep step =
        testing::ParseScanReply(h.Run({"HSCAN", "big", cursor, "COUNT", "7"}));
    cursor = step.cursor;
    for (std::size_t i = 0; i < step.items.size(); i += 2) returned.insert(step.items[i]);
    for (int change = 0; change < 5; ++change) {
      if (rng() % 2 == 0 && live.size() > 200) {
        auto it = live.begin();
        std::advance(it, rng() % live.size());
        EXPECT_EQ(h.Run({"HDEL", "big", *it}), "1");
        stable.erase(*it);
        live.erase(it);
      } else {
        const std::string f = "f" + std::to_string(rng() % 5000);
        h.Run({"HSET", "big", f, "w"});
        live.insert(f);
      }
    }
    ++calls;
  } while (cursor != "0" && calls < 10000);
  ASSERT_EQ(cursor, "0");
  EXPECT_GT(calls, 20);
  for (const std::string& f : stable) EXPECT_EQ(returned.count(f), 1u) << f;
}

// A cursor the server no longer knows (evicted, from an earlier process) starts over: keys may
// come twice, none is missed.
TEST_P(ScanGuaranteeTest, AnUnknownCursorStartsOverWithoutSkipping) {
  KeysHarness h(GetParam());
  for (int i = 0; i < 30; ++i) h.SetString("k" + std::to_string(100 + i), "v");
  const testing::ScanStep first = testing::ParseScanReply(h.Run({"SCAN", "0", "COUNT", "10"}));
  ASSERT_EQ(first.items.size(), 10u);
  const testing::ScanStep other_db =
      testing::ParseScanReply(h.Run({"SCAN", "987654321", "COUNT", "100"}));
  EXPECT_EQ(other_db.cursor, "0");
  EXPECT_EQ(other_db.items.size(), 30u);
  h.select(1);  // the cursor belongs to database 0: here it starts over
  EXPECT_EQ(h.Run({"SCAN", first.cursor, "COUNT", "100"}), "[0,[]]");
}

INSTANTIATE_TEST_SUITE_P(Backings, ScanGuaranteeTest,
                         ::testing::Values(Backing::kMap, Backing::kEngine), testing::BackingName);

}  // namespace
}  // namespace larder::server
