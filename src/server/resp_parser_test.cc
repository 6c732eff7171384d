#include "server/resp_parser.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace larder::server {
namespace {

using Commands = std::vector<std::vector<std::string>>;

struct FeedResult {
  Commands commands;
  std::string error;     // empty unless a protocol error ended the stream
  std::size_t left = 0;  // unconsumed bytes at the end
};

// Feeds `stream` to a parser in pieces ending at each of `cuts` (then the rest), the way a
// connection does: append what arrived, parse every whole command, drop what was consumed.
FeedResult Feed(std::string_view stream, const std::vector<std::size_t>& cuts,
                const ParserLimits& limits = {}) {
  RespParser parser(limits);
  FeedResult result;
  std::string buffer;
  std::size_t fed = 0;
  std::vector<std::size_t> ends = cuts;
  ends.push_back(stream.size());
  std::vector<std::string_view> argv;
  for (std::size_t end : ends) {
    if (end < fed) continue;
    buffer.append(stream.substr(fed, end - fed));
    fed = end;
    while (true) {
      std::size_t consumed = 0;
      const ParseStatus status = parser.Parse(buffer, &argv, &consumed);
      if (status == ParseStatus::kProtocolError) {
        result.error = parser.error();
        return result;
      }
      if (status == ParseStatus::kIncomplete) {
        buffer.erase(0, consumed);
        break;
      }
      EXPECT_FALSE(argv.empty());
      result.commands.emplace_back(argv.begin(), argv.end());
      buffer.erase(0, consumed);
    }
  }
  result.left = buffer.size();
  return result;
}

FeedResult FeedAll(std::string_view stream, const ParserLimits& limits = {}) {
  return Feed(stream, {}, limits);
}

std::vector<std::size_t> EveryByte(std::size_t n) {
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < n; ++i) cuts.push_back(i);
  return cuts;
}

std::string Multibulk(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const std::string& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

std::string ErrorOf(std::string_view stream, const ParserLimits& limits = {}) {
  return FeedAll(stream, limits).error;
}

TEST(RespParserTest, MultibulkCommand) {
  RespParser parser;
  std::vector<std::string_view> argv;
  std::size_t consumed = 0;
  const std::string input = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n*1\r\n$4\r\nPING\r\n";
  ASSERT_EQ(parser.Parse(input, &argv, &consumed), ParseStatus::kCommand);
  EXPECT_EQ(argv, (std::vector<std::string_view>{"SET", "k", ""}));
  EXPECT_EQ(consumed, input.find("*1"));
  // The views point into the input.
  EXPECT_EQ(argv[0].data(), input.data() + 8);
  ASSERT_EQ(parser.Parse(std::string_view(input).substr(consumed), &argv, &consumed),
            ParseStatus::kCommand);
  EXPECT_EQ(argv, (std::vector<std::string_view>{"PING"}));
}

TEST(RespParserTest, BinaryBulks) {
  const std::string value("a\0b\r\nc*$", 8);
  const FeedResult r = FeedAll(Multibulk({"SET", value, std::string(1, '\0')}));
  ASSERT_EQ(r.commands.size(), 1u);
  EXPECT_EQ(r.commands[0][1], value);
  EXPECT_EQ(r.commands[0][2], std::string(1, '\0'));
}

TEST(RespParserTest, InlineCommands) {
  const FeedResult r = FeedAll("PING\r\nset  k   v\nGET\tk\r\n");
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.commands, (Commands{{"PING"}, {"set", "k", "v"}, {"GET", "k"}}));
  EXPECT_EQ(r.left, 0u);
}

