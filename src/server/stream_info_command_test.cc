// XINFO STREAM [FULL] / GROUPS / CONSUMERS in-process over a real Keyspace, RESP2 and RESP3,
// with entries-read and lag as Redis 7.0 computes them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/blocking_test_util.h"

namespace larder::server {
namespace {

void RegisterStreamInfoTestFamilies(CommandTable& table) {
  RegisterStreamCommands(table);
  RegisterKeyCommands(table);
}

class StreamInfoTest : public blocking_testing::EngineBlockingTest {
 protected:
  StreamInfoTest() : EngineBlockingTest({RegisterStreamInfoTestFamilies}) {}
  std::string Run(std::vector<std::string> argv, int protocol = 2) {
    auto& c = protocol == 2 ? c2_ : c3_;
    if (!c) c = h_->NewClient(protocol);
    h_->Send(c, std::move(argv));
    return h_->Replies(c);
  }
  std::shared_ptr<Client> c2_, c3_;
};

TEST_F(StreamInfoTest, StreamGroupsAndConsumers) {
  EXPECT_EQ(Run({"XINFO", "STREAM", "s"}), "-ERR no such key");
  for (int i = 1; i <= 4; ++i) Run({"XADD", "s", std::to_string(i), "f", "v"});
  Run({"XGROUP", "CREATE", "s", "g", "0"});
  Run({"XREADGROUP", "GROUP", "g", "c", "COUNT", "2", "STREAMS", "s", ">"});
  const std::string head =
      "length:4,radix-tree-keys:1,radix-tree-nodes:1,last-generated-id:4-0,"
      "max-deleted-entry-id:0-0,entries-added:4,recorded-first-entry-id:1-0,";
  EXPECT_EQ(Run({"XINFO", "STREAM", "s"}, 3),
            "{" + head + "groups:1,first-entry:[1-0,[f,v]],last-entry:[4-0,[f,v]]}");
  EXPECT_EQ(Run({"XINFO", "GROUPS", "s"}, 3),
            "[{name:g,consumers:1,pending:2,last-delivered-id:2-0,entries-read:2,lag:2}]");
  // A deletion after the group's position makes the lag unknown, as in Redis.
  Run({"XDEL", "s", "3"});
  EXPECT_EQ(Run({"XINFO", "GROUPS", "s"}, 3),
            "[{name:g,consumers:1,pending:2,last-delivered-id:2-0,entries-read:2,lag:(nil)}]");
  h_->Advance(7);
  EXPECT_EQ(Run({"XINFO", "CONSUMERS", "s", "g"}), "[[name,c,pending,2,idle,7]]");
  EXPECT_EQ(Run({"XINFO", "CONSUMERS", "s", "x"}),
            "-NOGROUP No such consumer group 'x' for key name 's'");
  const std::string t = std::to_string(h_->now_ms() - 7);
  EXPECT_EQ(Run({"XINFO", "STREAM", "s", "FULL", "COUNT", "1"}, 3),
            "{length:3,radix-tree-keys:1,radix-tree-nodes:1,last-generated-id:4-0,"
            "max-deleted-entry-id:3-0,entries-added:4,recorded-first-entry-id:1-0,"
            "entries:[[1-0,[f,v]]],groups:[{name:g,last-delivered-id:2-0,entries-read:2,"
            "lag:(nil),pel-count:2,pending:[[1-0,c," +
                t + ",1]],consumers:[{name:c,seen-time:" + t + ",pel-count:2,pending:[[1-0," + t +
                ",1]]}]}]}");
  EXPECT_EQ(Run({"XINFO", "stream", "s", "FULL", "BOGUS"}),
            "-ERR unknown subcommand or wrong number of arguments for 'stream'. Try XINFO HELP.");
  EXPECT_EQ(Run({"XINFO", "STREAM", "missing", "FULL", "BOGUS"}), "-ERR no such key");
  EXPECT_EQ(Run({"XINFO", "HELP", "x"}), "-ERR wrong number of arguments for 'xinfo|help' command");
}

}  // namespace
}  // namespace larder::server
