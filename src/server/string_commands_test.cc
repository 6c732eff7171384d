// SET GET GETEX GETDEL GETSET SETNX SETEX PSETEX MGET MSET MSETNX APPEND STRLEN GETRANGE SUBSTR
// SETRANGE through their handlers. Expected replies are Redis 7.0.15's (checked against Debian's
// redis-server).
#include <gtest/gtest.h>

#include <string>

#include "server/args.h"
#include "server/command.h"
#include "server/string_test_util.h"

namespace larder::server::testing {
namespace {

using StringCommandsTest = StringsTest;

constexpr std::string_view kInvalidSetExpire = "ERR invalid expire time in 'set' command";

TEST_P(StringCommandsTest, SetAndGet) {
  EXPECT_EQ(Run({"GET", "k"}), kNil);
  EXPECT_EQ(Run({"SET", "k", "v"}), kOk);
  EXPECT_EQ(Run({"get", "k"}), Bulk("v"));
  EXPECT_EQ(Run({"SET", "k", ""}), kOk);
  EXPECT_EQ(Run({"GET", "k"}), Bulk(""));
  std::string binary("a\0\r\nb", 5);
  EXPECT_EQ(Run({"SET", "k", binary}), kOk);
  EXPECT_EQ(Run({"GET", "k"}), Bulk(binary));
  EXPECT_EQ(Run({"GET"}), Err("ERR wrong number of arguments for 'get' command"));
  EXPECT_EQ(Run({"SET", "k"}), Err("ERR wrong number of arguments for 'set' command"));
}

TEST_P(StringCommandsTest, SetNxXxGet) {
  EXPECT_EQ(Run({"SET", "k", "1", "XX"}), kNil);
  EXPECT_EQ(Run({"GET", "k"}), kNil);
  EXPECT_EQ(Run({"SET", "k", "1", "NX"}), kOk);
  EXPECT_EQ(Run({"SET", "k", "2", "nx"}), kNil);
  EXPECT_EQ(Run({"SET", "k", "2", "nx", "nx"}), kNil);  // repeating an option is fine
  EXPECT_EQ(Run({"SET", "k", "3", "XX"}), kOk);
  EXPECT_EQ(Run({"SET", "k", "4", "GET"}), Bulk("3"));
  EXPECT_EQ(Run({"SET", "k", "5", "GET", "get"}), Bulk("4"));
  EXPECT_EQ(Run({"SET", "new", "x", "GET"}), kNil);
  EXPECT_EQ(Run({"GET", "new"}), Bulk("x"));
  // NX with GET: the old value, nothing written.
  EXPECT_EQ(Run({"SET", "k", "6", "NX", "GET"}), Bulk("5"));
  EXPECT_EQ(Run({"GET", "k"}), Bulk("5"));
  EXPECT_EQ(Run({"SET", "absent", "6", "XX", "GET"}), kNil);
  EXPECT_EQ(Run({"GET", "absent"}), kNil);
}

TEST_P(StringCommandsTest, SetConflictingOptionsAreSyntaxErrors) {
  const std::string syntax = Err(errors::kSyntax);
  EXPECT_EQ(Run({"SET", "k", "v", "NX", "XX"}), syntax);
  EXPECT_EQ(Run({"SET", "k", "v", "XX", "NX"}), syntax);
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "10", "PX", "100"}), syntax);
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "10", "KEEPTTL"}), syntax);
  EXPECT_EQ(Run({"SET", "k", "v", "KEEPTTL", "PXAT", "10"}), syntax);
  EXPECT_EQ(Run({"SET", "k", "v", "EXAT", "10", "PXAT", "10"}), syntax);
  EXPECT_EQ(Run({"SET", "k", "v", "EX"}), syntax);       // no argument
  EXPECT_EQ(Run({"SET", "k", "v", "PERSIST"}), syntax);  // GETEX's option only
  EXPECT_EQ(Run({"SET", "k", "v", "FOO"}), syntax);
  EXPECT_EQ(Run({"SET", "k", "v", "EXX", "1"}), syntax);
  EXPECT_EQ(Run({"GET", "k"}), kNil);  // nothing was written
  // The same unit twice is allowed; the last one wins.
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "10", "ex", "20"}), kOk);
}

