// The sorted-set commands in-process, over a real Keyspace: replies and errors as Redis 7.0's.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/command_test_util.h"

namespace larder::server {
namespace {

using testing::Backing;
using testing::CommandHarness;
using testing::kWrongTypeReply;

class ZSetCommandsTest : public ::testing::Test {
 protected:
  CommandHarness h{
      Backing::kEngine,
      {RegisterZSetCommands, RegisterKeyCommands, RegisterSetCommands, RegisterStringCommands}};
};

TEST_F(ZSetCommandsTest, AddScoreAndOptions) {
  EXPECT_EQ(h.Run({"ZADD", "z", "1", "a", "2", "b"}), "2");
  EXPECT_EQ(h.Run({"ZADD", "z", "CH", "5", "a", "3", "c"}), "2");
  EXPECT_EQ(h.Run({"ZSCORE", "z", "a"}), "5");
  EXPECT_EQ(h.Run({"ZADD", "z", "NX", "9", "a"}), "0");
  EXPECT_EQ(h.Run({"ZADD", "z", "XX", "9", "new"}), "0");
  EXPECT_EQ(h.Run({"ZADD", "z", "GT", "CH", "1", "a", "6", "b"}), "1");
  EXPECT_EQ(h.Run({"ZSCORE", "z", "a"}), "5");
  EXPECT_EQ(h.Run({"ZSCORE", "z", "b"}), "6");
  EXPECT_EQ(h.Run({"ZADD", "z", "INCR", "1.5", "a"}), "6.5");
  EXPECT_EQ(h.Run({"ZADD", "z", "INCR", "GT", "-1", "a"}), "(nil)");
  EXPECT_EQ(h.Run({"ZINCRBY", "z", "-inf", "a"}), "-inf");
  EXPECT_EQ(h.Run({"ZINCRBY", "z", "+inf", "a"}), "-ERR resulting score is not a number (NaN)");
  EXPECT_EQ(h.Run({"ZADD", "z", "NX", "XX", "1", "a"}),
            "-ERR XX and NX options at the same time are not compatible");
  EXPECT_EQ(h.Run({"ZADD", "z", "GT", "LT", "1", "a"}),
            "-ERR GT, LT, and/or NX options at the same time are not compatible");
  EXPECT_EQ(h.Run({"ZADD", "z", "INCR", "1", "a", "2", "b"}),
            "-ERR INCR option supports a single increment-element pair");
  EXPECT_EQ(h.Run({"ZADD", "z", "1", "a", "2"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"ZADD", "z", "x", "a"}), "-ERR value is not a valid float");
  EXPECT_EQ(h.Run({"ZADD", "z", "nan", "a"}), "-ERR value is not a valid float");
  EXPECT_EQ(h.Run({"ZMSCORE", "z", "b", "nope", "c"}), "[6,(nil),3]");
  EXPECT_EQ(h.Run({"ZMSCORE", "nokey", "b"}), "[(nil)]");
  EXPECT_EQ(h.Run({"ZCARD", "z"}), "3");
  EXPECT_EQ(h.Run({"ZADD", "z", "-0", "neg"}), "1");
  EXPECT_EQ(h.Run({"ZSCORE", "z", "neg"}), "0");  // a listpack keeps it as the integer 0
  EXPECT_EQ(h.Run({"ZADD", "big", "1", std::string(65, 'x'), "-0", "neg"}), "2");
  EXPECT_EQ(h.Run({"ZSCORE", "big", "neg"}), "-0");  // a skiplist keeps the double
}

TEST_F(ZSetCommandsTest, WrongTypeEverywhere) {
  EXPECT_EQ(h.Run({"SET", "s", "x"}), "OK");
  const std::vector<std::vector<std::string>> commands = {
      {"ZADD", "s", "1", "a"},      {"ZREM", "s", "a"},
      {"ZSCORE", "s", "a"},         {"ZCARD", "s"},
      {"ZRANGE", "s", "0", "-1"},   {"ZRANK", "s", "a"},
      {"ZCOUNT", "s", "0", "1"},    {"ZPOPMIN", "s"},
      {"ZUNION", "1", "s"},         {"ZRANDMEMBER", "s"},
      {"ZSCAN", "s", "0"},          {"ZREMRANGEBYRANK", "s", "0", "1"},
      {"ZMPOP", "1", "s", "MIN"},   {"ZINCRBY", "s", "1", "a"},
      {"ZLEXCOUNT", "s", "-", "+"}, {"ZRANGESTORE", "d", "s", "0", "1"},
  };
  for (const auto& cmd : commands) EXPECT_EQ(h.Run(cmd), kWrongTypeReply) << cmd[0];
}

TEST_F(ZSetCommandsTest, RangesByRankScoreAndLex) {
  EXPECT_EQ(h.Run({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"}), "4");
  EXPECT_EQ(h.Run({"ZRANGE", "z", "0", "-1"}), "[a,b,c,d]");
  EXPECT_EQ(h.Run({"ZRANGE", "z", "1", "2", "WITHSCORES"}), "[b,2,c,3]");
  EXPECT_EQ(h.Run({"ZRANGE", "z", "0", "0", "REV"}), "[d]");
  EXPECT_EQ(h.Run({"ZREVRANGE", "z", "0", "1", "WITHSCORES"}), "[d,4,c,3]");
  EXPECT_EQ(h.Run({"ZRANGE", "z", "(1", "3", "BYSCORE"}), "[b,c]");
  EXPECT_EQ(h.Run({"ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "2"}), "[c,b]");
  EXPECT_EQ(h.Run({"ZRANGEBYSCORE", "z", "-inf", "(3", "LIMIT", "1", "-1"}), "[b]");
  EXPECT_EQ(h.Run({"ZREVRANGEBYSCORE", "z", "3", "2"}), "[c,b]");
  EXPECT_EQ(h.Run({"ZRANGEBYSCORE", "z", "x", "1"}), "-ERR min or max is not a float");
  EXPECT_EQ(h.Run({"ZRANGE", "z", "0", "1", "LIMIT", "0", "1"}),
            "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or "
            "BYLEX");
  EXPECT_EQ(h.Run({"ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"}),
            "-ERR syntax error, WITHSCORES not supported in combination with BYLEX");
  EXPECT_EQ(h.Run({"ZREVRANGE", "z", "0", "1", "REV"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"ZCOUNT", "z", "(1", "+inf"}), "3");
  EXPECT_EQ(h.Run({"ZRANK", "z", "c"}), "2");
  EXPECT_EQ(h.Run({"ZREVRANK", "z", "c"}), "1");
  EXPECT_EQ(h.Run({"ZRANK", "z", "zz"}), "(nil)");
  EXPECT_EQ(h.Run({"ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d"}), "4");
  EXPECT_EQ(h.Run({"ZRANGEBYLEX", "l", "(a", "[c"}), "[b,c]");
  EXPECT_EQ(h.Run({"ZREVRANGEBYLEX", "l", "+", "-", "LIMIT", "1", "2"}), "[c,b]");
  EXPECT_EQ(h.Run({"ZLEXCOUNT", "l", "[b", "+"}), "3");
  EXPECT_EQ(h.Run({"ZLEXCOUNT", "l", "b", "+"}), "-ERR min or max not valid string range item");
  // Mixed scores: Redis's lex walk (here a and d are the ends).
  EXPECT_EQ(h.Run({"ZRANGEBYLEX", "z", "[f", "[g"}), "[]");
  h.set_protocol(3);
  EXPECT_EQ(h.Run({"ZRANGE", "z", "0", "1", "WITHSCORES"}), "[[a,1],[b,2]]");
}

TEST_F(ZSetCommandsTest, StoreFormsAndRemovals) {
  EXPECT_EQ(h.Run({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"}), "4");
  EXPECT_EQ(h.Run({"ZRANGESTORE", "d", "z", "1", "2"}), "2");
  EXPECT_EQ(h.Run({"ZRANGE", "d", "0", "-1", "WITHSCORES"}), "[b,2,c,3]");
  EXPECT_EQ(h.Run({"ZRANGESTORE", "d", "z", "[f", "[g", "BYLEX"}), "0");
  EXPECT_EQ(h.Run({"EXISTS", "d"}), "0");
  EXPECT_EQ(h.Run({"ZRANGESTORE", "d", "z", "0", "1", "WITHSCORES"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"ZREMRANGEBYSCORE", "z", "(1", "2"}), "1");
  EXPECT_EQ(h.Run({"ZREMRANGEBYRANK", "z", "-1", "-1"}), "1");
  EXPECT_EQ(h.Run({"ZRANGE", "z", "0", "-1"}), "[a,c]");
  EXPECT_EQ(h.Run({"ZREM", "z", "a", "c", "x"}), "2");
  EXPECT_EQ(h.Run({"EXISTS", "z"}), "0");
  EXPECT_EQ(h.Run({"ZADD", "l", "0", "a", "0", "b", "0", "c"}), "3");
  EXPECT_EQ(h.Run({"ZREMRANGEBYLEX", "l", "[b", "+"}), "2");
  EXPECT_EQ(h.Run({"ZRANGE", "l", "0", "-1"}), "[a]");
}

TEST_F(ZSetCommandsTest, SetAlgebra) {
  EXPECT_EQ(h.Run({"ZADD", "a", "1", "x", "2", "y"}), "2");
  EXPECT_EQ(h.Run({"ZADD", "b", "10", "y", "20", "z"}), "2");
  EXPECT_EQ(h.Run({"SADD", "s", "x", "z"}), "2");
  EXPECT_EQ(h.Run({"ZUNION", "2", "a", "b", "WITHSCORES"}), "[x,1,y,12,z,20]");
  EXPECT_EQ(
      h.Run({"ZUNION", "2", "a", "b", "WEIGHTS", "2", "0.5", "AGGREGATE", "MAX", "WITHSCORES"}),
      "[x,2,y,5,z,10]");
  EXPECT_EQ(h.Run({"ZINTER", "2", "a", "b", "AGGREGATE", "MIN", "WITHSCORES"}), "[y,2]");
  EXPECT_EQ(h.Run({"ZINTER", "2", "a", "s", "WITHSCORES"}), "[x,2]");
  EXPECT_EQ(h.Run({"ZDIFF", "2", "a", "b"}), "[x]");
  EXPECT_EQ(h.Run({"ZINTERCARD", "2", "a", "b"}), "1");
  EXPECT_EQ(h.Run({"ZINTERCARD", "2", "a", "b", "LIMIT", "-1"}), "-ERR LIMIT can't be negative");
  EXPECT_EQ(h.Run({"ZUNIONSTORE", "dst", "3", "a", "b", "s"}), "3");
  EXPECT_EQ(h.Run({"ZRANGE", "dst", "0", "-1", "WITHSCORES"}), "[x,2,y,12,z,21]");
  EXPECT_EQ(h.Run({"ZINTERSTORE", "dst", "2", "a", "nokey"}), "0");
  EXPECT_EQ(h.Run({"EXISTS", "dst"}), "0");
  EXPECT_EQ(h.Run({"ZUNION", "0", "a"}),
            "-ERR at least 1 input key is needed for 'zunion' command");
  EXPECT_EQ(h.Run({"ZUNION", "3", "a", "b"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"ZDIFF", "1", "a", "WEIGHTS", "1"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"ZUNION", "2", "a", "b", "WEIGHTS", "1", "x"}),
            "-ERR weight value is not a float");
  EXPECT_EQ(h.Run({"ZADD", "i", "inf", "m"}), "1");
  EXPECT_EQ(h.Run({"ZADD", "j", "-inf", "m"}), "1");
  EXPECT_EQ(h.Run({"ZUNION", "2", "i", "j", "WITHSCORES"}), "[m,0]");  // inf + -inf
}

TEST_F(ZSetCommandsTest, PopsRandomAndScan) {
  EXPECT_EQ(h.Run({"ZADD", "z", "1", "a", "2", "b", "3", "c"}), "3");
  EXPECT_EQ(h.Run({"ZPOPMIN", "z"}), "[a,1]");
  EXPECT_EQ(h.Run({"ZPOPMAX", "z", "5"}), "[c,3,b,2]");
  EXPECT_EQ(h.Run({"EXISTS", "z"}), "0");
  EXPECT_EQ(h.Run({"ZPOPMIN", "z"}), "[]");
  EXPECT_EQ(h.Run({"ZPOPMIN", "z", "-1"}), "-ERR value is out of range, must be positive");
  EXPECT_EQ(h.Run({"ZADD", "y", "1", "a", "2", "b"}), "2");
  EXPECT_EQ(h.Run({"ZMPOP", "2", "z", "y", "MAX", "COUNT", "5"}), "[y,[[b,2],[a,1]]]");
  EXPECT_EQ(h.Run({"ZMPOP", "2", "z", "y", "MAX"}), "(nil)");
  EXPECT_EQ(h.Run({"ZMPOP", "0", "z", "MAX"}), "-ERR numkeys should be greater than 0");
  EXPECT_EQ(h.Run({"ZMPOP", "1", "z", "MAX", "COUNT", "0"}), "-ERR count should be greater than 0");
  EXPECT_EQ(h.Run({"ZMPOP", "1", "z", "BOTH"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"BZPOPMIN", "z", "-1"}), "-ERR timeout is negative");
  EXPECT_EQ(h.Run({"ZADD", "r", "1", "a", "2", "b", "3", "c"}), "3");
  EXPECT_EQ(h.Run({"ZRANDMEMBER", "r", "5", "WITHSCORES"}), "[a,1,b,2,c,3]");
  EXPECT_EQ(h.Run({"ZRANDMEMBER", "r", "-4"}).size(), std::string("[a,a,a,a]").size());
  EXPECT_EQ(h.Run({"ZRANDMEMBER", "nokey"}), "(nil)");
  EXPECT_EQ(h.Run({"ZRANDMEMBER", "nokey", "3"}), "[]");
  EXPECT_EQ(h.Run({"ZRANDMEMBER", "r", "1", "x"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"ZSCAN", "r", "0"}), "[0,[a,1,b,2,c,3]]");
  EXPECT_EQ(h.Run({"ZSCAN", "r", "0", "MATCH", "b*"}), "[0,[b,2]]");
}

TEST_F(ZSetCommandsTest, EncodingFollowsRedisThresholds) {
  EXPECT_EQ(h.Run({"ZADD", "z", "1", "a"}), "1");
  EXPECT_EQ(h.Run({"OBJECT", "ENCODING", "z"}), "listpack");
  EXPECT_EQ(h.Run({"ZADD", "z", "1", std::string(65, 'x')}), "1");
  EXPECT_EQ(h.Run({"OBJECT", "ENCODING", "z"}), "skiplist");
  EXPECT_EQ(h.Run({"ZREM", "z", std::string(65, 'x')}), "1");
  EXPECT_EQ(h.Run({"OBJECT", "ENCODING", "z"}), "skiplist");  // Redis never converts back
}

TEST_F(ZSetCommandsTest, RankQueriesOnALargeSetUseTheIndex) {
  // 3000 members: ranks past the walking distance go through the rank index.
  for (int batch = 0; batch < 30; ++batch) {
    std::vector<std::string> cmd = {"ZADD", "big"};
    for (int i = 0; i < 100; ++i) {
      const int n = batch * 100 + i;
      cmd.push_back(std::to_string(n * 2));
      cmd.push_back("m" + std::to_string(n));
    }
    ASSERT_EQ(h.Run(cmd), "100");
  }
  EXPECT_EQ(h.Run({"ZRANK", "big", "m1234"}), "1234");
  EXPECT_EQ(h.Run({"ZREVRANK", "big", "m1234"}), "1765");
  EXPECT_EQ(h.Run({"ZRANGE", "big", "1500", "1501"}), "[m1500,m1501]");
  EXPECT_EQ(h.Run({"ZRANGE", "big", "1500", "1500", "REV"}), "[m1499]");
  EXPECT_EQ(h.Run({"ZCOUNT", "big", "(1000", "2000"}), "500");
  EXPECT_EQ(h.Run({"ZRANGEBYSCORE", "big", "0", "+inf", "LIMIT", "2000", "1"}), "[m2000]");
  EXPECT_EQ(h.Run({"ZREMRANGEBYRANK", "big", "0", "999"}), "1000");
  EXPECT_EQ(h.Run({"ZRANK", "big", "m1234"}), "234");
  // Keys commands move every record (the rank index too).
  EXPECT_EQ(h.Run({"COPY", "big", "copy"}), "1");
  EXPECT_EQ(h.Run({"RENAME", "big", "renamed"}), "OK");
  EXPECT_EQ(h.Run({"ZRANK", "copy", "m2500"}), "1500");
  EXPECT_EQ(h.Run({"ZRANK", "renamed", "m2500"}), "1500");
  EXPECT_EQ(h.Run({"ZADD", "copy", "-1", "first"}), "1");
  EXPECT_EQ(h.Run({"ZRANK", "copy", "m2500"}), "1501");
  EXPECT_EQ(h.Run({"ZRANK", "renamed", "m2500"}), "1500");
  EXPECT_EQ(h.Run({"OBJECT", "ENCODING", "copy"}), "skiplist");
  EXPECT_EQ(h.Run({"DEL", "renamed", "copy"}), "2");
  EXPECT_EQ(h.Run({"ZCARD", "copy"}), "0");
}

}  // namespace
}  // namespace larder::server
