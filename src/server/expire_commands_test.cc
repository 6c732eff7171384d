#include <gtest/gtest.h>

#include <string>

#include "server/command_test_util.h"

namespace larder::server {
namespace {

using testing::Backing;
using testing::KeysHarness;

class ExpireCommandsTest : public ::testing::TestWithParam<Backing> {};

TEST_P(ExpireCommandsTest, TtlFamilyOnAbsentPersistentAndVolatileKeys) {
  KeysHarness h(GetParam());
  h.SetString("p", "x");
  h.SetString("v", "x", h.now_ms() + 1499);
  for (const char* cmd : {"TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"}) {
    EXPECT_EQ(h.Run({cmd, "nokey"}), "-2") << cmd;
    EXPECT_EQ(h.Run({cmd, "p"}), "-1") << cmd;
  }
  EXPECT_EQ(h.Run({"TTL", "v"}), "1");  // 1.499 s rounds to 1
  EXPECT_EQ(h.Run({"PTTL", "v"}), "1499");
  EXPECT_EQ(h.Run({"PEXPIRETIME", "v"}), std::to_string(h.now_ms() + 1499));
  EXPECT_EQ(h.Run({"EXPIRETIME", "v"}), std::to_string((h.now_ms() + 1499 + 500) / 1000));
  h.Advance(1499);
  EXPECT_EQ(h.Run({"TTL", "v"}), "-2");
  EXPECT_EQ(h.Run({"TTL"}), "-ERR wrong number of arguments for 'ttl' command");
}

TEST_P(ExpireCommandsTest, ExpireSetsAndPastTimesDelete) {
  KeysHarness h(GetParam());
  h.SetString("k", "x");
  EXPECT_EQ(h.Run({"EXPIRE", "nokey", "10"}), "0");
  EXPECT_EQ(h.Run({"EXPIRE", "k", "10"}), "1");
  EXPECT_EQ(h.Run({"PTTL", "k"}), "10000");
  EXPECT_EQ(h.Run({"PEXPIRE", "k", "2500"}), "1");
  EXPECT_EQ(h.Run({"PTTL", "k"}), "2500");
  const std::int64_t at = h.now_ms() / 1000 + 100;
  EXPECT_EQ(h.Run({"EXPIREAT", "k", std::to_string(at)}), "1");
  EXPECT_EQ(h.Run({"PEXPIRETIME", "k"}), std::to_string(at * 1000));
  EXPECT_EQ(h.Run({"PEXPIREAT", "k", std::to_string(h.now_ms() + 7)}), "1");
  EXPECT_EQ(h.Run({"PTTL", "k"}), "7");
  EXPECT_EQ(h.Run({"PERSIST", "k"}), "1");
  EXPECT_EQ(h.Run({"PERSIST", "k"}), "0");
  EXPECT_EQ(h.Run({"PERSIST", "nokey"}), "0");
  EXPECT_EQ(h.Run({"TTL", "k"}), "-1");
  EXPECT_EQ(h.Run({"EXPIRE", "k", "0"}), "1");  // at or before now: deleted
  EXPECT_EQ(h.Run({"EXISTS", "k"}), "0");
  h.SetString("k", "x");
  EXPECT_EQ(h.Run({"EXPIRE", "k", "-5"}), "1");
  EXPECT_EQ(h.Run({"EXISTS", "k"}), "0");
  h.SetString("k", "x");
  EXPECT_EQ(h.Run({"PEXPIREAT", "k", "-9223372036854775808"}), "1");
  EXPECT_EQ(h.Run({"EXISTS", "k"}), "0");
}

TEST_P(ExpireCommandsTest, OverflowAndParseErrors) {
  KeysHarness h(GetParam());
  h.SetString("k", "x");
  EXPECT_EQ(h.Run({"EXPIRE", "k", "abc"}), "-ERR value is not an integer or out of range");
  EXPECT_EQ(h.Run({"EXPIRE", "k", "9223372036854775807"}),
            "-ERR invalid expire time in 'expire' command");
  EXPECT_EQ(h.Run({"EXPIRE", "k", "-9223372036854775808"}),
            "-ERR invalid expire time in 'expire' command");
  EXPECT_EQ(h.Run({"PEXPIRE", "k", "9223372036854775807"}),
            "-ERR invalid expire time in 'pexpire' command");
  EXPECT_EQ(h.Run({"EXPIREAT", "k", "9223372036854775807"}),
            "-ERR invalid expire time in 'expireat' command");
  EXPECT_EQ(h.Run({"EXPIRE", "nokey", "9223372036854775807"}),
            "-ERR invalid expire time in 'expire' command");  // checked before the lookup
  // PEXPIREAT adds nothing, so the largest time is valid.
  EXPECT_EQ(h.Run({"PEXPIREAT", "k", "9223372036854775807"}), "1");
  EXPECT_EQ(h.Run({"PEXPIRETIME", "k"}), "9223372036854775807");
  EXPECT_EQ(h.Run({"EXPIRE", "k"}), "-ERR wrong number of arguments for 'expire' command");
}

TEST_P(ExpireCommandsTest, OptionsAndConflicts) {
  KeysHarness h(GetParam());
  h.SetString("k", "x");
  EXPECT_EQ(h.Run({"EXPIRE", "k", "100", "nx", "xx"}),
            "-ERR NX and XX, GT or LT options at the same time are not compatible");
  EXPECT_EQ(h.Run({"EXPIRE", "k", "100", "NX", "GT"}),
            "-ERR NX and XX, GT or LT options at the same time are not compatible");
  EXPECT_EQ(h.Run({"EXPIRE", "k", "100", "gt", "lt"}),
            "-ERR GT and LT options at the same time are not compatible");
  EXPECT_EQ(h.Run({"EXPIRE", "k", "100", "foo"}), "-ERR Unsupported option foo");
  // Options are read before the time.
  EXPECT_EQ(h.Run({"EXPIRE", "k", "abc", "foo"}), "-ERR Unsupported option foo");
  EXPECT_EQ(h.Run({"EXPIRE", "nokey", "100", "foo"}), "-ERR Unsupported option foo");

  // No expiry: XX and GT refuse (GT counts no expiry as infinite), NX and LT set.
  EXPECT_EQ(h.Run({"EXPIRE", "k", "100", "XX"}), "0");
  EXPECT_EQ(h.Run({"EXPIRE", "k", "100", "GT"}), "0");
  EXPECT_EQ(h.Run({"TTL", "k"}), "-1");
  EXPECT_EQ(h.Run({"EXPIRE", "k", "100", "LT"}), "1");
  EXPECT_EQ(h.Run({"PERSIST", "k"}), "1");
  EXPECT_EQ(h.Run({"EXPIRE", "k", "100", "NX"}), "1");
  // With an expiry of 100 s.
  EXPECT_EQ(h.Run({"EXPIRE", "k", "50", "NX"}), "0");
  EXPECT_EQ(h.Run({"EXPIRE", "k", "50", "GT"}), "0");
  EXPECT_EQ(h.Run({"EXPIRE", "k", "100", "GT"}), "0");
  EXPECT_EQ(h.Run({"EXPIRE", "k", "200", "GT"}), "1");
  EXPECT_EQ(h.Run({"EXPIRE", "k", "300", "LT"}), "0");
  EXPECT_EQ(h.Run({"EXPIRE", "k", "200", "LT"}), "0");
  EXPECT_EQ(h.Run({"EXPIRE", "k", "150", "xx", "lt"}), "1");
  EXPECT_EQ(h.Run({"TTL", "k"}), "150");
  // The flags are checked before a past time deletes.
  EXPECT_EQ(h.Run({"EXPIRE", "k", "-1", "GT"}), "0");
  EXPECT_EQ(h.Run({"EXPIRE", "k", "-1", "LT"}), "1");
  EXPECT_EQ(h.Run({"EXISTS", "k"}), "0");
}

INSTANTIATE_TEST_SUITE_P(Backings, ExpireCommandsTest,
                         ::testing::Values(Backing::kMap, Backing::kEngine), testing::BackingName);

}  // namespace
}  // namespace larder::server