TEST(RespParserTest, InlineQuotes) {
  EXPECT_EQ(FeedAll("set \"a b\" 'c d'\r\n").commands, (Commands{{"set", "a b", "c d"}}));
  EXPECT_EQ(FeedAll("echo \"\\n\\r\\t\\b\\a\\\\\\\"\\q\"\r\n").commands,
            (Commands{{"echo", "\n\r\t\b\a\\\"q"}}));
  EXPECT_EQ(FeedAll("echo \"\\x41\\x7a\\xff\\x4\" x\r\n").commands,
            (Commands{{"echo",
                       "Az\xff"
                       "x4",
                       "x"}}));  // "\x4": an escaped 'x'
  EXPECT_EQ(FeedAll("echo 'it\\'s' 'a\\nb'\r\n").commands, (Commands{{"echo", "it's", "a\\nb"}}));
  // A quote inside a word opens a quoted part of the same argument.
  EXPECT_EQ(FeedAll("echo ab\"c d\"\r\n").commands, (Commands{{"echo", "abc d"}}));
  EXPECT_EQ(FeedAll("echo \"\" ''\r\n").commands, (Commands{{"echo", "", ""}}));
  // A vertical tab separates only at the start of an argument, as in sdssplitargs.
  EXPECT_EQ(FeedAll("echo \va\vb\r\n").commands, (Commands{{"echo", "a\vb"}}));
  // A NUL byte ends the line for sdssplitargs. (Redis 7.0 itself never finds the newline after
  // a NUL, since it searches with strchr, and stalls until the inline limit.)
  EXPECT_EQ(FeedAll(std::string("echo a\0b c\r\nping\r\n", 18)).commands,
            (Commands{{"echo", "a"}, {"ping"}}));
}

TEST(RespParserTest, UnbalancedQuotes) {
  const std::string kError = "ERR Protocol error: unbalanced quotes in request";
  EXPECT_EQ(ErrorOf("echo \"abc\r\n"), kError);
  EXPECT_EQ(ErrorOf("echo 'abc\r\n"), kError);
  EXPECT_EQ(ErrorOf("echo \"a\"b\r\n"), kError);  // a closing quote needs a blank after it
  EXPECT_EQ(ErrorOf("echo 'a'b\r\n"), kError);
  EXPECT_EQ(ErrorOf("echo \"a\\\"\r\n"), kError);
  EXPECT_EQ(ErrorOf("echo \"a\\\r\n"), kError);
}

TEST(RespParserTest, BlankRequestsAreConsumedSilently) {
  RespParser parser;
  std::vector<std::string_view> argv;
  std::size_t consumed = 99;
  EXPECT_EQ(parser.Parse("\r\n  \r\n\n*0\r\n*-1\r\n*-", &argv, &consumed),
            ParseStatus::kIncomplete);
  EXPECT_EQ(consumed, 16u);
  EXPECT_TRUE(argv.empty());
  EXPECT_EQ(FeedAll("\r\n*0\r\nPING\r\n*-1\r\n\r\n*1\r\n$4\r\nPING\r\n").commands,
            (Commands{{"PING"}, {"PING"}}));
  // Any count <= 0 is "no command", as in Redis.
  EXPECT_EQ(FeedAll("*-7\r\nPING\r\n").commands, (Commands{{"PING"}}));
}

TEST(RespParserTest, IncompleteConsumesNothing) {
  RespParser parser;
  std::vector<std::string_view> argv;
  std::size_t consumed = 99;
  EXPECT_EQ(parser.Parse("*2\r\n$3\r\nGET\r\n$1\r\n", &argv, &consumed), ParseStatus::kIncomplete);
  EXPECT_EQ(consumed, 0u);
  EXPECT_EQ(parser.Parse("*2\r\n$3\r\nGET\r\n$1\r\nk\r", &argv, &consumed),
            ParseStatus::kIncomplete);
  EXPECT_EQ(parser.Parse("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", &argv, &consumed),
            ParseStatus::kCommand);
  EXPECT_EQ(argv, (std::vector<std::string_view>{"GET", "k"}));
  EXPECT_EQ(consumed, 20u);
  EXPECT_EQ(parser.Parse("PIN", &argv, &consumed), ParseStatus::kIncomplete);
  EXPECT_EQ(consumed, 0u);
}

