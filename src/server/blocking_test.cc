// BlockingService through the dispatcher, with test-only blocking commands over the string keys
// of multi_test_util.h's fake keyspace: FIFO serving, several keys, timeouts, CLIENT UNBLOCK,
// close and RESET, MULTI/EXEC, re-blocking, chained serving, pipelined commands of a blocked
// client, ASYNC (non-pausing) waits, and replies held until the serving batch is durable.
#include "server/blocking.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "server/blocking_test_util.h"
#include "server/multi_test_util.h"

namespace larder::server {
namespace {

using blocking_testing::BlockingHarness;
using blocking_testing::GatedKeyspace;
using blocking_testing::RegisterBlockingTestCommands;
using blocking_testing::Unblocks;
using multi_testing::FakeKeyspace;

class BlockingTest : public ::testing::Test {
 protected:
  BlockingTest() : gated_(&fake_), h_(&gated_, {RegisterBlockingTestCommands}) {
    Unblocks().clear();
  }
  std::string Flags(const std::shared_ptr<Client>& c) {
    MutexLock lock(&h_.server().exec_mutex());
    return c->Flags();
  }

  FakeKeyspace fake_;
  GatedKeyspace gated_;
  BlockingHarness h_;
};

TEST_F(BlockingTest, ServesClientsInTheOrderTheyBlocked) {
  auto a = h_.NewClient(), b = h_.NewClient(), c = h_.NewClient(), w = h_.NewClient();
  for (const auto& x : {a, b, c}) h_.Send(x, {"TESTPOP", "k", "0"});
  EXPECT_EQ(h_.Replies(a), "");
  EXPECT_EQ(h_.blocked_clients(), 3u);
  EXPECT_EQ(Flags(a), "b");
  h_.Send(w, {"SET", "k", "1"});
  EXPECT_EQ(h_.Replies(w), "OK");
  EXPECT_EQ(h_.Replies(a), "[k,1]");
  EXPECT_EQ(h_.Replies(b), "");
  EXPECT_EQ(Flags(a), "N");
  h_.Send(w, {"SET", "k", "2"});
  h_.Send(w, {"SET", "k", "3"});
  EXPECT_EQ(h_.Replies(b), "[k,2]");
  EXPECT_EQ(h_.Replies(c), "[k,3]");
  EXPECT_EQ(h_.blocked_clients(), 0u);
  h_.Send(w, {"GET", "k"});
  EXPECT_EQ(h_.Replies(w), "OK | OK | (nil)");
  EXPECT_TRUE(Unblocks().empty());  // served waits call no on_unblock
}

TEST_F(BlockingTest, SeveralKeysFirstReadyKeyServesAndLeavesEveryQueue) {
  auto a = h_.NewClient(), b = h_.NewClient(), w = h_.NewClient();
  h_.Send(a, {"TESTPOP", "k1", "k2", "k1", "0"});  // a duplicate key is waited on once
  h_.Send(b, {"TESTPOP", "k2", "0"});
  {
    MutexLock lock(&h_.server().exec_mutex());
    BlockingService& s = h_.server().Service<BlockingService>();
    EXPECT_EQ(s.Waiters(WaitKey{0, "k1"}), std::vector<Client*>{a.get()});
    EXPECT_EQ(s.Waiters(WaitKey{0, "k2"}), (std::vector<Client*>{a.get(), b.get()}));
  }
  h_.Send(w, {"SET", "k2", "x"});
  EXPECT_EQ(h_.Replies(a), "[k2,x]");
  EXPECT_EQ(h_.Replies(b), "");
  h_.Send(w, {"SET", "k1", "y"});  // a waits no more on k1
  h_.Send(w, {"GET", "k1"});
  EXPECT_EQ(h_.Replies(w), "OK | OK | y");
  h_.Send(w, {"SET", "k2", "z"});
  EXPECT_EQ(h_.Replies(b), "[k2,z]");
}

TEST_F(BlockingTest, WaitsInTheDatabaseItBlockedIn) {
  auto a = h_.NewClient(), w = h_.NewClient();
  h_.Send(a, {"TESTPOP", "k", "0"});
  h_.Send(w, {"SWAPDB", "0", "1"});  // a flush/swap reports the whole database
  EXPECT_EQ(h_.Replies(a), "");
  fake_.fake(1).data["k"] = {"v", 0};
  h_.Send(w, {"SWAPDB", "0", "1"});
  EXPECT_EQ(h_.Replies(a), "[k,v]");
}

TEST_F(BlockingTest, TimesOutWithTheTimeoutReply) {
  auto a = h_.NewClient(), b = h_.NewClient();
  h_.Send(a, {"TESTPOP", "k", "100"});
  h_.Send(b, {"TESTPOP", "k", "0"});
  {
    MutexLock lock(&h_.server().exec_mutex());
    EXPECT_EQ(h_.server().blocking_service()->next_deadline_ms(), h_.now_ms() + 100);
  }
  h_.Advance(99);
  EXPECT_EQ(h_.Replies(a), "");
  EXPECT_TRUE(h_.blocked(a));
  h_.Advance(1);
  EXPECT_EQ(h_.Replies(a), "(nil)");
  EXPECT_FALSE(h_.blocked(a));
  EXPECT_TRUE(h_.blocked(b));  // no timeout
  EXPECT_EQ(h_.server().blocking_service()->next_deadline_ms(), 0);
  EXPECT_EQ(Unblocks(), std::vector<UnblockReason>{UnblockReason::kTimeout});
  h_.Send(a, {"PING"});  // the connection runs commands again
  EXPECT_EQ(h_.Replies(a), "PONG");
}

TEST_F(BlockingTest, ClientUnblockTimeoutAndError) {
  auto a = h_.NewClient(), w = h_.NewClient();
  const std::string id = std::to_string(a->id());
  h_.Send(a, {"TESTPOP", "k", "0"});
  h_.Send(w, {"CLIENT", "UNBLOCK", id, "BOGUS"});
  h_.Send(w, {"CLIENT", "UNBLOCK", "x"});
  EXPECT_EQ(h_.Replies(w),
            "-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR | -ERR value is not an integer "
            "or out of range");
  h_.Send(w, {"CLIENT", "UNBLOCK", id});
  EXPECT_EQ(h_.Replies(w), "1");
  EXPECT_EQ(h_.Replies(a), "(nil)");
  h_.Send(w, {"CLIENT", "UNBLOCK", id});
  h_.Send(w, {"CLIENT", "UNBLOCK", "999"});
  EXPECT_EQ(h_.Replies(w), "0 | 0");
  h_.Send(a, {"TESTPOP", "k", "0"});
  h_.Send(w, {"CLIENT", "UNBLOCK", id, "ERROR"});
  EXPECT_EQ(h_.Replies(w), "1");
  EXPECT_EQ(h_.Replies(a), "-UNBLOCKED client unblocked via CLIENT UNBLOCK");
  EXPECT_EQ(Unblocks(), (std::vector<UnblockReason>{UnblockReason::kUnblockTimeout,
                                                    UnblockReason::kUnblockError}));
  const auto stats = h_.server().CommandStatsSnapshot();
  ASSERT_TRUE(stats.contains("testpop"));
  EXPECT_EQ(stats.at("testpop").calls, 2u);  // counted when each wait ended
  EXPECT_EQ(stats.at("testpop").failed_calls, 1u);
}

TEST_F(BlockingTest, ClosedWhileBlockedLeavesTheQueues) {
  auto a = h_.NewClient(), b = h_.NewClient(), w = h_.NewClient();
  h_.Send(a, {"TESTPOP", "k", "0"});
  h_.Send(b, {"TESTPOP", "k", "0"});
  h_.Close(a);
  EXPECT_EQ(Unblocks(), std::vector<UnblockReason>{UnblockReason::kClosed});
  EXPECT_EQ(h_.blocked_clients(), 1u);
  h_.Send(w, {"SET", "k", "v"});
  EXPECT_EQ(h_.Replies(a), "");
  EXPECT_EQ(h_.Replies(b), "[k,v]");
}

TEST_F(BlockingTest, InsideExecABlockingCommandRepliesAsOnATimeout) {
  auto a = h_.NewClient(), w = h_.NewClient();
  h_.Send(a, {"MULTI"});
  h_.Send(a, {"TESTPOP", "k", "0"});
  h_.Send(a, {"EXEC"});
  EXPECT_EQ(h_.Replies(a), "OK | QUEUED | [(nil)]");
  EXPECT_FALSE(h_.blocked(a));
  // A transaction is served as a whole: a blocked client sees only its end state.
  h_.Send(a, {"TESTPOP", "k", "0"});
  h_.Send(w, {"MULTI"});
  h_.Send(w, {"SET", "k", "1"});
  h_.Send(w, {"DEL", "k"});
  h_.Send(w, {"EXEC"});
  EXPECT_EQ(h_.Replies(w), "OK | QUEUED | QUEUED | [OK,1]");
  EXPECT_EQ(h_.Replies(a), "");
  h_.Send(w, {"MULTI"});
  h_.Send(w, {"SET", "k", "1"});
  h_.Send(w, {"SET", "k", "2"});
  h_.Send(w, {"EXEC"});
  EXPECT_EQ(h_.Replies(a), "[k,2]");
}

TEST_F(BlockingTest, AReRunThatBlocksAgainKeepsItsPlace) {
  auto a = h_.NewClient(), b = h_.NewClient(), c = h_.NewClient(), w = h_.NewClient();
  h_.Send(a, {"TESTPOP", "k", "0"});
  h_.Send(b, {"TESTPOP", "k", "0"});
  h_.Send(w, {"SET", "k", "wait"});  // both re-run, both block again
  h_.Send(c, {"TESTPOP", "k", "0"});
  EXPECT_EQ(h_.blocked_clients(), 3u);
  h_.Send(w, {"SET", "k", "1"});
  EXPECT_EQ(h_.Replies(a), "[k,1]");
  h_.Send(w, {"SET", "k", "2"});
  EXPECT_EQ(h_.Replies(b), "[k,2]");
  EXPECT_EQ(h_.Replies(c), "");
  const auto stats = h_.server().CommandStatsSnapshot();
  EXPECT_EQ(stats.at("testpop").calls, 2u);  // re-blocks are not calls
}

TEST_F(BlockingTest, ARerunsWritesServeTheNextKeysClients) {
  auto a = h_.NewClient(), b = h_.NewClient(), w = h_.NewClient();
  h_.Send(a, {"TESTMOVE", "src", "dst"});
  h_.Send(b, {"TESTPOP", "dst", "0"});
  h_.Send(w, {"SET", "src", "v"});
  EXPECT_EQ(h_.Replies(a), "v");
  EXPECT_EQ(h_.Replies(b), "[dst,v]");
  EXPECT_EQ(gated_.waits(), 3);  // one batch per command: the SET served both
}

TEST_F(BlockingTest, PipelinedCommandsWaitForTheBlockedOne) {
  auto a = h_.NewClient(), w = h_.NewClient();
  h_.Send(a, {"TESTPOP", "k", "0"});
  h_.Send(a, {"PING"});
  h_.Send(a, {"GET", "k"});
  EXPECT_EQ(h_.Replies(a), "");
  h_.Send(w, {"SET", "k", "v"});
  EXPECT_EQ(h_.Replies(a), "[k,v] | PONG | (nil)");
}

TEST_F(BlockingTest, ServedRepliesWaitUntilTheServingBatchIsDurable) {
  auto a = h_.NewClient(), w = h_.NewClient();
  h_.Send(a, {"TESTPOP", "k", "0"});
  int checked = 0;
  gated_.on_wait_durable = [&] {
    EXPECT_EQ(a->output_bytes(), 0u) << "served reply delivered before the batch was durable";
    EXPECT_FALSE(a->blocked);  // served under the lock...
    EXPECT_TRUE(a->paused());  // ...but the connection resumes only after the delivery
    ++checked;
  };
  h_.Send(w, {"SET", "k", "v"});
  gated_.on_wait_durable = nullptr;
  EXPECT_EQ(checked, 1);
  EXPECT_FALSE(a->paused());
  EXPECT_EQ(h_.Replies(a), "[k,v]");
}

TEST_F(BlockingTest, AsyncWaitsKeepTheConnectionRunning) {
  auto a = h_.NewClient(3), w = h_.NewClient();
  h_.Send(a, {"TESTASYNC", "k1"});
  h_.Send(a, {"TESTASYNC", "k2"});
  h_.Send(a, {"PING"});
  EXPECT_EQ(h_.Replies(a), "QUEUED | QUEUED | PONG");
  EXPECT_FALSE(a->paused());
  EXPECT_EQ(h_.blocked_clients(), 0u);  // not a paused client
  h_.Send(w, {"SET", "k2", "wait"});    // re-runs silently
  EXPECT_EQ(h_.Replies(a), "");
  h_.Send(w, {"SET", "k2", "v"});
  EXPECT_EQ(h_.Replies(a), "[k2,v]");
  h_.Send(a, {"RESET"});
  EXPECT_EQ(h_.Replies(a), "RESET");
  EXPECT_EQ(Unblocks(), std::vector<UnblockReason>{UnblockReason::kReset});
  h_.Send(w, {"SET", "k1", "v"});
  EXPECT_EQ(h_.Replies(a), "");
}

}  // namespace
}  // namespace larder::server
