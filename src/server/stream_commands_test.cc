// XADD XLEN XRANGE XREVRANGE XDEL XTRIM XSETID in-process over a real Keyspace: replies, errors
// and IDs as Redis 7.0's (the harness's clock is fixed, so "*" IDs are known).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/blocking_test_util.h"

namespace larder::server {
namespace {

void RegisterStreamTestFamilies(CommandTable& table) {
  RegisterStreamCommands(table);
  RegisterKeyCommands(table);
  RegisterStringCommands(table);
}

class StreamCommandsTest : public blocking_testing::EngineBlockingTest {
 protected:
  StreamCommandsTest() : EngineBlockingTest({RegisterStreamTestFamilies}) {}
  std::string Run(std::vector<std::string> argv) {
    if (!client_) client_ = h_->NewClient();
    h_->Send(client_, std::move(argv));
    return h_->Replies(client_);
  }
  std::shared_ptr<Client> client_;
};

TEST_F(StreamCommandsTest, AddRangeAndLength) {
  const std::string now = std::to_string(h_->now_ms());
  EXPECT_EQ(Run({"XADD", "s", "*", "a", "1"}), now + "-0");
  EXPECT_EQ(Run({"XADD", "s", "*", "b", "2"}), now + "-1");
  EXPECT_EQ(Run({"XADD", "s", now + "-*", "c", "3"}), now + "-2");
  EXPECT_EQ(Run({"XADD", "s", now, "c", "3"}),
            "-ERR The ID specified in XADD is equal or smaller than the target stream top item");
  EXPECT_EQ(Run({"XADD", "t", "0-0", "c", "3"}),
            "-ERR The ID specified in XADD must be greater than 0-0");
  EXPECT_EQ(Run({"XADD", "t", "1-x", "c", "3"}),
            "-ERR Invalid stream ID specified as stream command argument");
  EXPECT_EQ(Run({"XADD", "t", "*", "c"}), "-ERR wrong number of arguments for 'xadd' command");
  EXPECT_EQ(Run({"XADD", "t", "NOMKSTREAM", "*", "c", "3"}), "(nil)");
  EXPECT_EQ(Run({"EXISTS", "t"}), "0");
  EXPECT_EQ(Run({"XLEN", "s"}), "3");
  EXPECT_EQ(Run({"TYPE", "s"}), "stream");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "s"}), "stream");
  EXPECT_EQ(Run({"XRANGE", "s", "-", "+", "COUNT", "2"}),
            "[[" + now + "-0,[a,1]],[" + now + "-1,[b,2]]]");
  EXPECT_EQ(Run({"XREVRANGE", "s", "+", "(" + now + "-0"}),
            "[[" + now + "-2,[c,3]],[" + now + "-1,[b,2]]]");
  EXPECT_EQ(Run({"XRANGE", "s", "-", "+", "COUNT", "0"}), "(nil)");
  EXPECT_EQ(Run({"XRANGE", "missing", "-", "+"}), "[]");
  EXPECT_EQ(Run({"XRANGE", "s", "(-", "+"}),
            "-ERR Invalid stream ID specified as stream command argument");
  EXPECT_EQ(Run({"SET", "str", "v"}), "OK");
  EXPECT_EQ(Run({"XLEN", "str"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value");
}

TEST_F(StreamCommandsTest, DeleteTrimAndSetId) {
  for (int i = 1; i <= 10; ++i) {
    EXPECT_EQ(Run({"XADD", "s", std::to_string(i), "f", "v"}), std::to_string(i) + "-0");
  }
  EXPECT_EQ(Run({"XDEL", "s", "1", "5-0", "99"}), "2");
  EXPECT_EQ(Run({"XDEL", "missing", "bad-id"}), "0");  // the key is looked up first
  EXPECT_EQ(Run({"XTRIM", "s", "MAXLEN", "6"}), "2");
  EXPECT_EQ(Run({"XRANGE", "s", "-", "3"}), "[]");
  EXPECT_EQ(Run({"XTRIM", "s", "MINID", "8"}), "3");
  EXPECT_EQ(Run({"XTRIM", "s", "MAXLEN", "1", "LIMIT", "1"}),
            "-ERR syntax error, LIMIT cannot be used without the special ~ option");
  EXPECT_EQ(Run({"XTRIM", "s", "MAXLEN", "1", "MINID", "1"}),
            "-ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
  EXPECT_EQ(Run({"XTRIM", "s"}), "-ERR wrong number of arguments for 'xtrim' command");
  EXPECT_EQ(Run({"XTRIM", "s", "MAXLEN", "0"}), "3");
  EXPECT_EQ(Run({"EXISTS", "s"}), "1");  // an empty stream stays
  EXPECT_EQ(Run({"XLEN", "s"}), "0");
  EXPECT_EQ(Run({"XSETID", "s", "5"}), "OK");  // below the last ID: allowed on an empty stream
  EXPECT_EQ(Run({"XADD", "s", "6", "f", "v"}), "6-0");
  EXPECT_EQ(Run({"XSETID", "s", "5"}),
            "-ERR The ID specified in XSETID is smaller than the target stream top item");
  EXPECT_EQ(Run({"XSETID", "missing", "5"}), "-ERR no such key");
  EXPECT_EQ(Run({"XSETID", "s", "7", "ENTRIESADDED", "-1"}), "-ERR entries_added must be positive");
  EXPECT_EQ(Run({"XSETID", "s", "7", "0"}), "-ERR syntax error");
}

TEST_F(StreamCommandsTest, ApproximateTrimsRemoveWholeNodes) {
  // The default stream-node-max-entries: nodes of 100 entries.
  for (int i = 1; i <= 250; ++i) Run({"XADD", "s", std::to_string(i), "f", "v"});
  EXPECT_EQ(Run({"XTRIM", "s", "MAXLEN", "~", "200"}), "0");    // a node is 100 entries
  EXPECT_EQ(Run({"XTRIM", "s", "MAXLEN", "~", "140"}), "100");  // one whole node
  EXPECT_EQ(Run({"XADD", "s", "MINID", "~", "240", "251", "f", "v"}), "251-0");
  EXPECT_EQ(Run({"XLEN", "s"}), "51");  // the node 101..200 went, 201..251 stays
  EXPECT_EQ(Run({"XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "10"}), "0");
}

}  // namespace
}  // namespace larder::server
