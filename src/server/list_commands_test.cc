#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/command_test_util.h"

namespace larder::server {
namespace {

using testing::Backing;
using testing::CommandHarness;
using testing::kWrongTypeReply;

CommandHarness ListHarness() {
  return CommandHarness(Backing::kEngine, {RegisterListCommands, RegisterKeyCommands});
}

TEST(ListCommandsTest, PushPopAndLength) {
  CommandHarness h(Backing::kEngine, {RegisterListCommands, RegisterKeyCommands});
  EXPECT_EQ(h.Run({"RPUSH", "l", "a", "b"}), "2");
  EXPECT_EQ(h.Run({"LPUSH", "l", "x", "y"}), "4");
  EXPECT_EQ(h.Run({"LRANGE", "l", "0", "-1"}), "[y,x,a,b]");
  EXPECT_EQ(h.Run({"LLEN", "l"}), "4");
  EXPECT_EQ(h.Run({"LPUSHX", "nokey", "a"}), "0");
  EXPECT_EQ(h.Run({"EXISTS", "nokey"}), "0");
  EXPECT_EQ(h.Run({"RPUSHX", "l", "c"}), "5");
  EXPECT_EQ(h.Run({"LPOP", "l"}), "y");
  EXPECT_EQ(h.Run({"RPOP", "l"}), "c");
  EXPECT_EQ(h.Run({"LPOP", "l", "2"}), "[x,a]");
  EXPECT_EQ(h.Run({"LPOP", "l", "0"}), "[]");
  EXPECT_EQ(h.Run({"RPOP", "l", "5"}), "[b]");
  EXPECT_EQ(h.Run({"EXISTS", "l"}), "0");  // emptied lists disappear
  EXPECT_EQ(h.RunRaw({"LPOP", "l"}), "$-1\r\n");
  EXPECT_EQ(h.RunRaw({"LPOP", "l", "1"}), "*-1\r\n");
  h.set_protocol(3);
  EXPECT_EQ(h.RunRaw({"LPOP", "l", "1"}), "_\r\n");
  h.set_protocol(2);
  EXPECT_EQ(h.Run({"LPOP", "l", "-1"}), "-ERR value is out of range, must be positive");
  EXPECT_EQ(h.Run({"LPOP", "l", "1", "2"}), "-ERR wrong number of arguments for 'lpop' command");
  EXPECT_EQ(h.Run({"RPUSH", "l"}), "-ERR wrong number of arguments for 'rpush' command");
  EXPECT_EQ(h.Run({"TYPE", "l"}), "none");
  EXPECT_EQ(h.Run({"RPUSH", "l", "z"}), "1");
  EXPECT_EQ(h.Run({"TYPE", "l"}), "list");
  EXPECT_EQ(h.Run({"OBJECT", "ENCODING", "l"}), "quicklist");
}

TEST(ListCommandsTest, IndexSetRangeTrim) {
  CommandHarness h = ListHarness();
  EXPECT_EQ(h.Run({"RPUSH", "l", "a", "b", "c", "d", "e"}), "5");
  EXPECT_EQ(h.Run({"LINDEX", "l", "0"}), "a");
  EXPECT_EQ(h.Run({"LINDEX", "l", "-1"}), "e");
  EXPECT_EQ(h.Run({"LINDEX", "l", "5"}), "(nil)");
  EXPECT_EQ(h.Run({"LINDEX", "l", "x"}), "-ERR value is not an integer or out of range");
  EXPECT_EQ(h.Run({"LINDEX", "nokey", "x"}), "(nil)");
  EXPECT_EQ(h.Run({"LSET", "l", "1", "B"}), "OK");
  EXPECT_EQ(h.Run({"LSET", "l", "-1", "E"}), "OK");
  EXPECT_EQ(h.Run({"LSET", "l", "5", "x"}), "-ERR index out of range");
  EXPECT_EQ(h.Run({"LSET", "nokey", "0", "x"}), "-ERR no such key");
  EXPECT_EQ(h.Run({"LRANGE", "l", "1", "2"}), "[B,c]");
  EXPECT_EQ(h.Run({"LRANGE", "l", "-100", "100"}), "[a,B,c,d,E]");
  EXPECT_EQ(h.Run({"LRANGE", "l", "3", "1"}), "[]");
  EXPECT_EQ(h.Run({"LRANGE", "nokey", "0", "-1"}), "[]");
  EXPECT_EQ(h.Run({"LTRIM", "l", "1", "-2"}), "OK");
  EXPECT_EQ(h.Run({"LRANGE", "l", "0", "-1"}), "[B,c,d]");
  EXPECT_EQ(h.Run({"LTRIM", "l", "5", "10"}), "OK");
  EXPECT_EQ(h.Run({"EXISTS", "l"}), "0");
}

TEST(ListCommandsTest, InsertRemoveAndPos) {
  CommandHarness h = ListHarness();
  EXPECT_EQ(h.Run({"RPUSH", "l", "a", "b", "c", "b", "d"}), "5");
  EXPECT_EQ(h.Run({"LINSERT", "l", "BEFORE", "b", "x"}), "6");
  EXPECT_EQ(h.Run({"LINSERT", "l", "after", "d", "y"}), "7");
  EXPECT_EQ(h.Run({"LINSERT", "l", "after", "zz", "y"}), "-1");
  EXPECT_EQ(h.Run({"LINSERT", "l", "middle", "a", "y"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"LINSERT", "nokey", "after", "a", "y"}), "0");
  EXPECT_EQ(h.Run({"LRANGE", "l", "0", "-1"}), "[a,x,b,c,b,d,y]");
  EXPECT_EQ(h.Run({"LPOS", "l", "b"}), "2");
  EXPECT_EQ(h.Run({"LPOS", "l", "b", "RANK", "-1"}), "4");
  EXPECT_EQ(h.Run({"LPOS", "l", "b", "COUNT", "0"}), "[2,4]");
  EXPECT_EQ(h.Run({"LPOS", "l", "b", "COUNT", "0", "MAXLEN", "3"}), "[2]");
  EXPECT_EQ(h.Run({"LPOS", "l", "zz"}), "(nil)");
  EXPECT_EQ(h.Run({"LPOS", "l", "b", "RANK", "0"}),
            "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
            "or use negative to start from the end of the list");
  EXPECT_EQ(h.Run({"LPOS", "l", "b", "COUNT", "-1"}), "-ERR COUNT can't be negative");
  EXPECT_EQ(h.Run({"LPOS", "l", "b", "FOO"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"LREM", "l", "-1", "b"}), "1");
  EXPECT_EQ(h.Run({"LRANGE", "l", "0", "-1"}), "[a,x,b,c,d,y]");
  EXPECT_EQ(h.Run({"RPUSH", "l", "a", "a"}), "8");
  EXPECT_EQ(h.Run({"LREM", "l", "0", "a"}), "3");
  EXPECT_EQ(h.Run({"LRANGE", "l", "0", "-1"}), "[x,b,c,d,y]");
  EXPECT_EQ(h.Run({"LREM", "l", "x", "a"}), "-ERR value is not an integer or out of range");
}

TEST(ListCommandsTest, MoveAndMPop) {
  CommandHarness h = ListHarness();
  EXPECT_EQ(h.Run({"RPUSH", "s", "a", "b", "c"}), "3");
  EXPECT_EQ(h.Run({"LMOVE", "s", "d", "LEFT", "RIGHT"}), "a");
  EXPECT_EQ(h.Run({"RPOPLPUSH", "s", "d"}), "c");
  EXPECT_EQ(h.Run({"LRANGE", "d", "0", "-1"}), "[c,a]");
  EXPECT_EQ(h.Run({"LMOVE", "d", "d", "LEFT", "RIGHT"}), "c");  // rotation
  EXPECT_EQ(h.Run({"LRANGE", "d", "0", "-1"}), "[a,c]");
  EXPECT_EQ(h.Run({"LMOVE", "s", "d", "UP", "RIGHT"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"LMOVE", "nokey", "d", "LEFT", "RIGHT"}), "(nil)");
  h.SetString("str", "x");
  EXPECT_EQ(h.Run({"LMOVE", "s", "str", "LEFT", "RIGHT"}), kWrongTypeReply);
  EXPECT_EQ(h.Run({"LRANGE", "s", "0", "-1"}), "[b]");          // nothing popped
  EXPECT_EQ(h.Run({"LMOVE", "s", "s", "LEFT", "RIGHT"}), "b");  // one-element rotation
  EXPECT_EQ(h.Run({"LRANGE", "s", "0", "-1"}), "[b]");
  EXPECT_EQ(h.Run({"LMPOP", "3", "nokey", "d", "s", "RIGHT", "COUNT", "5"}), "[d,[c,a]]");
  EXPECT_EQ(h.Run({"LMPOP", "2", "nokey", "d", "LEFT"}), "(nil)");
  EXPECT_EQ(h.Run({"LMPOP", "2", "str", "s", "LEFT"}), kWrongTypeReply);
  EXPECT_EQ(h.Run({"LMPOP", "0", "s", "LEFT"}), "-ERR numkeys should be greater than 0");
  EXPECT_EQ(h.Run({"LMPOP", "2", "s", "LEFT"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"LMPOP", "1", "s", "LEFT", "COUNT", "0"}),
            "-ERR count should be greater than 0");
  EXPECT_EQ(h.Run({"LMPOP", "1", "s", "LEFT", "COUNT", "1", "COUNT", "1"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"LMPOP", "1", "s", "LEFT"}), "[s,[b]]");
}

TEST(ListCommandsTest, EveryCommandRefusesAString) {
  CommandHarness h = ListHarness();
  h.SetString("s", "x");
  const std::vector<std::vector<std::string>> commands = {{"LPUSH", "s", "a"},
                                                          {"RPUSHX", "s", "a"},
                                                          {"LPOP", "s"},
                                                          {"RPOP", "s", "2"},
                                                          {"LLEN", "s"},
                                                          {"LINDEX", "s", "0"},
                                                          {"LSET", "s", "0", "a"},
                                                          {"LRANGE", "s", "0", "1"},
                                                          {"LTRIM", "s", "0", "1"},
                                                          {"LREM", "s", "0", "a"},
                                                          {"LINSERT", "s", "before", "a", "b"},
                                                          {"LPOS", "s", "a"},
                                                          {"RPOPLPUSH", "s", "d"},
                                                          {"BLPOP", "s", "0"},
                                                          {"BLMOVE", "s", "d", "left", "left", "0"},
                                                          {"BLMPOP", "0", "1", "s", "left"}};
  for (const auto& command : commands) EXPECT_EQ(h.Run(command), kWrongTypeReply) << command[0];
}

TEST(ListCommandsTest, BlockingArgumentsAndNonBlockingPaths) {
  CommandHarness h = ListHarness();
  EXPECT_EQ(h.Run({"BLPOP", "l", "-1"}), "-ERR timeout is negative");
  EXPECT_EQ(h.Run({"BLPOP", "l", "inf"}), "-ERR timeout is negative");
  EXPECT_EQ(h.Run({"BLPOP", "l", "abc"}), "-ERR timeout is not a float or out of range");
  EXPECT_EQ(h.Run({"BRPOPLPUSH", "l", "d", "nan"}), "-ERR timeout is not a float or out of range");
  EXPECT_EQ(h.Run({"BLMOVE", "l", "d", "left", "up", "1"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"BLMPOP", "0.01", "0", "l", "left"}), "-ERR numkeys should be greater than 0");
  EXPECT_EQ(h.Run({"RPUSH", "l2", "a", "b"}), "2");
  EXPECT_EQ(h.Run({"BLPOP", "l", "l2", "0"}), "[l2,a]");
  EXPECT_EQ(h.Run({"BRPOP", "l", "l2", "0"}), "[l2,b]");
  EXPECT_EQ(h.Run({"RPUSH", "l2", "a", "b"}), "2");
  EXPECT_EQ(h.Run({"BLMPOP", "1", "2", "l", "l2", "right", "count", "9"}), "[l2,[b,a]]");
  EXPECT_EQ(h.Run({"RPUSH", "l2", "a"}), "1");
  EXPECT_EQ(h.Run({"BLMOVE", "l2", "d", "left", "left", "0"}), "a");
  EXPECT_EQ(h.Run({"BRPOPLPUSH", "d", "l2", "0"}), "a");
}

TEST(ListCommandsTest, CopiedRenamedAndMovedListsKeepTheirHead) {
  CommandHarness h = ListHarness();
  EXPECT_EQ(h.Run({"RPUSH", "l", "b", "c"}), "2");
  EXPECT_EQ(h.Run({"LPUSH", "l", "a"}), "3");
  EXPECT_EQ(h.Run({"COPY", "l", "copy"}), "1");
  EXPECT_EQ(h.Run({"RENAME", "l", "renamed"}), "OK");
  EXPECT_EQ(h.Run({"MOVE", "renamed", "1"}), "1");
  EXPECT_EQ(h.Run({"LPUSH", "copy", "0"}), "4");
  EXPECT_EQ(h.Run({"RPOP", "copy"}), "c");
  EXPECT_EQ(h.Run({"LRANGE", "copy", "0", "-1"}), "[0,a,b]");
  EXPECT_EQ(h.Run({"LINDEX", "copy", "1"}), "a");
  h.select(1);
  EXPECT_EQ(h.Run({"LINSERT", "renamed", "BEFORE", "c", "x"}), "4");
  EXPECT_EQ(h.Run({"LRANGE", "renamed", "0", "-1"}), "[a,b,x,c]");
}

}  // namespace
}  // namespace larder::server