TEST(RespParserTest, BulkLengthLimits) {
  const std::string kInvalid = "ERR Protocol error: invalid bulk length";
  EXPECT_EQ(ErrorOf("*1\r\n$-1\r\n"), kInvalid);
  EXPECT_EQ(ErrorOf("*1\r\n$x\r\n"), kInvalid);
  EXPECT_EQ(ErrorOf("*1\r\n$\r\n"), kInvalid);
  EXPECT_EQ(ErrorOf("*1\r\n$+1\r\n"), kInvalid);
  EXPECT_EQ(ErrorOf("*1\r\n$01\r\n"), kInvalid);
  EXPECT_EQ(ErrorOf("*1\r\n$99999999999999999999999\r\n"), kInvalid);
  EXPECT_EQ(ErrorOf("*1\r\n$536870913\r\n"), kInvalid);  // 512 MiB + 1
  EXPECT_EQ(ErrorOf("*1\r\n$536870912\r\n"), "");        // exactly the limit: waits for it
  ParserLimits small;
  small.max_bulk_len = 10;
  EXPECT_EQ(ErrorOf("*1\r\n$11\r\n", small), kInvalid);
  EXPECT_EQ(FeedAll("*1\r\n$10\r\n0123456789\r\n", small).commands, (Commands{{"0123456789"}}));
}

TEST(RespParserTest, MultibulkLengthLimits) {
  const std::string kInvalid = "ERR Protocol error: invalid multibulk length";
  EXPECT_EQ(ErrorOf("*1048577\r\n"), kInvalid);
  EXPECT_EQ(ErrorOf("*1048576\r\n"), "");
  EXPECT_EQ(ErrorOf("*x\r\n"), kInvalid);
  EXPECT_EQ(ErrorOf("*\r\n"), kInvalid);
  EXPECT_EQ(ErrorOf("* 1\r\n"), kInvalid);
  EXPECT_EQ(ErrorOf("*99999999999999999999\r\n"), kInvalid);
  ParserLimits small;
  small.max_multibulk_len = 2;
  EXPECT_EQ(ErrorOf(Multibulk({"a", "b", "c"}), small), kInvalid);
  EXPECT_EQ(FeedAll(Multibulk({"a", "b"}), small).commands, (Commands{{"a", "b"}}));
}

TEST(RespParserTest, ExpectedDollar) {
  EXPECT_EQ(ErrorOf("*2\r\n$3\r\nGET\r\n:1\r\n"), "ERR Protocol error: expected '$', got ':'");
  EXPECT_EQ(ErrorOf("*1\r\nPING\r\n"), "ERR Protocol error: expected '$', got 'P'");
}

TEST(RespParserTest, LineLengthLimits) {
  ParserLimits small;
  small.max_inline_len = 16;
  // Inline: more than the limit without a newline, or a longer line, whatever the split.
  EXPECT_EQ(ErrorOf(std::string(17, 'a'), small), "ERR Protocol error: too big inline request");
  EXPECT_EQ(ErrorOf(std::string(16, 'a'), small), "");
  EXPECT_EQ(ErrorOf(std::string(17, 'a') + "\r\n", small),
            "ERR Protocol error: too big inline request");
  EXPECT_EQ(FeedAll(std::string(15, 'a') + "\r\n", small).commands.size(), 1u);
  // The "*" and "$" lines.
  EXPECT_EQ(ErrorOf("*" + std::string(16, '1'), small),
            "ERR Protocol error: too big mbulk count string");
  EXPECT_EQ(ErrorOf("*" + std::string(16, '1') + "\r\n", small),
            "ERR Protocol error: too big mbulk count string");
  EXPECT_EQ(ErrorOf("*1\r\n$" + std::string(16, '1'), small),
            "ERR Protocol error: too big bulk count string");
  EXPECT_EQ(ErrorOf("*1\r\n$" + std::string(17, '1') + "\r\n", small),
            "ERR Protocol error: too big bulk count string");
  // The defaults: 64 KiB.
  EXPECT_EQ(ErrorOf(std::string(64 * 1024 + 1, 'a')), "ERR Protocol error: too big inline request");
  EXPECT_EQ(ErrorOf(std::string(64 * 1024, 'a')), "");
}

