// XGROUP, XACK, XPENDING, XCLAIM and XAUTOCLAIM in-process over a real Keyspace: replies, errors
// and the pending-entry bookkeeping as Redis 7.0's. The harness's clock is fixed unless advanced,
// so idle times are exact.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/blocking_test_util.h"

namespace larder::server {
namespace {

void RegisterStreamGroupTestFamilies(CommandTable& table) {
  RegisterStreamCommands(table);
  RegisterKeyCommands(table);
  RegisterStringCommands(table);
}

class StreamGroupTest : public blocking_testing::EngineBlockingTest {
 protected:
  StreamGroupTest() : EngineBlockingTest({RegisterStreamGroupTestFamilies}) {}
  std::string Run(std::vector<std::string> argv) {
    if (!client_) client_ = h_->NewClient();
    h_->Send(client_, std::move(argv));
    return h_->Replies(client_);
  }
  // Entries 1-0..n-0 in stream s, a group g at 0, and c1 reading them all.
  void Fill(int n) {
    for (int i = 1; i <= n; ++i) Run({"XADD", "s", std::to_string(i), "f", std::to_string(i)});
    ASSERT_EQ(Run({"XGROUP", "CREATE", "s", "g", "0"}), "OK");
    Run({"XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", ">"});
  }
  std::shared_ptr<Client> client_;
};

TEST_F(StreamGroupTest, GroupLifecycleAndErrors) {
  EXPECT_EQ(Run({"XGROUP", "CREATE", "s", "g", "$"}),
            "-ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may "
            "want to use the MKSTREAM option to create an empty stream automatically.");
  EXPECT_EQ(Run({"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"}), "OK");
  EXPECT_EQ(Run({"XGROUP", "CREATE", "s", "g", "$"}),
            "-BUSYGROUP Consumer Group name already exists");
  EXPECT_EQ(Run({"XGROUP", "SETID", "s", "nope", "0"}),
            "-NOGROUP No such consumer group 'nope' for key name 's'");
  EXPECT_EQ(Run({"XGROUP", "CREATECONSUMER", "s", "g", "c"}), "1");
  EXPECT_EQ(Run({"XGROUP", "CREATECONSUMER", "s", "g", "c"}), "0");
  EXPECT_EQ(Run({"XGROUP", "CREATE", "s", "h", "0", "ENTRIESREAD", "-2"}),
            "-ERR value for ENTRIESREAD must be positive or -1");
  EXPECT_EQ(Run({"XGROUP", "HELP", "x"}),
            "-ERR wrong number of arguments for 'xgroup|help' command");
  EXPECT_EQ(Run({"XGROUP", "DELCONSUMER", "s", "g", "c"}), "0");
  EXPECT_EQ(Run({"XGROUP", "DESTROY", "s", "g"}), "1");
  EXPECT_EQ(Run({"XGROUP", "DESTROY", "s", "g"}), "0");
  EXPECT_EQ(Run({"XACK", "missing", "g", "1"}), "0");
  EXPECT_EQ(Run({"XPENDING", "s", "g"}), "-NOGROUP No such key 's' or consumer group 'g'");
}

TEST_F(StreamGroupTest, PendingAckAndDelConsumer) {
  Fill(4);
  EXPECT_EQ(Run({"XPENDING", "s", "g"}), "[4,1-0,4-0,[[c1,4]]]");
  EXPECT_EQ(Run({"XPENDING", "s", "g", "(1", "+", "2"}), "[[2-0,c1,0,1],[3-0,c1,0,1]]");
  EXPECT_EQ(Run({"XPENDING", "s", "g", "-", "+", "10", "nobody"}), "[]");
  EXPECT_EQ(Run({"XACK", "s", "g", "1", "1", "9"}), "1");
  EXPECT_EQ(Run({"XACK", "s", "g", "2", "bad"}),
            "-ERR Invalid stream ID specified as stream command argument");
  h_->Advance(100);
  EXPECT_EQ(Run({"XPENDING", "s", "g", "IDLE", "50", "-", "+", "10", "c1"}),
            "[[2-0,c1,100,1],[3-0,c1,100,1],[4-0,c1,100,1]]");
  // History: the consumer's own pending entries, delivery counts up.
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "g", "c1", "COUNT", "1", "STREAMS", "s", "0"}),
            "[[s,[[2-0,[f,2]]]]]");
  EXPECT_EQ(Run({"XPENDING", "s", "g", "-", "2", "1"}), "[[2-0,c1,0,2]]");
  EXPECT_EQ(Run({"XGROUP", "DELCONSUMER", "s", "g", "c1"}), "3");
  EXPECT_EQ(Run({"XPENDING", "s", "g"}), "[0,(nil),(nil),(nil)]");
}

TEST_F(StreamGroupTest, ClaimAndAutoClaim) {
  Fill(5);
  EXPECT_EQ(Run({"XCLAIM", "s", "g", "c2", "1000", "1"}), "[]");  // not idle enough
  h_->Advance(2000);
  EXPECT_EQ(Run({"XCLAIM", "s", "g", "c2", "1000", "1", "2", "JUSTID"}), "[1-0,2-0]");
  EXPECT_EQ(Run({"XCLAIM", "s", "g", "c2", "0", "3", "RETRYCOUNT", "7", "IDLE", "500"}),
            "[[3-0,[f,3]]]");
  EXPECT_EQ(Run({"XPENDING", "s", "g", "3", "3", "1"}), "[[3-0,c2,500,7]]");
  EXPECT_EQ(Run({"XCLAIM", "s", "g", "c2", "0", "1", "BOGUS"}),
            "-ERR Unrecognized XCLAIM option 'BOGUS'");
  EXPECT_EQ(Run({"XDEL", "s", "4"}), "1");
  EXPECT_EQ(Run({"XAUTOCLAIM", "s", "g", "c3", "0", "0", "COUNT", "2"}),
            "[3-0,[[1-0,[f,1]],[2-0,[f,2]]],[]]");
  EXPECT_EQ(Run({"XAUTOCLAIM", "s", "g", "c3", "0", "3", "JUSTID"}), "[0-0,[3-0,5-0],[4-0]]");
  EXPECT_EQ(Run({"XPENDING", "s", "g"}), "[4,1-0,5-0,[[c3,4]]]");
  EXPECT_EQ(Run({"XAUTOCLAIM", "s", "g", "c3", "0", "0", "COUNT", "0"}), "-ERR COUNT must be > 0");
  EXPECT_EQ(Run({"XCLAIM", "s", "g", "c4", "0", "4", "FORCE"}), "[]");  // deleted: not claimed
  EXPECT_EQ(Run({"XACK", "s", "g", "5"}), "1");
  EXPECT_EQ(Run({"XCLAIM", "s", "g", "c4", "0", "5", "FORCE", "JUSTID"}), "[5-0]");
  EXPECT_EQ(Run({"XPENDING", "s", "g", "5", "5", "1"}), "[[5-0,c4,0,1]]");
}

}  // namespace
}  // namespace larder::server
