#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "server/command_test_util.h"

namespace larder::server {
namespace {

using testing::Backing;
using testing::CommandHarness;
using testing::kWrongTypeReply;

class SetCommandsTest : public ::testing::Test {
 protected:
  CommandHarness h{Backing::kEngine, {RegisterSetCommands, RegisterKeyCommands}};
};

// "[a,b,c]" -> {"a","b","c"}
std::multiset<std::string> Items(const std::string& reply) {
  std::multiset<std::string> out;
  if (reply.size() < 2 || reply.front() != '[' || reply.back() != ']') return out;
  const std::string body = reply.substr(1, reply.size() - 2);
  std::size_t at = 0;
  while (at <= body.size() && !body.empty()) {
    std::size_t end = body.find(',', at);
    if (end == std::string::npos) end = body.size();
    out.insert(body.substr(at, end - at));
    at = end + 1;
  }
  return out;
}

TEST_F(SetCommandsTest, AddRemoveAndMembership) {
  EXPECT_EQ(h.Run({"SADD", "s", "b", "a", "c", "a"}), "3");
  EXPECT_EQ(h.Run({"SADD", "s", "a", "d"}), "1");
  EXPECT_EQ(h.Run({"SCARD", "s"}), "4");
  EXPECT_EQ(h.Run({"SMEMBERS", "s"}), "[a,b,c,d]");
  EXPECT_EQ(h.Run({"SISMEMBER", "s", "a"}), "1");
  EXPECT_EQ(h.Run({"SISMEMBER", "s", "z"}), "0");
  EXPECT_EQ(h.Run({"SMISMEMBER", "s", "a", "z", "d"}), "[1,0,1]");
  EXPECT_EQ(h.Run({"SMISMEMBER", "nokey", "a"}), "[0]");
  EXPECT_EQ(h.Run({"SREM", "s", "a", "z", "a"}), "1");
  EXPECT_EQ(h.Run({"SREM", "nokey", "a"}), "0");
  EXPECT_EQ(h.Run({"SREM", "s", "b", "c", "d"}), "3");
  EXPECT_EQ(h.Run({"EXISTS", "s"}), "0");
  EXPECT_EQ(h.Run({"SCARD", "s"}), "0");
  EXPECT_EQ(h.Run({"SMEMBERS", "s"}), "[]");
  EXPECT_EQ(h.Run({"TYPE", "s"}), "none");
  EXPECT_EQ(h.Run({"SADD", "s", "1"}), "1");
  EXPECT_EQ(h.Run({"TYPE", "s"}), "set");
  h.set_protocol(3);
  EXPECT_EQ(h.RunRaw({"SMEMBERS", "s"}), "~1\r\n$1\r\n1\r\n");
}

TEST_F(SetCommandsTest, WrongTypeAndArity) {
  h.SetString("str", "x");
  for (const std::vector<std::string>& cmd :
       std::vector<std::vector<std::string>>{{"SADD", "str", "a"},
                                             {"SREM", "str", "a"},
                                             {"SISMEMBER", "str", "a"},
                                             {"SMISMEMBER", "str", "a"},
                                             {"SCARD", "str"},
                                             {"SMEMBERS", "str"},
                                             {"SPOP", "str"},
                                             {"SRANDMEMBER", "str"},
                                             {"SSCAN", "str", "0"},
                                             {"SINTER", "nokey", "str"},
                                             {"SUNION", "str"},
                                             {"SDIFF", "nokey", "str"},
                                             {"SINTERSTORE", "d", "str"},
                                             {"SINTERCARD", "1", "str"}}) {
    EXPECT_EQ(h.Run(cmd), kWrongTypeReply) << cmd[0];
  }
  EXPECT_EQ(h.Run({"SMISMEMBER", "s"}), "-ERR wrong number of arguments for 'smismember' command");
}

TEST_F(SetCommandsTest, Move) {
  EXPECT_EQ(h.Run({"SADD", "a", "1", "x", "y"}), "3");
  EXPECT_EQ(h.Run({"SADD", "b", "2"}), "1");
  h.SetString("str", "v");
  EXPECT_EQ(h.Run({"SMOVE", "a", "b", "x"}), "1");
  EXPECT_EQ(h.Run({"SMEMBERS", "b"}), "[2,x]");
  EXPECT_EQ(h.Run({"SMOVE", "a", "b", "nope"}), "0");
  EXPECT_EQ(h.Run({"SMOVE", "a", "a", "1"}), "1");
  EXPECT_EQ(h.Run({"SMOVE", "a", "a", "nope"}), "0");
  EXPECT_EQ(h.Run({"SMOVE", "nokey", "str", "1"}), "0");  // absent source first, as Redis
  EXPECT_EQ(h.Run({"SMOVE", "a", "str", "1"}), kWrongTypeReply);
  EXPECT_EQ(h.Run({"SMOVE", "str", "a", "1"}), kWrongTypeReply);
  EXPECT_EQ(h.Run({"SMOVE", "a", "new", "1"}), "1");
  EXPECT_EQ(h.Run({"SMOVE", "a", "new", "y"}), "1");
  EXPECT_EQ(h.Run({"EXISTS", "a"}), "0");
  EXPECT_EQ(h.Run({"SMEMBERS", "new"}), "[1,y]");
}

TEST_F(SetCommandsTest, Algebra) {
  EXPECT_EQ(h.Run({"SADD", "a", "1", "2", "3", "4"}), "4");
  EXPECT_EQ(h.Run({"SADD", "b", "3", "4", "5"}), "3");
  EXPECT_EQ(h.Run({"SADD", "c", "4", "6"}), "2");
  EXPECT_EQ(h.Run({"SINTER", "a", "b"}), "[3,4]");
  EXPECT_EQ(h.Run({"SINTER", "a", "b", "c"}), "[4]");
  EXPECT_EQ(h.Run({"SINTER", "a", "nokey"}), "[]");
  EXPECT_EQ(h.Run({"SUNION", "a", "b", "nokey", "c"}), "[1,2,3,4,5,6]");
  EXPECT_EQ(h.Run({"SDIFF", "a", "b"}), "[1,2]");
  EXPECT_EQ(h.Run({"SDIFF", "a", "nokey", "c"}), "[1,2,3]");
  EXPECT_EQ(h.Run({"SDIFF", "nokey", "a"}), "[]");
  EXPECT_EQ(h.Run({"SDIFF", "a", "a"}), "[]");
  EXPECT_EQ(h.Run({"SINTERCARD", "2", "a", "b"}), "2");
  EXPECT_EQ(h.Run({"SINTERCARD", "2", "a", "b", "LIMIT", "1"}), "1");
  EXPECT_EQ(h.Run({"SINTERCARD", "2", "a", "b", "limit", "0"}), "2");
  EXPECT_EQ(h.Run({"SINTERCARD", "2", "a", "nokey"}), "0");
  EXPECT_EQ(h.Run({"SINTERCARD", "0", "a"}), "-ERR numkeys should be greater than 0");
  EXPECT_EQ(h.Run({"SINTERCARD", "x", "a"}), "-ERR numkeys should be greater than 0");
  EXPECT_EQ(h.Run({"SINTERCARD", "3", "a", "b"}),
            "-ERR Number of keys can't be greater than number of args");
  EXPECT_EQ(h.Run({"SINTERCARD", "1", "a", "LIMIT", "-1"}), "-ERR LIMIT can't be negative");
  EXPECT_EQ(h.Run({"SINTERCARD", "1", "a", "LIMIT"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"SINTERCARD", "1", "a", "foo", "1"}), "-ERR syntax error");
  // STORE forms, a destination among the sources, and of another type.
  h.SetString("str", "v");
  EXPECT_EQ(h.Run({"SINTERSTORE", "str", "a", "b"}), "2");
  EXPECT_EQ(h.Run({"SMEMBERS", "str"}), "[3,4]");
  EXPECT_EQ(h.Run({"SUNIONSTORE", "a", "a", "c"}), "5");
  EXPECT_EQ(h.Run({"SMEMBERS", "a"}), "[1,2,3,4,6]");
  EXPECT_EQ(h.Run({"SDIFFSTORE", "d", "a", "b"}), "3");
  EXPECT_EQ(h.Run({"SMEMBERS", "d"}), "[1,2,6]");
  EXPECT_EQ(h.Run({"SINTERSTORE", "d", "a", "nokey"}), "0");
  EXPECT_EQ(h.Run({"EXISTS", "d"}), "0");
  h.set_protocol(3);
  EXPECT_EQ(h.RunRaw({"SINTER", "b", "c"}), "~1\r\n$1\r\n4\r\n");
}

TEST_F(SetCommandsTest, PopAndRandomReplies) {
  EXPECT_EQ(h.Run({"SPOP", "nokey"}), "(nil)");
  EXPECT_EQ(h.Run({"SPOP", "nokey", "3"}), "[]");
  EXPECT_EQ(h.Run({"SRANDMEMBER", "nokey"}), "(nil)");
  EXPECT_EQ(h.Run({"SRANDMEMBER", "nokey", "3"}), "[]");
  EXPECT_EQ(h.Run({"SADD", "s", "a", "b", "c", "d", "e"}), "5");
  EXPECT_EQ(h.Run({"SPOP", "s", "-1"}), "-ERR value is out of range, must be positive");
  EXPECT_EQ(h.Run({"SPOP", "s", "x"}), "-ERR value is out of range, must be positive");
  EXPECT_EQ(h.Run({"SPOP", "s", "1", "2"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"SRANDMEMBER", "s", "x"}), "-ERR value is not an integer or out of range");
  EXPECT_EQ(h.Run({"SRANDMEMBER", "s", "1", "2"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"SRANDMEMBER", "s", "-9223372036854775808"}),
            "-ERR value is out of range, value must between -9223372036854775807 and "
            "9223372036854775807");
  EXPECT_EQ(h.Run({"SRANDMEMBER", "s", "0"}), "[]");
  EXPECT_EQ(Items(h.Run({"SRANDMEMBER", "s", "10"})),
            (std::multiset<std::string>{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(Items(h.Run({"SRANDMEMBER", "s", "-20"})).size(), 20u);
  const std::multiset<std::string> three = Items(h.Run({"SRANDMEMBER", "s", "3"}));
  EXPECT_EQ(std::set<std::string>(three.begin(), three.end()).size(), 3u);
  h.set_protocol(3);
  EXPECT_EQ(h.RunRaw({"SPOP", "s", "0"}), "~0\r\n");
  EXPECT_EQ(h.RunRaw({"SRANDMEMBER", "s", "0"}), "*0\r\n");
  h.set_protocol(2);
  const std::multiset<std::string> popped = Items(h.Run({"SPOP", "s", "2"}));
  EXPECT_EQ(popped.size(), 2u);
  EXPECT_EQ(h.Run({"SCARD", "s"}), "3");
  std::multiset<std::string> all = popped;
  const std::string one = h.Run({"SPOP", "s"});
  all.insert(one);
  for (const std::string& rest : Items(h.Run({"SPOP", "s", "10"}))) all.insert(rest);
  EXPECT_EQ(all, (std::multiset<std::string>{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(h.Run({"EXISTS", "s"}), "0");
}

TEST_F(SetCommandsTest, ScanSmallIntsetWholeAndBigInSteps) {
  EXPECT_EQ(h.Run({"SADD", "ints", "3", "1", "2"}), "3");
  EXPECT_EQ(h.Run({"SSCAN", "ints", "0", "COUNT", "1"}), "[0,[1,2,3]]");
  EXPECT_EQ(h.Run({"SSCAN", "ints", "0", "MATCH", "2"}), "[0,[2]]");
  EXPECT_EQ(h.Run({"SSCAN", "nokey", "0"}), "[0,[]]");
  EXPECT_EQ(h.Run({"SSCAN", "ints", "x"}), "-ERR invalid cursor");
  EXPECT_EQ(h.Run({"SSCAN", "ints", "0", "COUNT", "0"}), "-ERR syntax error");
  std::vector<std::string> add = {"SADD", "big"};
  for (int i = 0; i < 100; ++i) add.push_back("m" + std::to_string(i));
  EXPECT_EQ(h.Run(add), "100");
  std::set<std::string> seen;
  std::string cursor = "0";
  int calls = 0;
  do {
    const testing::ScanStep step =
        testing::ParseScanReply(h.Run({"SSCAN", "big", cursor, "COUNT", "7"}));
    cursor = step.cursor;
    for (const std::string& m : step.items) EXPECT_TRUE(seen.insert(m).second) << m;
    ++calls;
  } while (cursor != "0" && calls < 100);
  EXPECT_EQ(seen.size(), 100u);
  EXPECT_GE(calls, 100 / 7);
}

TEST_F(SetCommandsTest, ObjectEncodingFollowsRedisThresholds) {
  EXPECT_EQ(h.Run({"SADD", "i", "1", "2", "-3"}), "3");
  EXPECT_EQ(h.Run({"OBJECT", "ENCODING", "i"}), "intset");
  EXPECT_EQ(h.Run({"SADD", "i", "a"}), "1");
  EXPECT_EQ(h.Run({"OBJECT", "ENCODING", "i"}), "hashtable");
  std::vector<std::string> add = {"SADD", "many"};
  for (int i = 0; i < 513; ++i) add.push_back(std::to_string(i));
  EXPECT_EQ(h.Run(add), "513");
  EXPECT_EQ(h.Run({"OBJECT", "ENCODING", "many"}), "hashtable");
}

}  // namespace
}  // namespace larder::server