TEST(RespParserTest, UnauthenticatedLimits) {
  ParserLimits limits;
  limits.unauthenticated = true;
  EXPECT_EQ(ErrorOf("*11\r\n", limits), "ERR Protocol error: unauthenticated multibulk length");
  EXPECT_EQ(ErrorOf("*1\r\n$16385\r\n", limits), "ERR Protocol error: unauthenticated bulk length");
  EXPECT_EQ(FeedAll(Multibulk({"AUTH", "pw"}), limits).commands, (Commands{{"AUTH", "pw"}}));
}

TEST(RespParserTest, ErrorIsSticky) {
  RespParser parser;
  std::vector<std::string_view> argv;
  std::size_t consumed = 0;
  EXPECT_EQ(parser.Parse("*x\r\n", &argv, &consumed), ParseStatus::kProtocolError);
  EXPECT_EQ(parser.Parse("PING\r\n", &argv, &consumed), ParseStatus::kProtocolError);
  EXPECT_EQ(parser.error(), "ERR Protocol error: invalid multibulk length");
}

TEST(RespParserTest, BytesAfterBulkAreSkippedUnchecked) {
  // Redis skips the two bytes after a bulk without looking at them.
  EXPECT_EQ(FeedAll("*1\r\n$4\r\nPINGxy*1\r\n$4\r\nPING\r\n").commands,
            (Commands{{"PING"}, {"PING"}}));
}

TEST(RespParserTest, BytesWanted) {
  RespParser parser;
  std::vector<std::string_view> argv;
  std::size_t consumed = 0;
  EXPECT_EQ(parser.bytes_wanted(), 0u);
  std::string input = "*2\r\n$3\r\nSET\r\n$1000\r\n";
  ASSERT_EQ(parser.Parse(input, &argv, &consumed), ParseStatus::kIncomplete);
  EXPECT_EQ(parser.bytes_wanted(), 1002u);
  input += std::string(600, 'x');
  ASSERT_EQ(parser.Parse(input, &argv, &consumed), ParseStatus::kIncomplete);
  EXPECT_EQ(parser.bytes_wanted(), 402u);
  input += std::string(400, 'x') + "\r\n";
  ASSERT_EQ(parser.Parse(input, &argv, &consumed), ParseStatus::kCommand);
  EXPECT_EQ(argv[1].size(), 1000u);
  EXPECT_EQ(parser.bytes_wanted(), 0u);
}

// A 100 MB bulk arriving in 16 KiB reads. Each call does constant work past the header (the
// parser neither rescans nor copies), so this finishes at once; a parser that rescanned would
// do ~300 GB of work here and time the test out.
TEST(RespParserTest, LargeBulkInSmallReadsIsLinear) {
  constexpr std::size_t kSize = 100u * 1000 * 1000;
  std::string stream = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + std::to_string(kSize) + "\r\n";
  const std::size_t body = stream.size();
  stream.resize(body + kSize + 2, 'v');
  stream[stream.size() - 2] = '\r';
  stream.back() = '\n';
  RespParser parser;
  std::vector<std::string_view> argv;
  std::size_t consumed = 0;
  std::size_t calls = 0;
  for (std::size_t have = 16384;; have = std::min(stream.size(), have + 16384)) {
    ++calls;
    const ParseStatus status =
        parser.Parse(std::string_view(stream).substr(0, have), &argv, &consumed);
    if (status == ParseStatus::kCommand) break;
    ASSERT_EQ(status, ParseStatus::kIncomplete);
    ASSERT_EQ(consumed, 0u);
    ASSERT_EQ(parser.bytes_wanted(), stream.size() - have);
  }
  EXPECT_EQ(calls, (stream.size() + 16383) / 16384);
  ASSERT_EQ(argv.size(), 3u);
  EXPECT_EQ(argv[2].size(), kSize);
  EXPECT_EQ(argv[2].data(), stream.data() + body);
  EXPECT_EQ(consumed, stream.size());
}

