#include "server/args.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace larder::server {
namespace {

TEST(ArgsTest, ParseInt64FollowsString2ll) {
  EXPECT_EQ(ParseInt64("0"), 0);
  EXPECT_EQ(ParseInt64("-1"), -1);
  EXPECT_EQ(ParseInt64("123"), 123);
  EXPECT_EQ(ParseInt64("9223372036854775807"), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(ParseInt64("-9223372036854775808"), std::numeric_limits<std::int64_t>::min());
  // Either side of the short path's limit (18 digits), and a digit run broken at its end.
  EXPECT_EQ(ParseInt64("999999999999999999"), 999'999'999'999'999'999);
  EXPECT_EQ(ParseInt64("1000000000000000000"), 1'000'000'000'000'000'000);
  EXPECT_EQ(ParseInt64("12a"), std::nullopt);
  for (const char* bad : {"",
                          "-",
                          "+1",
                          " 1",
                          "1 ",
                          "01",
                          "-0",
                          "00",
                          "1.0",
                          "1e3",
                          "0x10",
                          "9223372036854775808",
                          "-9223372036854775809",
                          "99999999999999999999",
                          "123456789012345678901",
                          "9999999999999999999",
                          "-9999999999999999999",
                          "18446744073709551616",
                          "18446744073709551615",
                          "-18446744073709551616"}) {
    EXPECT_EQ(ParseInt64(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(ParseInt64(std::string_view("1\0", 2)), std::nullopt);
  EXPECT_EQ(ParseInt64InRange("5", 0, 5), 5);
  EXPECT_EQ(ParseInt64InRange("6", 0, 5), std::nullopt);
  EXPECT_EQ(ParseInt64InRange("-1", 0, 5), std::nullopt);
}

TEST(ArgsTest, ParseFloatsFollowStrtold) {
  EXPECT_EQ(ParseLongDouble("1.5"), 1.5L);
  EXPECT_EQ(ParseLongDouble("-3"), -3.0L);
  EXPECT_EQ(ParseLongDouble("+3"), 3.0L);
  EXPECT_EQ(ParseLongDouble(".5"), 0.5L);
  EXPECT_EQ(ParseLongDouble("1e3"), 1000.0L);
  EXPECT_EQ(ParseLongDouble("0x10"), 16.0L);
  EXPECT_EQ(ParseLongDouble("0"), 0.0L);
  EXPECT_TRUE(std::isinf(*ParseLongDouble("inf")));
  EXPECT_TRUE(std::isinf(*ParseLongDouble("-inf")));
  EXPECT_TRUE(std::isinf(*ParseLongDouble("+Infinity")));
  for (const char* bad :
       {"", " 1", "1 ", "abc", "1.5x", "nan", "-nan", "1e99999", "1e-99999", "--1", "."}) {
    EXPECT_EQ(ParseLongDouble(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(ParseLongDouble(std::string_view("1\0", 2)), std::nullopt);
  EXPECT_EQ(ParseLongDouble(std::string(6000, '1')), std::nullopt);  // over Redis's buffer
  EXPECT_EQ(ParseDouble("2.5"), 2.5);
  EXPECT_EQ(ParseDouble("1e308"), 1e308);
  EXPECT_EQ(ParseDouble("1e309"), std::nullopt);  // out of double's range
  EXPECT_EQ(ParseDouble("nan"), std::nullopt);
  EXPECT_EQ(ParseDouble("\t1"), std::nullopt);
  EXPECT_TRUE(std::isinf(*ParseDouble("-inf")));
}

TEST(ArgsTest, CaseHelpers) {
  EXPECT_TRUE(EqualsIgnoreCase("withSCORES", "WITHscores"));
  EXPECT_FALSE(EqualsIgnoreCase("nx", "nxx"));
  EXPECT_FALSE(EqualsIgnoreCase("a", "b"));
  EXPECT_EQ(ToLower("GeT\xc3\x89"), "get\xc3\x89");
}

TEST(ArgsTest, GlobMatch) {
  struct Case {
    const char* pattern;
    const char* s;
    bool match;
  };
  const Case cases[] = {
      {"*", "abc", true},
      {"a*", "abc", true},
      {"*c", "abc", true},
      {"*b*", "abc", true},
      {"a*d", "abc", false},
      {"a?c", "abc", true},
      {"a?c", "ac", false},
      {"???", "abc", true},
      {"??", "abc", false},
      {"h[ae]llo", "hello", true},
      {"h[ae]llo", "hillo", false},
      {"h[^e]llo", "hallo", true},
      {"h[^e]llo", "hello", false},
      {"h[a-b]llo", "hbllo", true},
      {"h[a-b]llo", "hcllo", false},
      {"h[b-a]llo", "hallo", true},  // a range in either order
      {"h\\*llo", "h*llo", true},
      {"h\\*llo", "hello", false},
      {"[\\]]", "]", true},
      {"[abc", "b", true},  // a class without ']' runs to the end of the pattern
      {"[abc", "bx", false},
      {"a\\", "a\\", true},
      {"**a**", "xa", true},
      {"*a*b*c*", "aXbYc", true},
      {"*a*b*c*", "aXcYb", false},
      {"abc", "ABC", false},
      {"", "", true},
      {"a", "", false},
      {"*", "", false},
      {"", "a", false},
      {"[a-]", "-", false},
      {"x*", "x", true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(GlobMatch(c.pattern, c.s), c.match) << c.pattern << " vs " << c.s;
  }
  EXPECT_TRUE(GlobMatch("ABC", "abc", true));
  EXPECT_TRUE(GlobMatch("[A-C]x", "bX", true));
  EXPECT_FALSE(GlobMatch("[A-C]x", "bX", false));
  EXPECT_FALSE(GlobMatch("[\\A]", "a", true));  // an escape in a class compares exactly
  EXPECT_TRUE(GlobMatch("a*", std::string_view("a\0b", 3)));
  // Many stars stay polynomial.
  EXPECT_FALSE(GlobMatch("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", std::string(200, 'a')));
}

// Redis 7.0 replies with doubles as printf's %.17g; FormatDouble must give the same bytes.
TEST(ArgsTest, FormatDoubleIsPrintfsPercent17g) {
  auto printf_17g = [](double v) {
    char buf[64];
    const int len = std::snprintf(buf, sizeof(buf), "%.17g", v);
    return std::string(buf, static_cast<std::size_t>(len));
  };
  EXPECT_EQ(FormatDouble(1.5), "1.5");
  EXPECT_EQ(FormatDouble(0.1), "0.10000000000000001");
  EXPECT_EQ(FormatDouble(-0.0), "-0");
  EXPECT_EQ(FormatDouble(1e20), "1e+20");
  EXPECT_EQ(FormatDouble(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(FormatDouble(-std::numeric_limits<double>::infinity()), "-inf");
  std::vector<double> values = {0.0,
                                1.0,
                                -1.0,
                                123456789012345678.0,
                                1e16,
                                1e17,
                                9.999999999999999e16,
                                1e-5,
                                1e-4,
                                0.0001234,
                                std::numeric_limits<double>::max(),
                                std::numeric_limits<double>::min(),
                                std::numeric_limits<double>::denorm_min(),
                                std::numeric_limits<double>::epsilon()};
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> unit(-1e6, 1e6);
  for (int i = 0; i < 20000; ++i) {
    // Random bit patterns (every exponent, subnormals) and everyday magnitudes.
    double v = std::bit_cast<double>(rng());
    if (!std::isfinite(v)) continue;
    values.push_back(v);
    values.push_back(unit(rng));
    values.push_back(static_cast<double>(static_cast<std::int64_t>(rng() % 2000001) - 1000000));
  }
  for (double v : values) EXPECT_EQ(FormatDouble(v), printf_17g(v)) << std::hexfloat << v;
}

TEST(ArgsTest, FormatLongDouble) {
  EXPECT_EQ(FormatLongDouble(3.0L), "3");
  EXPECT_EQ(FormatLongDouble(10.5L), "10.5");
  EXPECT_EQ(FormatLongDouble(-0.0L), "0");
  EXPECT_EQ(FormatLongDouble(5.0e3L), "5000");
  EXPECT_EQ(FormatLongDouble(*ParseLongDouble("10.1") + *ParseLongDouble("0.1")), "10.2");
  EXPECT_EQ(FormatLongDouble(0.1L), "0.1");
  EXPECT_EQ(FormatLongDouble(1.0L / 3), "0.33333333333333333");
  EXPECT_EQ(FormatLongDouble(-1.0e-20L), "0");  // "-0.00000000000000000" stripped
  EXPECT_EQ(FormatLongDouble(INFINITY), "inf");
  EXPECT_EQ(FormatLongDouble(-INFINITY), "-inf");
}

TEST(ArgsTest, ErrorStrings) {
  EXPECT_EQ(WrongArityError("GET"), "ERR wrong number of arguments for 'get' command");
  EXPECT_EQ(WrongArityError("config|get"),
            "ERR wrong number of arguments for 'config|get' command");
  const std::string_view args[] = {"a", "b"};
  EXPECT_EQ(UnknownCommandError("foo", args, 2),
            "ERR unknown command 'foo', with args beginning with: 'a' 'b' ");
  EXPECT_EQ(UnknownCommandError("foo", nullptr, 0),
            "ERR unknown command 'foo', with args beginning with: ");
  const std::string long_arg(200, 'x');
  const std::string_view long_args[] = {long_arg, "y"};
  EXPECT_EQ(UnknownCommandError(std::string(200, 'c'), long_args, 2),
            "ERR unknown command '" + std::string(128, 'c') + "', with args beginning with: '" +
                std::string(128, 'x') + "' ");
  const std::string arg100(100, 'x');
  const std::string_view two[] = {arg100, long_arg, "z"};
  EXPECT_EQ(UnknownCommandError("f", two, 3),
            "ERR unknown command 'f', with args beginning with: '" + arg100 + "' '" +
                std::string(25, 'x') + "' ");
  // Redis prints them with "%.*s": each stops at its first NUL byte.
  const std::string_view nul_args[] = {std::string_view("a\0b", 3), "c"};
  EXPECT_EQ(UnknownCommandError(std::string_view("f\0g", 3), nul_args, 2),
            "ERR unknown command 'f', with args beginning with: 'a' 'c' ");
  EXPECT_EQ(UnknownSubcommandError("config", "foo"),
            "ERR unknown subcommand 'foo'. Try CONFIG HELP.");
  EXPECT_EQ(InvalidExpireError("set"), "ERR invalid expire time in 'set' command");
}

TEST(ArgsTest, ParseTimeoutSecondsAsRedis) {
  std::string_view error;
  EXPECT_EQ(ParseTimeoutSeconds("0", &error), 0);
  EXPECT_EQ(ParseTimeoutSeconds("1.5", &error), 1500);
  EXPECT_EQ(ParseTimeoutSeconds("0.001", &error), 1);
  EXPECT_EQ(ParseTimeoutSeconds("0.0000001", &error), 1);  // rounded up, as Redis
  EXPECT_EQ(ParseTimeoutSeconds("-0.0001", &error), 0);    // up to 0: waits forever
  EXPECT_EQ(ParseTimeoutSeconds("0x10", &error), 16000);   // strtold's hex
  EXPECT_FALSE(ParseTimeoutSeconds("-1", &error));
  EXPECT_EQ(error, "ERR timeout is negative");
  EXPECT_FALSE(ParseTimeoutSeconds("inf", &error));
  EXPECT_EQ(error, "ERR timeout is negative");
  EXPECT_FALSE(ParseTimeoutSeconds("1e300", &error));
  EXPECT_EQ(error, "ERR timeout is negative");
  EXPECT_FALSE(ParseTimeoutSeconds("abc", &error));
  EXPECT_EQ(error, "ERR timeout is not a float or out of range");
  EXPECT_FALSE(ParseTimeoutSeconds("nan", &error));
  EXPECT_EQ(error, "ERR timeout is not a float or out of range");
}

}  // namespace
}  // namespace larder::server