TEST_P(StringCommandsTest, SetExpireErrors) {
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "0"}), Err(kInvalidSetExpire));
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "-1"}), Err(kInvalidSetExpire));
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "0"}), Err(kInvalidSetExpire));
  EXPECT_EQ(Run({"SET", "k", "v", "EXAT", "0"}), Err(kInvalidSetExpire));
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "abc"}), Err(errors::kNotInteger));
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "1.5"}), Err(errors::kNotInteger));
  // Overflow of seconds -> ms, and of now + relative ms.
  EXPECT_EQ(Run({"SET", "k", "v", "EXAT", "9223372036854775807"}), Err(kInvalidSetExpire));
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "9223372036854775"}), Err(kInvalidSetExpire));
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "9223372036854775807"}), Err(kInvalidSetExpire));
  EXPECT_EQ(Run({"GET", "k"}), kNil);
}

TEST_P(StringCommandsTest, SetExpiryAndKeepTtl) {
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "10"}), kOk);
  Advance(9'999);
  EXPECT_EQ(Run({"GET", "k"}), Bulk("v"));
  Advance(1);
  EXPECT_EQ(Run({"GET", "k"}), kNil);

  EXPECT_EQ(Run({"SET", "k", "v", "PX", "100"}), kOk);
  EXPECT_EQ(Run({"SET", "k", "w", "KEEPTTL"}), kOk);
  Advance(100);
  EXPECT_EQ(Run({"GET", "k"}), kNil);

  EXPECT_EQ(Run({"SET", "k", "v", "PX", "100"}), kOk);
  EXPECT_EQ(Run({"SET", "k", "w"}), kOk);  // a plain SET drops the TTL
  Advance(1'000);
  EXPECT_EQ(Run({"GET", "k"}), Bulk("w"));

  std::string at = std::to_string(now() + 50);
  EXPECT_EQ(Run({"SET", "k", "v", "PXAT", at}), kOk);
  Advance(49);
  EXPECT_EQ(Run({"GET", "k"}), Bulk("v"));
  Advance(1);
  EXPECT_EQ(Run({"GET", "k"}), kNil);

  // An absolute time in the past: OK, and the key is gone.
  EXPECT_EQ(Run({"SET", "k", "v"}), kOk);
  EXPECT_EQ(Run({"SET", "k", "x", "EXAT", "1", "GET"}), Bulk("v"));
  EXPECT_EQ(Run({"GET", "k"}), kNil);
}

TEST_P(StringCommandsTest, WrongType) {
  ASSERT_EQ(Run({"SET", "s", "str"}), kOk);
  MakeHash("h");
  const std::string wrong = Err(errors::kWrongType);
  EXPECT_EQ(Run({"GET", "h"}), wrong);
  EXPECT_EQ(Run({"SET", "h", "v", "GET"}), wrong);
  EXPECT_EQ(Run({"SET", "h", "v", "GET", "EX", "0"}), Err(kInvalidSetExpire));  // expire first
  EXPECT_EQ(Run({"GETEX", "h"}), wrong);
  EXPECT_EQ(Run({"GETEX", "h", "EX", "x"}), wrong);  // the type before the expire argument
  EXPECT_EQ(Run({"GETDEL", "h"}), wrong);
  EXPECT_EQ(Run({"GETSET", "h", "v"}), wrong);
  EXPECT_EQ(Run({"APPEND", "h", "v"}), wrong);
  EXPECT_EQ(Run({"STRLEN", "h"}), wrong);
  EXPECT_EQ(Run({"GETRANGE", "h", "0", "1"}), wrong);
  EXPECT_EQ(Run({"GETRANGE", "h", "x", "1"}), Err(errors::kNotInteger));  // arguments first
  EXPECT_EQ(Run({"SETRANGE", "h", "0", "v"}), wrong);
  EXPECT_EQ(Run({"SETRANGE", "h", "0", ""}), wrong);
  EXPECT_EQ(Run({"MGET", "h", "s"}), Arr({kNil, Bulk("str")}));
  // SETNX and MSETNX see any key; SET replaces any type.
  EXPECT_EQ(Run({"SETNX", "h", "v"}), Int(0));
  EXPECT_EQ(Run({"MSETNX", "x", "1", "h", "v"}), Int(0));
  EXPECT_EQ(Run({"GET", "x"}), kNil);
  EXPECT_EQ(Run({"SET", "h", "v"}), kOk);
  EXPECT_EQ(Run({"GET", "h"}), Bulk("v"));
}

TEST_P(StringCommandsTest, GetEx) {
  EXPECT_EQ(Run({"GETEX", "missing"}), kNil);
  EXPECT_EQ(Run({"GETEX", "missing", "EX", "0"}), kNil);  // the key before the expire argument
  EXPECT_EQ(Run({"GETEX", "missing", "FOO"}), Err(errors::kSyntax));
  ASSERT_EQ(Run({"SET", "k", "v"}), kOk);
  EXPECT_EQ(Run({"GETEX", "k"}), Bulk("v"));
  EXPECT_EQ(Run({"GETEX", "k", "EX", "0"}), Err("ERR invalid expire time in 'getex' command"));
  EXPECT_EQ(Run({"GETEX", "k", "PX", "x"}), Err(errors::kNotInteger));
  EXPECT_EQ(Run({"GETEX", "k", "PERSIST", "EX", "10"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"GETEX", "k", "EX", "10", "PERSIST"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"GETEX", "k", "KEEPTTL"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"GETEX", "k", "NX"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"GETEX", "k", "EX", "10", "EX", "10"}), Bulk("v"));

  EXPECT_EQ(Run({"GETEX", "k", "PX", "100"}), Bulk("v"));
  Advance(50);
  EXPECT_EQ(Run({"GETEX", "k", "PERSIST"}), Bulk("v"));
  Advance(1'000);
  EXPECT_EQ(Run({"GET", "k"}), Bulk("v"));
  EXPECT_EQ(Run({"GETEX", "k", "EXAT", std::to_string(now() / 1000 + 2)}), Bulk("v"));
  Advance(2'000);
  EXPECT_EQ(Run({"GET", "k"}), kNil);
  // An expiry in the past deletes the key after replying its value.
  ASSERT_EQ(Run({"SET", "k", "v"}), kOk);
  EXPECT_EQ(Run({"GETEX", "k", "PXAT", "1"}), Bulk("v"));
  EXPECT_EQ(Run({"GET", "k"}), kNil);
}

TEST_P(StringCommandsTest, GetDelGetSetSetNx) {
  EXPECT_EQ(Run({"GETDEL", "k"}), kNil);
  ASSERT_EQ(Run({"SET", "k", "v"}), kOk);
  EXPECT_EQ(Run({"GETDEL", "k"}), Bulk("v"));
  EXPECT_EQ(Run({"GET", "k"}), kNil);

  EXPECT_EQ(Run({"GETSET", "k", "1"}), kNil);
  ASSERT_EQ(Run({"SET", "k", "1", "PX", "100"}), kOk);
  EXPECT_EQ(Run({"GETSET", "k", "2"}), Bulk("1"));
  Advance(200);
  EXPECT_EQ(Run({"GET", "k"}), Bulk("2"));  // GETSET drops the TTL

  EXPECT_EQ(Run({"SETNX", "n", "1"}), Int(1));
  EXPECT_EQ(Run({"SETNX", "n", "2"}), Int(0));
  EXPECT_EQ(Run({"GET", "n"}), Bulk("1"));
}

TEST_P(StringCommandsTest, SetExPSetEx) {
  EXPECT_EQ(Run({"SETEX", "k", "10", "v"}), kOk);
  Advance(9'999);
  EXPECT_EQ(Run({"GET", "k"}), Bulk("v"));
  Advance(1);
  EXPECT_EQ(Run({"GET", "k"}), kNil);
  EXPECT_EQ(Run({"PSETEX", "k", "5", "v"}), kOk);
  Advance(5);
  EXPECT_EQ(Run({"GET", "k"}), kNil);
  EXPECT_EQ(Run({"SETEX", "k", "0", "v"}), Err("ERR invalid expire time in 'setex' command"));
  EXPECT_EQ(Run({"SETEX", "k", "x", "v"}), Err(errors::kNotInteger));
  EXPECT_EQ(Run({"PSETEX", "k", "-5", "v"}), Err("ERR invalid expire time in 'psetex' command"));
  EXPECT_EQ(Run({"SETEX", "k", "10"}), Err("ERR wrong number of arguments for 'setex' command"));
}

TEST_P(StringCommandsTest, MultiKey) {
  EXPECT_EQ(Run({"MSET", "a", "1", "b", "2"}), kOk);
  EXPECT_EQ(Run({"MGET", "a", "x", "b"}), Arr({Bulk("1"), kNil, Bulk("2")}));
  EXPECT_EQ(Run({"MSET", "a", "1", "b"}), Err("ERR wrong number of arguments for 'mset' command"));
  EXPECT_EQ(Run({"MSET", "a"}), Err("ERR wrong number of arguments for 'mset' command"));
  EXPECT_EQ(Run({"MSETNX", "a", "9", "c", "3"}), Int(0));
  EXPECT_EQ(Run({"GET", "c"}), kNil);
  EXPECT_EQ(Run({"MSETNX", "c", "3", "d", "4"}), Int(1));
  EXPECT_EQ(Run({"MGET", "c", "d"}), Arr({Bulk("3"), Bulk("4")}));
  EXPECT_EQ(Run({"MSETNX", "e", "1", "f"}),
            Err("ERR wrong number of arguments for 'msetnx' command"));
  // The last of repeated keys wins.
  EXPECT_EQ(Run({"MSET", "r", "1", "r", "2"}), kOk);
  EXPECT_EQ(Run({"GET", "r"}), Bulk("2"));
}

TEST_P(StringCommandsTest, AppendAndStrlen) {
  EXPECT_EQ(Run({"STRLEN", "k"}), Int(0));
  EXPECT_EQ(Run({"APPEND", "k", "ab"}), Int(2));
  EXPECT_EQ(Run({"APPEND", "k", "cde"}), Int(5));
  EXPECT_EQ(Run({"APPEND", "k", ""}), Int(5));
  EXPECT_EQ(Run({"GET", "k"}), Bulk("abcde"));
  EXPECT_EQ(Run({"STRLEN", "k"}), Int(5));
  // APPEND keeps the TTL.
  ASSERT_EQ(Run({"SET", "t", "x", "PX", "100"}), kOk);
  EXPECT_EQ(Run({"APPEND", "t", "y"}), Int(2));
  Advance(100);
  EXPECT_EQ(Run({"GET", "t"}), kNil);
}

TEST_P(StringCommandsTest, GetRange) {
  ASSERT_EQ(Run({"SET", "k", "Hello World"}), kOk);
  EXPECT_EQ(Run({"GETRANGE", "k", "0", "4"}), Bulk("Hello"));
  EXPECT_EQ(Run({"GETRANGE", "k", "-5", "-1"}), Bulk("World"));
  EXPECT_EQ(Run({"GETRANGE", "k", "-1", "-5"}), Bulk(""));
  EXPECT_EQ(Run({"GETRANGE", "k", "5", "3"}), Bulk(""));
  EXPECT_EQ(Run({"GETRANGE", "k", "0", "-1"}), Bulk("Hello World"));
  EXPECT_EQ(Run({"GETRANGE", "k", "-100", "100"}), Bulk("Hello World"));
  EXPECT_EQ(Run({"GETRANGE", "k", "10", "100"}), Bulk("d"));
  EXPECT_EQ(Run({"GETRANGE", "k", "11", "100"}), Bulk(""));
  EXPECT_EQ(Run({"GETRANGE", "k", "-9223372036854775808", "0"}), Bulk("H"));
  EXPECT_EQ(Run({"GETRANGE", "k", "0", "-100"}), Bulk("H"));  // end clamps to 0
  EXPECT_EQ(Run({"SUBSTR", "k", "6", "-1"}), Bulk("World"));
  EXPECT_EQ(Run({"GETRANGE", "missing", "0", "1"}), Bulk(""));
  EXPECT_EQ(Run({"GETRANGE", "missing", "a", "1"}), Err(errors::kNotInteger));
  EXPECT_EQ(Run({"GETRANGE", "k", "0", "1.0"}), Err(errors::kNotInteger));
  ASSERT_EQ(Run({"SET", "e", ""}), kOk);
  EXPECT_EQ(Run({"GETRANGE", "e", "0", "-1"}), Bulk(""));
}

TEST_P(StringCommandsTest, SetRange) {
  EXPECT_EQ(Run({"SETRANGE", "k", "0", ""}), Int(0));
  EXPECT_EQ(Run({"GET", "k"}), kNil);  // an empty value creates nothing
  EXPECT_EQ(Run({"SETRANGE", "k", "3", "ab"}), Int(5));
  EXPECT_EQ(Run({"GET", "k"}), Bulk(std::string("\0\0\0ab", 5)));
  EXPECT_EQ(Run({"SETRANGE", "k", "1", "XYZ"}), Int(5));
  EXPECT_EQ(Run({"GET", "k"}), Bulk(std::string("\0XYZb", 5)));
  EXPECT_EQ(Run({"SETRANGE", "k", "100", ""}), Int(5));
  EXPECT_EQ(Run({"SETRANGE", "k", "-1", "x"}), Err("ERR offset is out of range"));
  EXPECT_EQ(Run({"SETRANGE", "k", "x", "x"}), Err(errors::kNotInteger));
  // SETRANGE keeps the TTL.
  ASSERT_EQ(Run({"SET", "t", "abc", "PX", "100"}), kOk);
  EXPECT_EQ(Run({"SETRANGE", "t", "1", "X"}), Int(3));
  EXPECT_EQ(Run({"GET", "t"}), Bulk("aXc"));
  Advance(100);
  EXPECT_EQ(Run({"GET", "t"}), kNil);
}

// proto-max-bulk-len bounds what SETRANGE and APPEND build (512 MB by default; 100 here), checked
// before anything is allocated.
TEST_P(StringCommandsTest, StringLengthLimit) {
  SetMaxBulkLen(100);
  EXPECT_EQ(Run({"SETRANGE", "k", "99", "x"}), Int(100));
  EXPECT_EQ(Run({"SETRANGE", "k", "100", "x"}), Err(errors::kStringTooLong));
  EXPECT_EQ(Run({"SETRANGE", "k", "99", "xy"}), Err(errors::kStringTooLong));
  EXPECT_EQ(Run({"SETRANGE", "n", "9223372036854775807", "xy"}), Err(errors::kStringTooLong));
  EXPECT_EQ(Run({"GET", "n"}), kNil);
  EXPECT_EQ(Run({"APPEND", "k", "y"}), Err(errors::kStringTooLong));
  EXPECT_EQ(Run({"STRLEN", "k"}), Int(100));
  EXPECT_EQ(Run({"APPEND", "k", ""}), Int(100));
}

// INFO's keyspace_hits / keyspace_misses count read commands' lookups only (Redis 7.0.15's counts
// for the same commands).
TEST_P(StringCommandsTest, KeyspaceHitsAndMisses) {
  ASSERT_EQ(Run({"SET", "s", "abc"}), kOk);
  MakeHash("h");
  ServerStats& stats = harness_->server().stats();
  struct Case {
    std::vector<std::string_view> argv;
    std::uint64_t hits, misses;
  };
  const Case cases[] = {
      {{"GET", "s"}, 1, 0},
      {{"GET", "m"}, 0, 1},
      {{"GET", "h"}, 1, 0},
      {{"SET", "s", "x", "GET"}, 1, 0},
      {{"SET", "m2", "x", "GET"}, 0, 1},
      {{"GETSET", "m3", "z"}, 0, 1},
      {{"GETDEL", "m"}, 0, 1},
      {{"GETEX", "s"}, 1, 0},
      {{"MGET", "s", "m", "h"}, 2, 1},
      {{"STRLEN", "m"}, 0, 1},
      {{"GETRANGE", "s", "0", "1"}, 1, 0},
      {{"APPEND", "s", "a"}, 0, 0},
      {{"SETRANGE", "s", "0", "a"}, 0, 0},
      {{"INCR", "n"}, 0, 0},
      {{"SETNX", "s", "x"}, 0, 0},
      {{"LCS", "s", "m"}, 1, 1},
      {{"GETBIT", "s", "1"}, 1, 0},
      {{"SETBIT", "s", "1", "1"}, 0, 0},
      {{"BITCOUNT", "m"}, 0, 1},
      {{"BITOP", "AND", "d", "s", "m"}, 1, 1},
      {{"BITFIELD", "s", "GET", "u8", "0"}, 1, 0},
      {{"BITFIELD", "s", "SET", "u8", "0", "1"}, 0, 0},
      {{"BITFIELD_RO", "m", "GET", "u8", "0"}, 0, 1},
      {{"SET", "x", "1", "NX"}, 0, 0},
  };
  for (const Case& c : cases) {
    std::uint64_t hits = stats.keyspace_hits.load();
    std::uint64_t misses = stats.keyspace_misses.load();
    Run(c.argv);
    EXPECT_EQ(stats.keyspace_hits.load() - hits, c.hits) << c.argv[0] << " " << c.argv[1];
    EXPECT_EQ(stats.keyspace_misses.load() - misses, c.misses) << c.argv[0] << " " << c.argv[1];
  }
}

// Redis 8.4's compare-and-set (docs/locks.md).
TEST_P(StringCommandsTest, SetIfEqAndIfNe) {
  EXPECT_EQ(Run({"SET", "k", "a", "IFEQ", "a"}), kNil);  // absent: not created
  EXPECT_EQ(Run({"GET", "k"}), kNil);
  EXPECT_EQ(Run({"SET", "k", "a", "IFNE", "x"}), kOk);  // absent: created
  EXPECT_EQ(Run({"SET", "k", "b", "IFEQ", "x"}), kNil);
  EXPECT_EQ(Run({"SET", "k", "b", "IFEQ", "a", "GET"}), Bulk("a"));
  EXPECT_EQ(Run({"GET", "k"}), Bulk("b"));
  EXPECT_EQ(Run({"SET", "k", "c", "IFNE", "b"}), kNil);
  EXPECT_EQ(Run({"SET", "k", "c", "IFEQ", "b", "PX", "100000"}), kOk);
  EXPECT_EQ(Run({"GET", "k"}), Bulk("c"));
  const std::string syntax = Err("ERR syntax error");
  EXPECT_EQ(Run({"SET", "k", "d", "IFEQ", "c", "NX"}), syntax);
  EXPECT_EQ(Run({"SET", "k", "d", "XX", "IFEQ", "c"}), syntax);
  EXPECT_EQ(Run({"SET", "k", "d", "IFEQ", "c", "IFNE", "c"}), syntax);
  EXPECT_EQ(Run({"SET", "k", "d", "IFEQ"}), syntax);
  MakeHash("h");
  EXPECT_EQ(Run({"SET", "h", "d", "IFEQ", "v"}), Err(errors::kWrongType));
}

// Redis 8.4's compare-and-delete (docs/locks.md).
TEST_P(StringCommandsTest, DelEx) {
  EXPECT_EQ(Run({"SET", "k", "token"}), kOk);
  EXPECT_EQ(Run({"DELEX", "k", "IFEQ", "other"}), Int(0));
  EXPECT_EQ(Run({"DELEX", "k", "IFNE", "token"}), Int(0));
  EXPECT_EQ(Run({"DELEX", "k", "ifeq", "token"}), Int(1));
  EXPECT_EQ(Run({"DELEX", "k", "IFEQ", "token"}), Int(0));
  EXPECT_EQ(Run({"SET", "k", "x"}), kOk);
  EXPECT_EQ(Run({"DELEX", "k", "IFNE", "token"}), Int(1));
  MakeHash("h");
  EXPECT_EQ(Run({"DELEX", "h", "IFEQ", "v"}), Err(errors::kWrongType));
  EXPECT_EQ(Run({"DELEX", "h"}), Int(1));  // no condition: any type, as DEL
  EXPECT_EQ(Run({"DELEX", "h"}), Int(0));
  EXPECT_EQ(Run({"DELEX", "k", "IFEQ"}), Err("ERR syntax error"));
  EXPECT_EQ(Run({"DELEX", "k", "SOME", "x"}), Err("ERR syntax error"));
}

// The command table entries: what COMMAND INFO reports (Redis 7.0.15's values).
TEST_P(StringCommandsTest, Specs) {
  struct Want {
    std::string_view name;
    int arity;
    std::uint32_t flags;
    int first, last, step;
  };
  constexpr std::uint32_t W = kCmdWrite, R = kCmdReadOnly, F = kCmdFast, M = kCmdDenyOom;
  const Want wants[] = {
      {"set", -3, W | M, 1, 1, 1},         {"get", 2, R | F, 1, 1, 1},
      {"getex", -2, W | F, 1, 1, 1},       {"getdel", 2, W | F, 1, 1, 1},
      {"getset", 3, W | M | F, 1, 1, 1},   {"setnx", 3, W | M | F, 1, 1, 1},
      {"setex", 4, W | M, 1, 1, 1},        {"psetex", 4, W | M, 1, 1, 1},
      {"mget", -2, R | F, 1, -1, 1},       {"mset", -3, W | M, 1, -1, 2},
      {"msetnx", -3, W | M, 1, -1, 2},     {"incr", 2, W | M | F, 1, 1, 1},
      {"decr", 2, W | M | F, 1, 1, 1},     {"incrby", 3, W | M | F, 1, 1, 1},
      {"decrby", 3, W | M | F, 1, 1, 1},   {"incrbyfloat", 3, W | M | F, 1, 1, 1},
      {"append", 3, W | M | F, 1, 1, 1},   {"strlen", 2, R | F, 1, 1, 1},
      {"getrange", 4, R, 1, 1, 1},         {"substr", 4, R, 1, 1, 1},
      {"setrange", 4, W | M, 1, 1, 1},     {"lcs", -3, R, 1, 2, 1},
      {"setbit", 4, W | M, 1, 1, 1},       {"getbit", 3, R | F, 1, 1, 1},
      {"bitcount", -2, R, 1, 1, 1},        {"bitpos", -3, R, 1, 1, 1},
      {"bitop", -4, W | M, 2, -1, 1},      {"bitfield", -2, W | M, 1, 1, 1},
      {"bitfield_ro", -2, R | F, 1, 1, 1}, {"delex", -2, W | F, 1, 1, 1},  // Redis 8.4's
  };
  std::size_t ours = 0;
  for (const CommandSpec& spec : table().all())
    ours += spec.group == "string" || spec.group == "bitmap";
  EXPECT_EQ(ours, std::size(wants));
  for (const Want& w : wants) {
    const CommandSpec* spec = table().Find(w.name);
    ASSERT_NE(spec, nullptr) << w.name;
    EXPECT_EQ(spec->arity, w.arity) << w.name;
    EXPECT_EQ(spec->flags, w.flags) << w.name;
    EXPECT_EQ(spec->first_key, w.first) << w.name;
    EXPECT_EQ(spec->last_key, w.last) << w.name;
    EXPECT_EQ(spec->key_step, w.step) << w.name;
    EXPECT_NE(spec->handler, nullptr) << w.name;
    EXPECT_FALSE(spec->summary.empty()) << w.name;
    EXPECT_FALSE(spec->since.empty()) << w.name;
    bool bitmap = w.name.starts_with("bit") || w.name.ends_with("bit");
    EXPECT_EQ(spec->group, bitmap ? "bitmap" : "string") << w.name;
  }
}

INSTANTIATE_TEST_SUITE_P(Keyspaces, StringCommandsTest, ::testing::ValuesIn(KeyspaceKinds()));

}  // namespace
}  // namespace larder::server::testing
