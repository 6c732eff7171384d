// MONITOR lines: Redis 7.0's format, quoting of every byte, password redaction.
#include "server/monitor.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

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

}  // namespace
}  // namespace larder::server
