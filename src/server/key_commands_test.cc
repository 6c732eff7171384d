#include <gtest/gtest.h>

#include <set>
#include <string>

#include "server/command_test_util.h"

namespace larder::server {
namespace {

using testing::Backing;
using testing::KeysHarness;

class KeyCommandsTest : public ::testing::TestWithParam<Backing> {};

TEST_P(KeyCommandsTest, DelAndUnlinkCountRemovedKeys) {
  KeysHarness h(GetParam());
  h.SetString("a", "1");
  h.SetString("b", "2");
  EXPECT_EQ(h.Run({"HSET", "h", "f", "v"}), "1");
  EXPECT_EQ(h.Run({"DEL", "a", "a", "nokey"}), "1");
  EXPECT_EQ(h.Run({"UNLINK", "b", "h"}), "2");
  EXPECT_EQ(h.Run({"EXISTS", "a", "b", "h"}), "0");
  EXPECT_EQ(h.Run({"DEL"}), "-ERR wrong number of arguments for 'del' command");
  EXPECT_EQ(h.Run({"unlink"}), "-ERR wrong number of arguments for 'unlink' command");
}

TEST_P(KeyCommandsTest, ExistsCountsRepeatsAndTouchCountsExisting) {
  KeysHarness h(GetParam());
  h.SetString("a", "1");
  EXPECT_EQ(h.Run({"EXISTS", "a", "a", "nokey", "a"}), "3");
  EXPECT_EQ(h.Run({"TOUCH", "a", "a", "nokey"}), "2");
  EXPECT_EQ(h.Run({"EXISTS"}), "-ERR wrong number of arguments for 'exists' command");
}

TEST_P(KeyCommandsTest, TypeNamesEveryKind) {
  KeysHarness h(GetParam());
  h.SetString("s", "x");
  EXPECT_EQ(h.Run({"HSET", "h", "f", "v"}), "1");
  EXPECT_EQ(h.Run({"TYPE", "s"}), "string");
  EXPECT_EQ(h.Run({"TYPE", "h"}), "hash");
  EXPECT_EQ(h.Run({"TYPE", "nokey"}), "none");
  EXPECT_EQ(h.RunRaw({"TYPE", "nokey"}), "+none\r\n");
  EXPECT_EQ(h.Run({"TYPE", "a", "b"}), "-ERR wrong number of arguments for 'type' command");
}

TEST_P(KeyCommandsTest, RenameAndRenameNx) {
  KeysHarness h(GetParam());
  h.SetString("a", "1", h.now_ms() + 5000);
  EXPECT_EQ(h.Run({"RENAME", "nokey", "b"}), "-ERR no such key");
  EXPECT_EQ(h.Run({"RENAMENX", "nokey", "b"}), "-ERR no such key");
  EXPECT_EQ(h.Run({"RENAME", "a", "a"}), "OK");
  EXPECT_EQ(h.Run({"RENAMENX", "a", "a"}), "0");
  EXPECT_EQ(h.Run({"RENAME", "a", "b"}), "OK");
  EXPECT_EQ(h.Run({"EXISTS", "a"}), "0");
  EXPECT_EQ(h.Run({"PTTL", "b"}), "5000");  // the expiry moves with the key
  h.SetString("c", "3");
  EXPECT_EQ(h.Run({"RENAMENX", "b", "c"}), "0");
  EXPECT_EQ(h.Run({"RENAMENX", "b", "d"}), "1");
  EXPECT_EQ(h.Run({"RENAME", "d", "c"}), "OK");  // replaces
  EXPECT_EQ(h.Run({"EXISTS", "b", "d", "c"}), "1");
}

TEST_P(KeyCommandsTest, CopyOptionsAndErrors) {
  KeysHarness h(GetParam());
  EXPECT_EQ(h.Run({"HSET", "h", "f", "v"}), "1");
  EXPECT_EQ(h.Run({"COPY", "h", "h"}), "-ERR source and destination objects are the same");
  EXPECT_EQ(h.Run({"COPY", "h", "h", "DB", "0"}),
            "-ERR source and destination objects are the same");
  EXPECT_EQ(h.Run({"COPY", "h", "x", "DB", "16"}), "-ERR DB index is out of range");
  EXPECT_EQ(h.Run({"COPY", "h", "x", "DB", "-1"}), "-ERR DB index is out of range");
  EXPECT_EQ(h.Run({"COPY", "h", "x", "DB", "abc"}), "-ERR value is not an integer or out of range");
  EXPECT_EQ(h.Run({"COPY", "h", "x", "DB", "4294967296"}),
            "-ERR value is not an integer or out of range");
  EXPECT_EQ(h.Run({"COPY", "h", "x", "foo"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"COPY", "h", "x", "db"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"COPY", "nokey", "x"}), "0");
  EXPECT_EQ(h.Run({"COPY", "h", "x"}), "1");
  EXPECT_EQ(h.Run({"HSET", "x", "g", "w"}), "1");
  EXPECT_EQ(h.Run({"COPY", "h", "x"}), "0");
  EXPECT_EQ(h.Run({"COPY", "h", "x", "replace"}), "1");
  EXPECT_EQ(h.Run({"HGETALL", "x"}), "[f,v]");
  EXPECT_EQ(h.Run({"COPY", "h", "h", "DB", "3"}), "1");
  h.select(3);
  EXPECT_EQ(h.Run({"HGET", "h", "f"}), "v");
}

TEST_P(KeyCommandsTest, MoveBetweenDatabases) {
  KeysHarness h(GetParam());
  h.SetString("k", "v", h.now_ms() + 9000);
  EXPECT_EQ(h.Run({"MOVE", "k", "0"}), "-ERR source and destination objects are the same");
  EXPECT_EQ(h.Run({"MOVE", "k", "16"}), "-ERR DB index is out of range");
  EXPECT_EQ(h.Run({"MOVE", "k", "x"}), "-ERR value is not an integer or out of range");
  EXPECT_EQ(h.Run({"MOVE", "nokey", "1"}), "0");
  EXPECT_EQ(h.Run({"MOVE", "k", "1"}), "1");
  EXPECT_EQ(h.Run({"EXISTS", "k"}), "0");
  h.SetString("k", "other");
  EXPECT_EQ(h.Run({"MOVE", "k", "1"}), "0");  // present there: nothing moves
  EXPECT_EQ(h.Run({"EXISTS", "k"}), "1");
  h.select(1);
  EXPECT_EQ(h.Run({"PTTL", "k"}), "9000");
}

TEST_P(KeyCommandsTest, KeysMatchesGlobAndSkipsExpired) {
  KeysHarness h(GetParam());
  for (const char* k : {"one", "two", "three", "four"}) h.SetString(k, "x");
  h.SetString("tmp", "x", h.now_ms() + 10);
  EXPECT_EQ(h.Run({"KEYS", "*"}), "[four,one,three,tmp,two]");
  EXPECT_EQ(h.Run({"KEYS", "t*"}), "[three,tmp,two]");
  EXPECT_EQ(h.Run({"KEYS", "?o*"}), "[four]");
  h.Advance(10);
  EXPECT_EQ(h.Run({"KEYS", "t[wm]*"}), "[two]");
  EXPECT_EQ(h.Run({"KEYS", "nothing"}), "[]");
  EXPECT_EQ(h.Run({"KEYS"}), "-ERR wrong number of arguments for 'keys' command");
}

TEST_P(KeyCommandsTest, RandomKey) {
  KeysHarness h(GetParam());
  EXPECT_EQ(h.Run({"RANDOMKEY"}), "(nil)");
  h.SetString("a", "1");
  h.SetString("b", "1");
  std::set<std::string> seen;
  for (int i = 0; i < 64; ++i) seen.insert(h.Run({"RANDOMKEY"}));
  EXPECT_EQ(seen, (std::set<std::string>{"a", "b"}));
}

TEST_P(KeyCommandsTest, ScanArgumentErrors) {
  KeysHarness h(GetParam());
  EXPECT_EQ(h.Run({"SCAN", "abc"}), "-ERR invalid cursor");
  EXPECT_EQ(h.Run({"SCAN", " 1"}), "-ERR invalid cursor");
  EXPECT_EQ(h.Run({"SCAN", "18446744073709551616"}), "-ERR invalid cursor");
  EXPECT_EQ(h.Run({"SCAN", "0", "count", "0"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"SCAN", "0", "count", "x"}), "-ERR value is not an integer or out of range");
  EXPECT_EQ(h.Run({"SCAN", "0", "match"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"SCAN", "0", "type"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"SCAN", "0", "foo", "bar"}), "-ERR syntax error");
  // Numbers strtoull takes are cursors (unknown ones start over), as in Redis.
  EXPECT_EQ(h.Run({"SCAN", "18446744073709551615"}), "[0,[]]");
  EXPECT_EQ(h.Run({"SCAN", "-1"}), "[0,[]]");
}

TEST_P(KeyCommandsTest, ScanFiltersByMatchAndType) {
  KeysHarness h(GetParam());
  h.SetString("s1", "x");
  h.SetString("s2", "x");
  EXPECT_EQ(h.Run({"HSET", "h1", "f", "v"}), "1");
  EXPECT_EQ(h.Run({"SCAN", "0", "COUNT", "100"}), "[0,[h1,s1,s2]]");
  EXPECT_EQ(h.Run({"SCAN", "0", "COUNT", "100", "TYPE", "hash"}), "[0,[h1]]");
  EXPECT_EQ(h.Run({"SCAN", "0", "COUNT", "100", "TYPE", "STRING"}), "[0,[s1,s2]]");
  EXPECT_EQ(h.Run({"SCAN", "0", "COUNT", "100", "TYPE", "nosuchtype"}), "[0,[]]");
  EXPECT_EQ(h.Run({"SCAN", "0", "MATCH", "s*", "TYPE", "string", "COUNT", "100"}), "[0,[s1,s2]]");
  EXPECT_EQ(h.Run({"SCAN", "0", "MATCH", "*"}), "[0,[h1,s1,s2]]");
}

TEST_P(KeyCommandsTest, ReadLookupsCountKeyspaceHitsAndMisses) {
  KeysHarness h(GetParam());
  auto& stats = h.server().stats();
  EXPECT_EQ(h.Run({"HSET", "h", "f", "v"}), "1");  // a write: not counted
  EXPECT_EQ(stats.keyspace_hits.load(), 0u);
  EXPECT_EQ(stats.keyspace_misses.load(), 0u);
  EXPECT_EQ(h.Run({"HGET", "h", "f"}), "v");
  EXPECT_EQ(h.Run({"HGET", "nokey", "f"}), "(nil)");
  EXPECT_EQ(h.Run({"EXISTS", "h", "nokey", "h"}), "2");
  EXPECT_EQ(h.Run({"TTL", "nokey"}), "-2");
  EXPECT_EQ(stats.keyspace_hits.load(), 3u);
  EXPECT_EQ(stats.keyspace_misses.load(), 3u);
}

INSTANTIATE_TEST_SUITE_P(Backings, KeyCommandsTest,
                         ::testing::Values(Backing::kMap, Backing::kEngine), testing::BackingName);

}  // namespace
}  // namespace larder::server
