#include <gtest/gtest.h>

#include <string>

#include "server/command_test_util.h"

namespace larder::server {
namespace {

using testing::Backing;
using testing::KeysHarness;
using testing::kWrongTypeReply;

class HashCommandsTest : public ::testing::TestWithParam<Backing> {};

TEST_P(HashCommandsTest, SetGetAndArity) {
  KeysHarness h(GetParam());
  EXPECT_EQ(h.Run({"HSET", "h", "a", "1", "b", "2"}), "2");
  EXPECT_EQ(h.Run({"HSET", "h", "a", "10", "c", "3"}), "1");  // only c is new
  EXPECT_EQ(h.Run({"HGET", "h", "a"}), "10");
  EXPECT_EQ(h.Run({"HGET", "h", "zz"}), "(nil)");
  EXPECT_EQ(h.Run({"HGET", "nokey", "a"}), "(nil)");
  EXPECT_EQ(h.Run({"HMSET", "h", "d", "4"}), "OK");
  EXPECT_EQ(h.Run({"HLEN", "h"}), "4");
  EXPECT_EQ(h.Run({"HLEN", "nokey"}), "0");
  EXPECT_EQ(h.Run({"HSET", "h", "a"}), "-ERR wrong number of arguments for 'hset' command");
  EXPECT_EQ(h.Run({"HSET", "h", "a", "1", "b"}),
            "-ERR wrong number of arguments for 'hset' command");
  EXPECT_EQ(h.Run({"HMSET", "h", "a", "1", "b"}),
            "-ERR wrong number of arguments for 'hmset' command");
  EXPECT_EQ(h.Run({"hget", "h"}), "-ERR wrong number of arguments for 'hget' command");
}

TEST_P(HashCommandsTest, EveryCommandRefusesAString) {
  KeysHarness h(GetParam());
  h.SetString("s", "x");
  const std::vector<std::vector<std::string>> commands = {
      {"HSET", "s", "f", "v"},
      {"HMSET", "s", "f", "v"},
      {"HSETNX", "s", "f", "v"},
      {"HGET", "s", "f"},
      {"HMGET", "s", "f"},
      {"HDEL", "s", "f"},
      {"HLEN", "s"},
      {"HSTRLEN", "s", "f"},
      {"HEXISTS", "s", "f"},
      {"HKEYS", "s"},
      {"HVALS", "s"},
      {"HGETALL", "s"},
      {"HINCRBY", "s", "f", "1"},
      {"HINCRBYFLOAT", "s", "f", "1"},
      {"HRANDFIELD", "s"},
      {"HRANDFIELD", "s", "2"},
      {"HSCAN", "s", "0"},
      {"HSCAN", "s", "0", "COUNT", "0"},
  };
  for (const auto& cmd : commands) EXPECT_EQ(h.Run(cmd), kWrongTypeReply) << cmd[0];
}

TEST_P(HashCommandsTest, SetNxMGetDelStrlenExists) {
  KeysHarness h(GetParam());
  EXPECT_EQ(h.Run({"HSETNX", "h", "a", "1"}), "1");
  EXPECT_EQ(h.Run({"HSETNX", "h", "a", "2"}), "0");
  EXPECT_EQ(h.Run({"HGET", "h", "a"}), "1");
  EXPECT_EQ(h.Run({"HSET", "h", "long", "hello"}), "1");
  EXPECT_EQ(h.Run({"HMGET", "h", "a", "zz", "long"}), "[1,(nil),hello]");
  EXPECT_EQ(h.Run({"HMGET", "nokey", "a", "b"}), "[(nil),(nil)]");
  EXPECT_EQ(h.Run({"HSTRLEN", "h", "long"}), "5");
  EXPECT_EQ(h.Run({"HSTRLEN", "h", "zz"}), "0");
  EXPECT_EQ(h.Run({"HSTRLEN", "nokey", "zz"}), "0");
  EXPECT_EQ(h.Run({"HEXISTS", "h", "a"}), "1");
  EXPECT_EQ(h.Run({"HEXISTS", "h", "zz"}), "0");
  EXPECT_EQ(h.Run({"HDEL", "h", "a", "a", "zz"}), "1");
  EXPECT_EQ(h.Run({"HDEL", "nokey", "a"}), "0");
  EXPECT_EQ(h.Run({"HDEL", "h", "long"}), "1");
  EXPECT_EQ(h.Run({"EXISTS", "h"}), "0");  // the last field takes the key with it
}

TEST_P(HashCommandsTest, HIncrBy) {
  KeysHarness h(GetParam());
  EXPECT_EQ(h.Run({"HINCRBY", "h", "n", "5"}), "5");
  EXPECT_EQ(h.Run({"HINCRBY", "h", "n", "-7"}), "-2");
  EXPECT_EQ(h.Run({"HINCRBY", "h", "n", "x"}), "-ERR value is not an integer or out of range");
  EXPECT_EQ(h.Run({"HSET", "h", "f", "1.5", "big", "9223372036854775807", "sp", " 1"}), "3");
  EXPECT_EQ(h.Run({"HINCRBY", "h", "f", "1"}), "-ERR hash value is not an integer");
  EXPECT_EQ(h.Run({"HINCRBY", "h", "sp", "1"}), "-ERR hash value is not an integer");
  EXPECT_EQ(h.Run({"HINCRBY", "h", "big", "1"}), "-ERR increment or decrement would overflow");
  EXPECT_EQ(h.Run({"HINCRBY", "h", "big", "-9223372036854775807"}), "0");
  EXPECT_EQ(h.Run({"HINCRBY", "h", "big", "-9223372036854775808"}), "-9223372036854775808");
  EXPECT_EQ(h.Run({"HINCRBY", "h", "big", "-1"}), "-ERR increment or decrement would overflow");
}

TEST_P(HashCommandsTest, HIncrByFloat) {
  KeysHarness h(GetParam());
  EXPECT_EQ(h.Run({"HINCRBYFLOAT", "h", "f", "10.5"}), "10.5");
  EXPECT_EQ(h.Run({"HINCRBYFLOAT", "h", "f", "0.1"}), "10.6");
  EXPECT_EQ(h.Run({"HINCRBYFLOAT", "h", "f", "-10.6"}), "0");
  EXPECT_EQ(h.Run({"HINCRBYFLOAT", "h", "f", "5.0e3"}), "5000");
  EXPECT_EQ(h.Run({"HGET", "h", "f"}), "5000");
  EXPECT_EQ(h.Run({"HINCRBYFLOAT", "h", "f", "abc"}), "-ERR value is not a valid float");
  EXPECT_EQ(h.Run({"HINCRBYFLOAT", "h", "f", "inf"}), "-ERR value is NaN or Infinity");
  EXPECT_EQ(h.Run({"HSET", "h", "s", "abc", "i", "inf"}), "2");
  EXPECT_EQ(h.Run({"HINCRBYFLOAT", "h", "s", "1"}), "-ERR hash value is not a float");
  EXPECT_EQ(h.Run({"HINCRBYFLOAT", "h", "i", "1"}), "-ERR increment would produce NaN or Infinity");
  EXPECT_EQ(h.Run({"HSET", "h", "big", "9223372036854775807"}), "1");
  EXPECT_EQ(h.Run({"HINCRBYFLOAT", "h", "big", "1"}), "9223372036854775808");
  EXPECT_EQ(h.Run({"HINCRBYFLOAT", "h", "f", "+inf"}), "-ERR value is NaN or Infinity");
  EXPECT_EQ(h.Run({"HSET", "h", "sp", " 11", "nul",
                   std::string("1\0"
                               "2",
                               3)}),
            "2");
  EXPECT_EQ(h.Run({"HINCRBYFLOAT", "h", "sp", "1"}), "-ERR hash value is not a float");
  EXPECT_EQ(h.Run({"HINCRBYFLOAT", "h", "nul", "1"}), "-ERR hash value is not a float");
  EXPECT_EQ(h.Run({"HINCRBY", "h", "nul", "1"}), "-ERR hash value is not an integer");
}

INSTANTIATE_TEST_SUITE_P(Backings, HashCommandsTest,
                         ::testing::Values(Backing::kMap, Backing::kEngine), testing::BackingName);

}  // namespace
}  // namespace larder::server