// A stream of assorted requests, including blank ones and inline commands.
std::string MixedStream(std::mt19937& rng, Commands* expected) {
  std::string stream;
  for (int i = 0; i < 40; ++i) {
    std::vector<std::string> args;
    const int nargs = 1 + static_cast<int>(rng() % 4);
    const bool as_inline = rng() % 3 == 0;
    for (int a = 0; a < nargs; ++a) {
      std::string arg;
      const int len = static_cast<int>(rng() % (rng() % 5 == 0 ? 300 : 8));
      for (int b = 0; b < len; ++b) {
        arg.push_back(as_inline ? static_cast<char>('a' + rng() % 26)
                                : static_cast<char>(rng() % 256));
      }
      if (a == 0 && arg.empty()) arg = "x";
      args.push_back(arg);
    }
    switch (rng() % 6) {
      case 0:
        stream += "\r\n";
        break;
      case 1:
        stream += "*0\r\n";
        break;
      default:
        break;
    }
    if (as_inline) {
      for (std::size_t a = 0; a < args.size(); ++a) {
        stream += (a ? " " : "");
        stream += rng() % 2 ? "\"" + args[a] + "\"" : (args[a].empty() ? "''" : args[a]);
      }
      stream += "\r\n";
    } else {
      stream += Multibulk(args);
    }
    expected->push_back(args);
  }
  return stream;
}

TEST(RespParserTest, ByteByByteEqualsOneShot) {
  std::mt19937 rng(7);
  Commands expected;
  const std::string stream = MixedStream(rng, &expected);
  const FeedResult one_shot = FeedAll(stream);
  EXPECT_EQ(one_shot.error, "");
  EXPECT_EQ(one_shot.commands, expected);
  const FeedResult bytewise = Feed(stream, EveryByte(stream.size()));
  EXPECT_EQ(bytewise.error, "");
  EXPECT_EQ(bytewise.commands, expected);
  EXPECT_EQ(bytewise.left, 0u);
}

TEST(RespParserTest, RandomSplitsEqualOneShot) {
  std::mt19937 rng(11);
  for (int round = 0; round < 200; ++round) {
    Commands expected;
    std::string stream = MixedStream(rng, &expected);
    // Half of the rounds end in a protocol error of some kind.
    static const char* const kBad[] = {"*1\r\n$-5\r\n", "*1\r\n:5\r\n", "echo \"x\r\n",
                                       "*2000000\r\n", "*1\r\n$9999999999\r\n"};
    if (round % 2) stream += kBad[rng() % 5];
    const FeedResult one_shot = FeedAll(stream);
    std::vector<std::size_t> cuts;
    const std::size_t npieces = 1 + rng() % 30;
    for (std::size_t i = 0; i < npieces; ++i) cuts.push_back(rng() % (stream.size() + 1));
    std::sort(cuts.begin(), cuts.end());
    const FeedResult split = Feed(stream, cuts);
    ASSERT_EQ(split.commands, one_shot.commands) << "round " << round;
    ASSERT_EQ(split.error, one_shot.error) << "round " << round;
    ASSERT_EQ(split.left, one_shot.left) << "round " << round;
    if (round % 2 == 0) {
      ASSERT_EQ(one_shot.commands, expected);
    } else {
      ASSERT_NE(one_shot.error, "");
    }
  }
}

}  // namespace
}  // namespace larder::server
