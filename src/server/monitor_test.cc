// MONITOR lines: Redis 7.0's format, quoting of every byte, password redaction.
#include "server/monitor.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "server/multi_test_util.h"

namespace larder::server {
namespace {

std::string Line(std::vector<std::string_view> argv, std::int64_t us = 1339518083107412) {
  return FormatMonitorLine(us, 0, "127.0.0.1:60866", argv);
}

TEST(MonitorTest, RedisFormat) {
  EXPECT_EQ(Line({"keys", "*"}), "+1339518083.107412 [0 127.0.0.1:60866] \"keys\" \"*\"\r\n");
  EXPECT_EQ(FormatMonitorLine(5000001, 3, "[::1]:1", std::vector<std::string_view>{"ping"}),
            "+5.000001 [3 [::1]:1] \"ping\"\r\n");
}

TEST(MonitorTest, QuotesEveryByteAsRedisDoes) {
  std::string out;
  AppendQuoted(&out, std::string_view("a\x01\"\n\\\t\r\a\b \x7f\xc3\xbf~", 14));
  EXPECT_EQ(out, "\"a\\x01\\\"\\n\\\\\\t\\r\\a\\b \\x7f\\xc3\\xbf~\"");
  out.clear();
  AppendQuoted(&out, std::string_view("\0", 1));
  EXPECT_EQ(out, "\"\\x00\"");
}

TEST(MonitorTest, RedactsPasswords) {
  EXPECT_EQ(Line({"AUTH", "secret"}, 1000000),
            "+1.000000 [0 127.0.0.1:60866] \"AUTH\" \"(redacted)\"\r\n");
  EXPECT_EQ(Line({"auth", "user", "secret"}, 1000000),
            "+1.000000 [0 127.0.0.1:60866] \"auth\" \"(redacted)\" \"(redacted)\"\r\n");
  EXPECT_EQ(Line({"hello", "3", "AUTH", "u", "p", "SETNAME", "n"}, 1000000),
            "+1.000000 [0 127.0.0.1:60866] \"hello\" \"3\" \"AUTH\" \"(redacted)\" "
            "\"(redacted)\" \"SETNAME\" \"n\"\r\n");
  EXPECT_EQ(Line({"hello", "3", "SETNAME", "auth"}, 1000000),
            "+1.000000 [0 127.0.0.1:60866] \"hello\" \"3\" \"SETNAME\" \"auth\"\r\n");
  EXPECT_EQ(Line({"set", "auth", "x"}, 1000000),
            "+1.000000 [0 127.0.0.1:60866] \"set\" \"auth\" \"x\"\r\n");
}

// Strips the "+<time> " prefix of each line: what follows is deterministic.
std::string WithoutTimes(std::string lines) {
  std::string out;
  std::size_t pos = 0;
  while (pos < lines.size()) {
    const std::size_t end = lines.find("\r\n", pos);
    const std::size_t space = lines.find(' ', pos);
    out += lines.substr(space + 1, end - space - 1) + "\n";
    pos = end + 2;
  }
  return out;
}

TEST(MonitorCommandTest, FeedsExecutedCommandsInRedisOrder) {
  multi_testing::MultiHarness h;
  Client& m = h.NewClient();
  Client& c = h.NewClient();
  EXPECT_EQ(h.Run(m, {"monitor"}), "+OK\r\n");
  EXPECT_TRUE(m.monitor);
  h.Run(c, {"set", "k", "v"});
  h.Run(c, {"get"});                 // rejected (arity): not shown
  h.Run(c, {"nosuch"});              // unknown: not shown
  h.Run(c, {"config", "get", "x"});  // admin: not shown
  h.Run(c, {"multi"});
  h.Run(c, {"get", "k"});  // queued: shown when EXEC runs it
  h.Run(c, {"exec"});
  h.Run(c, {"select", "2"});
  h.Run(c, {"get", "k\n"});
  auto line = [&c](int db, std::string_view args) {
    return "[" + std::to_string(db) + " " + c.addr() + "] " + std::string(args) + "\n";
  };
  EXPECT_EQ(WithoutTimes(m.TakeOutput()),
            line(0, R"("set" "k" "v")") + line(0, R"("multi")") + line(0, R"("get" "k")") +
                line(0, R"("exec")") + line(2, R"("select" "2")") + line(2, R"("get" "k\n")"));
}

TEST(MonitorCommandTest, RefusedInsideExecAndForgottenOnClose) {
  multi_testing::MultiHarness h;
  Client& c = h.NewClient();
  h.Run(c, {"multi"});
  EXPECT_EQ(h.Run(c, {"monitor"}), "+QUEUED\r\n");
  EXPECT_EQ(h.Run(c, {"exec"}), "*1\r\n-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n");
  EXPECT_FALSE(c.monitor);
  Client& m = h.NewClient();
  h.Run(m, {"monitor"});
  h.Close(m);
  EXPECT_FALSE(m.monitor);
  h.Run(c, {"set", "a", "b"});
  EXPECT_EQ(m.TakeOutput(), "");
}

}  // namespace
}  // namespace larder::server
