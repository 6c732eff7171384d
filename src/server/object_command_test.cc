#include <gtest/gtest.h>

#include <string>

#include "server/command_test_util.h"

namespace larder::server {
namespace {

using testing::Backing;
using testing::KeysHarness;

class ObjectCommandTest : public ::testing::TestWithParam<Backing> {};

TEST_P(ObjectCommandTest, EncodingsFollowRedisRules) {
  KeysHarness h(GetParam());
  h.SetString("int", "123");
  h.SetString("neg", "-9223372036854775808");
  h.SetString("lead0", "0123");
  h.SetString("minus0", "-0");
  h.SetString("big", "9223372036854775808");
  h.SetString("e44", std::string(44, 'x'));
  h.SetString("r45", std::string(45, 'x'));
  EXPECT_EQ(h.Run({"OBJECT", "ENCODING", "int"}), "int");
  EXPECT_EQ(h.Run({"OBJECT", "ENCODING", "neg"}), "int");
  EXPECT_EQ(h.Run({"OBJECT", "ENCODING", "lead0"}), "embstr");
  EXPECT_EQ(h.Run({"OBJECT", "ENCODING", "minus0"}), "embstr");
  EXPECT_EQ(h.Run({"OBJECT", "ENCODING", "big"}), "embstr");
  EXPECT_EQ(h.Run({"OBJECT", "ENCODING", "e44"}), "embstr");
  EXPECT_EQ(h.Run({"object", "encoding", "r45"}), "raw");
  EXPECT_EQ(h.Run({"OBJECT", "ENCODING", "nokey"}), "(nil)");

  EXPECT_EQ(h.Run({"HSET", "h", "f", std::string(64, 'v')}), "1");
  EXPECT_EQ(h.Run({"OBJECT", "ENCODING", "h"}), "listpack");
  EXPECT_EQ(h.Run({"HSET", "h", "g", std::string(65, 'v')}), "1");
  EXPECT_EQ(h.Run({"OBJECT", "ENCODING", "h"}), "hashtable");
  for (int i = 0; i < 128; ++i) {
    EXPECT_EQ(h.Run({"HSET", "many", "f" + std::to_string(i), "v"}), "1");
  }
  EXPECT_EQ(h.Run({"OBJECT", "ENCODING", "many"}), "listpack");
  EXPECT_EQ(h.Run({"HSET", "many", "one-more", "v"}), "1");
  EXPECT_EQ(h.Run({"OBJECT", "ENCODING", "many"}), "hashtable");
}

TEST_P(ObjectCommandTest, RefcountIdletimeFreqHelpAndErrors) {
  KeysHarness h(GetParam());
  h.SetString("shared", "9999");
  h.SetString("unshared", "10000");
  EXPECT_EQ(h.Run({"OBJECT", "REFCOUNT", "shared"}), "2147483647");
  EXPECT_EQ(h.Run({"OBJECT", "REFCOUNT", "unshared"}), "1");
  EXPECT_EQ(h.Run({"OBJECT", "REFCOUNT", "nokey"}), "(nil)");
  EXPECT_EQ(h.Run({"OBJECT", "IDLETIME", "shared"}), "0");
  h.Advance(5500);
  EXPECT_EQ(h.Run({"OBJECT", "IDLETIME", "shared"}), "5");
  EXPECT_EQ(h.Run({"TTL", "shared"}), "-1");  // TTL, TYPE, EXISTS and OBJECT do not touch
  EXPECT_EQ(h.Run({"TYPE", "shared"}), "string");
  EXPECT_EQ(h.Run({"EXISTS", "shared"}), "1");
  EXPECT_EQ(h.Run({"OBJECT", "IDLETIME", "shared"}), "5");
  EXPECT_EQ(h.Run({"TOUCH", "shared"}), "1");
  EXPECT_EQ(h.Run({"OBJECT", "IDLETIME", "shared"}), "0");
  EXPECT_EQ(h.Run({"OBJECT", "IDLETIME", "nokey"}), "(nil)");
  EXPECT_EQ(h.Run({"OBJECT", "FREQ", "nokey"}), "(nil)");
  EXPECT_EQ(h.Run({"OBJECT", "FREQ", "shared"}).substr(0, 42),
            "-ERR An LFU maxmemory policy is not select");
  EXPECT_EQ(h.Run({"OBJECT", "HELP"}).substr(0, 20), "[OBJECT <subcommand>");
  EXPECT_EQ(h.Run({"OBJECT", "foo"}), "-ERR unknown subcommand 'foo'. Try OBJECT HELP.");
  EXPECT_EQ(h.Run({"OBJECT"}), "-ERR wrong number of arguments for 'object' command");
  EXPECT_EQ(h.Run({"OBJECT", "encoding"}),
            "-ERR wrong number of arguments for 'object|encoding' command");
  EXPECT_EQ(h.Run({"OBJECT", "encoding", "a", "b"}),
            "-ERR wrong number of arguments for 'object|encoding' command");
  EXPECT_EQ(h.Run({"OBJECT", "help", "x"}),
            "-ERR wrong number of arguments for 'object|help' command");
}

TEST_P(ObjectCommandTest, MemoryUsage) {
  KeysHarness h(GetParam());
  h.SetString("k", "v");
  EXPECT_EQ(h.Run({"MEMORY", "USAGE", "nokey"}), "(nil)");
  EXPECT_EQ(h.Run({"MEMORY", "USAGE", "k"}), "34");
  EXPECT_EQ(h.Run({"MEMORY", "USAGE", "k", "SAMPLES", "-1"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"MEMORY", "USAGE", "k", "SAMPLES", "x"}),
            "-ERR value is not an integer or out of range");
  EXPECT_EQ(h.Run({"MEMORY", "USAGE", "k", "SAMPLES"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"MEMORY", "USAGE", "k", "foo"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"MEMORY", "foo"}), "-ERR unknown subcommand 'foo'. Try MEMORY HELP.");
  EXPECT_EQ(h.Run({"HSET", "h", "a", "1", "bb", "22"}), "2");
  // 32 + 1, then 2 members of (16 + 2) and (16 + 4) bytes: all sampled, or the first only
  EXPECT_EQ(h.Run({"MEMORY", "USAGE", "h", "SAMPLES", "0"}), "71");
  EXPECT_EQ(h.Run({"MEMORY", "USAGE", "h", "SAMPLES", "1"}), "69");
}

INSTANTIATE_TEST_SUITE_P(Backings, ObjectCommandTest,
                         ::testing::Values(Backing::kMap, Backing::kEngine), testing::BackingName);

}  // namespace
}  // namespace larder::server
