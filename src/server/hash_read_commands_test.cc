#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "server/command_test_util.h"

namespace larder::server {
namespace {

using testing::Backing;
using testing::KeysHarness;

class HashReadCommandsTest : public ::testing::TestWithParam<Backing> {};

TEST_P(HashReadCommandsTest, WholeHashReadsInBothProtocols) {
  KeysHarness h(GetParam());
  EXPECT_EQ(h.Run({"HSET", "h", "b", "2", "a", "1"}), "2");
  EXPECT_EQ(h.Run({"HKEYS", "h"}), "[a,b]");
  EXPECT_EQ(h.Run({"HVALS", "h"}), "[1,2]");
  EXPECT_EQ(h.Run({"HGETALL", "h"}), "[a,1,b,2]");
  EXPECT_EQ(h.Run({"HGETALL", "nokey"}), "[]");
  EXPECT_EQ(h.Run({"HKEYS", "nokey"}), "[]");
  h.set_protocol(3);
  EXPECT_EQ(h.Run({"HGETALL", "h"}), "{a:1,b:2}");
  EXPECT_EQ(h.RunRaw({"HGETALL", "nokey"}), "%0\r\n");
  EXPECT_EQ(h.Run({"HKEYS", "h"}), "[a,b]");
  EXPECT_EQ(h.RunRaw({"HGET", "h", "zz"}), "_\r\n");
}

TEST_P(HashReadCommandsTest, HRandFieldErrorsAndEmpty) {
  KeysHarness h(GetParam());
  EXPECT_EQ(h.Run({"HRANDFIELD", "nokey"}), "(nil)");
  EXPECT_EQ(h.Run({"HRANDFIELD", "nokey", "5"}), "[]");
  EXPECT_EQ(h.Run({"HRANDFIELD", "nokey", "-5", "WITHVALUES"}), "[]");
  EXPECT_EQ(h.Run({"HSET", "h", "a", "1"}), "1");
  EXPECT_EQ(h.Run({"HRANDFIELD", "h", "abc"}), "-ERR value is not an integer or out of range");
  EXPECT_EQ(h.Run({"HRANDFIELD", "h", "-9223372036854775808"}),
            "-ERR value is out of range, value must between -9223372036854775807 and "
            "9223372036854775807");
  EXPECT_EQ(h.Run({"HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"}),
            "-ERR value is out of range");
  EXPECT_EQ(h.Run({"HRANDFIELD", "h", "1", "foo"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"HRANDFIELD", "h", "1", "withvalues", "x"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"HRANDFIELD", "h", "0"}), "[]");
  EXPECT_EQ(h.Run({"HRANDFIELD", "h"}), "a");
}

TEST_P(HashReadCommandsTest, HRandFieldCounts) {
  KeysHarness h(GetParam());
  EXPECT_EQ(h.Run({"HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4"}), "4");
  // At least the size: the whole hash once.
  EXPECT_EQ(h.Run({"HRANDFIELD", "h", "10"}), "[a,b,c,d]");
  EXPECT_EQ(h.Run({"HRANDFIELD", "h", "4", "WITHVALUES"}), "[a,1,b,2,c,3,d,4]");
  // Positive counts below the size: distinct fields.
  for (int round = 0; round < 50; ++round) {
    const std::string r = h.Run({"HRANDFIELD", "h", "3"});
    ASSERT_EQ(r.size(), 7u) << r;
    EXPECT_TRUE(r[1] != r[3] && r[1] != r[5] && r[3] != r[5]) << r;
  }
  // Negative counts: exactly |count| fields, repeats allowed, every field seen eventually.
  std::set<char> seen;
  for (int round = 0; round < 20; ++round) {
    const std::string r = h.Run({"HRANDFIELD", "h", "-10"});
    ASSERT_EQ(r.size(), 21u) << r;
    for (std::size_t i = 1; i < r.size(); i += 2) seen.insert(r[i]);
  }
  EXPECT_EQ(seen.size(), 4u);
  // WITHVALUES: field then its value in RESP2, pairs in RESP3.
  const std::string flat = h.Run({"HRANDFIELD", "h", "-3", "WITHVALUES"});
  ASSERT_EQ(flat.size(), 13u) << flat;
  for (std::size_t i = 1; i < flat.size(); i += 4) EXPECT_EQ(flat[i + 2], flat[i] - 'a' + '1');
  h.set_protocol(3);
  const std::string pairs = h.Run({"HRANDFIELD", "h", "2", "WITHVALUES"});
  ASSERT_EQ(pairs.size(), 13u) << pairs;
  EXPECT_EQ(pairs.substr(0, 2), "[[");
  EXPECT_EQ(h.Run({"HRANDFIELD", "h", "1", "WITHVALUES"}).size(), 7u);
}

TEST_P(HashReadCommandsTest, HScanSmallHashesInOneCall) {
  KeysHarness h(GetParam());
  EXPECT_EQ(h.Run({"HSCAN", "nokey", "0"}), "[0,[]]");
  EXPECT_EQ(h.Run({"HSCAN", "nokey", "0", "COUNT", "0"}), "[0,[]]");  // options unread
  EXPECT_EQ(h.Run({"HSCAN", "nokey", "x"}), "-ERR invalid cursor");
  EXPECT_EQ(h.Run({"HSET", "h", "a", "1", "b", "2", "ab", "3"}), "3");
  EXPECT_EQ(h.Run({"HSCAN", "h", "0", "COUNT", "0"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"HSCAN", "h", "0", "COUNT", "x"}),
            "-ERR value is not an integer or out of range");
  EXPECT_EQ(h.Run({"HSCAN", "h", "0", "TYPE", "hash"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"HSCAN", "h", "0", "MATCH"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"HSCAN", "h", "0", "COUNT", "1"}), "[0,[a,1,ab,3,b,2]]");
  EXPECT_EQ(h.Run({"HSCAN", "h", "0", "MATCH", "a*"}), "[0,[a,1,ab,3]]");
  h.set_protocol(3);
  EXPECT_EQ(h.Run({"HSCAN", "h", "0", "MATCH", "b"}), "[0,[b,2]]");
}

TEST_P(HashReadCommandsTest, HScanBigHashesByCount) {
  KeysHarness h(GetParam());
  std::set<std::string> fields;
  for (int i = 0; i < 300; ++i) {
    const std::string f = "f" + std::to_string(i);
    EXPECT_EQ(h.Run({"HSET", "h", f, "v" + std::to_string(i)}), "1");
    fields.insert(f);
  }
  std::string cursor = "0";
  std::set<std::string> seen;
  int calls = 0;
  do {
    const testing::ScanStep step =
        testing::ParseScanReply(h.Run({"HSCAN", "h", cursor, "COUNT", "50"}));
    cursor = step.cursor;
    for (std::size_t i = 0; i < step.items.size(); i += 2) {
      EXPECT_TRUE(seen.insert(step.items[i]).second);
    }
    EXPECT_LE(step.items.size(), 100u);
    ++calls;
  } while (cursor != "0" && calls < 100);
  EXPECT_EQ(seen, fields);
  EXPECT_EQ(calls, 6);
}

// Few picks of a big hash go through its rank index (engine backing): every field returned is
// one the hash holds, with its value, after fields were added and deleted since the first pick.
TEST_P(HashReadCommandsTest, HRandFieldOfABigHashAfterChanges) {
  KeysHarness h(GetParam());
  std::map<std::string, std::string> model;
  const auto hset = [&](const std::string& f, const std::string& v) {
    h.Run({"HSET", "h", f, v});
    model[f] = v;
  };
  for (int i = 0; i < 600; ++i) hset("f" + std::to_string(i), "v" + std::to_string(i));
  const auto check_picks = [&] {
    const std::string r = h.Run({"HRANDFIELD", "h", "3", "WITHVALUES"});
    const std::vector<std::string> items = testing::SplitFlatReply(r);
    ASSERT_EQ(items.size(), 6u) << r;
    for (std::size_t i = 0; i < items.size(); i += 2) {
      ASSERT_TRUE(model.contains(items[i])) << r;
      EXPECT_EQ(model[items[i]], items[i + 1]) << r;
    }
  };
  check_picks();
  for (int i = 0; i < 600; i += 2) {
    EXPECT_EQ(h.Run({"HDEL", "h", "f" + std::to_string(i)}), "1");
    model.erase("f" + std::to_string(i));
  }
  for (int i = 0; i < 100; ++i) hset("g" + std::to_string(i), "w" + std::to_string(i));
  for (int round = 0; round < 40; ++round) check_picks();
}

INSTANTIATE_TEST_SUITE_P(Backings, HashReadCommandsTest,
                         ::testing::Values(Backing::kMap, Backing::kEngine), testing::BackingName);

}  // namespace
}  // namespace larder::server
