#include "server/reply_builder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace larder::server {
namespace {

// The bytes `write` appends for protocol 2 and for protocol 3.
template <typename F>
std::pair<std::string, std::string> Both(F write) {
  std::string two;
  std::string three;
  ReplyBuilder r2(&two, 2);
  ReplyBuilder r3(&three, 3);
  write(r2);
  write(r3);
  return {two, three};
}

using Pair = std::pair<std::string, std::string>;

TEST(ReplyBuilderTest, Scalars) {
  EXPECT_EQ(Both([](ReplyBuilder& r) { r.Ok(); }), Pair("+OK\r\n", "+OK\r\n"));
  EXPECT_EQ(Both([](ReplyBuilder& r) { r.SimpleString("a\r\nb"); }),
            Pair("+a  b\r\n", "+a  b\r\n"));
  EXPECT_EQ(Both([](ReplyBuilder& r) { r.Error("ERR bad\nthing"); }),
            Pair("-ERR bad thing\r\n", "-ERR bad thing\r\n"));
  EXPECT_EQ(Both([](ReplyBuilder& r) { r.Error("-WRONGTYPE x"); }),
            Pair("-WRONGTYPE x\r\n", "-WRONGTYPE x\r\n"));
  EXPECT_EQ(Both([](ReplyBuilder& r) { r.Integer(std::numeric_limits<std::int64_t>::min()); }),
            Pair(":-9223372036854775808\r\n", ":-9223372036854775808\r\n"));
  EXPECT_EQ(Both([](ReplyBuilder& r) { r.Bulk(std::string("a\0\r\n", 4)); }),
            Pair(std::string("$4\r\na\0\r\n\r\n", 10), std::string("$4\r\na\0\r\n\r\n", 10)));
  EXPECT_EQ(Both([](ReplyBuilder& r) { r.Bulk(""); }), Pair("$0\r\n\r\n", "$0\r\n\r\n"));
  EXPECT_EQ(Both([](ReplyBuilder& r) { r.Null(); }), Pair("$-1\r\n", "_\r\n"));
  EXPECT_EQ(Both([](ReplyBuilder& r) { r.NullArray(); }), Pair("*-1\r\n", "_\r\n"));
  EXPECT_EQ(Both([](ReplyBuilder& r) { r.Boolean(true); }), Pair(":1\r\n", "#t\r\n"));
  EXPECT_EQ(Both([](ReplyBuilder& r) { r.Boolean(false); }), Pair(":0\r\n", "#f\r\n"));
  EXPECT_EQ(Both([](ReplyBuilder& r) { r.Verbatim("a:1"); }),
            Pair("$3\r\na:1\r\n", "=7\r\ntxt:a:1\r\n"));
}

TEST(ReplyBuilderTest, Doubles) {
  EXPECT_EQ(Both([](ReplyBuilder& r) { r.Double(1.5); }), Pair("$3\r\n1.5\r\n", ",1.5\r\n"));
  EXPECT_EQ(Both([](ReplyBuilder& r) { r.Double(0.1); }),
            Pair("$19\r\n0.10000000000000001\r\n", ",0.10000000000000001\r\n"));
  EXPECT_EQ(Both([](ReplyBuilder& r) { r.Double(3); }), Pair("$1\r\n3\r\n", ",3\r\n"));
  EXPECT_EQ(Both([](ReplyBuilder& r) { r.Double(1e300); }),
            Pair("$23\r\n1.0000000000000001e+300\r\n", ",1.0000000000000001e+300\r\n"));
  EXPECT_EQ(Both([](ReplyBuilder& r) { r.Double(INFINITY); }), Pair("$3\r\ninf\r\n", ",inf\r\n"));
  EXPECT_EQ(Both([](ReplyBuilder& r) { r.Double(-INFINITY); }),
            Pair("$4\r\n-inf\r\n", ",-inf\r\n"));
}

TEST(ReplyBuilderTest, Aggregates) {
  EXPECT_EQ(Both([](ReplyBuilder& r) { r.ArrayHeader(2); }), Pair("*2\r\n", "*2\r\n"));
  EXPECT_EQ(Both([](ReplyBuilder& r) { r.MapHeader(2); }), Pair("*4\r\n", "%2\r\n"));
  EXPECT_EQ(Both([](ReplyBuilder& r) { r.SetHeader(3); }), Pair("*3\r\n", "~3\r\n"));
  EXPECT_EQ(Both([](ReplyBuilder& r) { r.PushHeader(3); }), Pair("*3\r\n", ">3\r\n"));
  const std::vector<std::string> items = {"a", "bc"};
  EXPECT_EQ(Both([&](ReplyBuilder& r) { r.BulkArray(items); }),
            Pair("*2\r\n$1\r\na\r\n$2\r\nbc\r\n", "*2\r\n$1\r\na\r\n$2\r\nbc\r\n"));
  const std::vector<std::string_view> views = {};
  EXPECT_EQ(Both([&](ReplyBuilder& r) { r.BulkArray(views); }), Pair("*0\r\n", "*0\r\n"));
}

TEST(ReplyBuilderTest, DeferredLengths) {
  EXPECT_EQ(Both([](ReplyBuilder& r) {
              r.Integer(7);
              const std::size_t at = r.BeginDeferredArray();
              r.Bulk("x");
              r.Integer(1);
              r.EndDeferredArray(at, 2);
              r.Ok();
            }),
            Pair(":7\r\n*2\r\n$1\r\nx\r\n:1\r\n+OK\r\n", ":7\r\n*2\r\n$1\r\nx\r\n:1\r\n+OK\r\n"));
  EXPECT_EQ(Both([](ReplyBuilder& r) {
              const std::size_t at = r.BeginDeferredMap();
              r.Bulk("k");
              r.Integer(1);
              r.EndDeferredMap(at, 1);
            }),
            Pair("*2\r\n$1\r\nk\r\n:1\r\n", "%1\r\n$1\r\nk\r\n:1\r\n"));
  EXPECT_EQ(Both([](ReplyBuilder& r) {
              const std::size_t outer = r.BeginDeferredArray();
              const std::size_t inner = r.BeginDeferredArray();
              r.EndDeferredSet(inner, 0);
              r.EndDeferredArray(outer, 1);
            }),
            Pair("*1\r\n*0\r\n", "*1\r\n~0\r\n"));
}

TEST(ReplyBuilderTest, RollbackDiscardsPartialReply) {
  std::string out;
  ReplyBuilder r(&out, 2);
  r.Ok();
  const std::size_t mark = r.Mark();
  r.ArrayHeader(3);
  r.Bulk("a");
  r.Rollback(mark);
  r.Error("ERR engine failed");
  EXPECT_EQ(out, "+OK\r\n-ERR engine failed\r\n");
}

}  // namespace
}  // namespace larder::server
