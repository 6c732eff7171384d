// BlockingService through the dispatcher, with test-only blocking commands over the string keys
// of multi_test_util.h's fake keyspace: FIFO serving, several keys, timeouts, CLIENT UNBLOCK,
// close and RESET, MULTI/EXEC, re-blocking, chained serving, pipelined commands of a blocked
// client, ASYNC (non-pausing) waits, and replies held until the serving batch is durable.
#include "server/blocking.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <random>
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
  h_.Advance(100);  // due once the clock is past the deadline, as Redis
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

TEST_F(BlockingTest, AClientBeingClosedIsServedNothing) {
  auto a = h_.NewClient(), b = h_.NewClient(), w = h_.NewClient();
  h_.Send(a, {"TESTPOP", "k", "0"});
  h_.Send(b, {"TESTPOP", "k", "0"});
  a->RequestClose("killed");  // CLIENT KILL: its I/O thread has not closed it yet
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

// Random blocks, writes, timeouts, CLIENT UNBLOCK and closes of 6 clients over 4 keys, against a
// model: a write to a key serves the waiter on it that blocked first (it leaves every queue) or
// stays for the next TESTPOP; deadlines pass strictly; unblock and close end a wait.
TEST_F(BlockingTest, RandomOperationsMatchAModel) {
  struct Waiter {
    std::vector<std::string> keys;
    std::int64_t deadline = 0;
    std::uint64_t order = 0;
  };
  std::mt19937 rng(20261202);
  const std::vector<std::string> keys = {"a", "b", "c", "d"};
  std::vector<std::shared_ptr<Client>> clients;
  for (int i = 0; i < 6; ++i) clients.push_back(h_.NewClient());
  auto w = h_.NewClient();
  std::map<std::string, std::string> values;  // model keyspace
  std::map<Client*, Waiter> waiting;
  std::uint64_t order = 0;
  int served = 0, timed_out = 0, unblocked = 0, closed_blocked = 0;  // the test is not vacuous
  auto owner = [&](const Client* p) -> std::shared_ptr<Client> {
    for (const auto& x : clients) {
      if (x.get() == p) return x;
    }
    ADD_FAILURE() << "no such client";
    return w;
  };
  auto pick = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  };
  for (int step = 0; step < 3000; ++step) {
    const std::size_t op = pick(10);
    auto& c = clients[pick(clients.size())];
    if (op < 4) {  // TESTPOP some keys, maybe with a timeout
      if (waiting.contains(c.get())) continue;
      std::vector<std::string> args = {"TESTPOP"};
      std::vector<std::string> ks;
      for (std::size_t n = 1 + pick(3); n > 0; --n) ks.push_back(keys[pick(keys.size())]);
      args.insert(args.end(), ks.begin(), ks.end());
      const std::int64_t timeout = pick(2) == 0 ? 0 : static_cast<std::int64_t>(1 + pick(50));
      args.push_back(std::to_string(timeout));
      h_.Send(c, args);
      std::string reply;
      for (const std::string& k : ks) {
        auto it = values.find(k);
        if (it == values.end()) continue;
        reply = "[" + k + "," + it->second + "]";
        values.erase(it);
        break;
      }
      if (reply.empty()) {
        waiting[c.get()] = {ks, timeout > 0 ? h_.now_ms() + timeout : 0, ++order};
      }
      EXPECT_EQ(h_.Replies(c), reply) << "step " << step;
    } else if (op < 7) {  // a write
      const std::string k = keys[pick(keys.size())];
      const std::string v = std::to_string(step);
      h_.Send(w, {"SET", k, v});
      EXPECT_EQ(h_.Replies(w), "OK");
      Client* first = nullptr;
      for (auto& [client, wt] : waiting) {
        if (std::find(wt.keys.begin(), wt.keys.end(), k) == wt.keys.end()) continue;
        if (first == nullptr || wt.order < waiting[first].order) first = client;
      }
      if (first == nullptr) {
        values[k] = v;
      } else {
        waiting.erase(first);
        EXPECT_EQ(h_.Replies(owner(first)), "[" + k + "," + v + "]") << step;
        ++served;
      }
    } else if (op < 8) {  // time passes
      h_.Advance(static_cast<std::int64_t>(pick(30)));
      for (auto it = waiting.begin(); it != waiting.end();) {
        if (it->second.deadline != 0 && it->second.deadline < h_.now_ms()) {
          EXPECT_EQ(h_.Replies(owner(it->first)), "(nil)") << step;
          ++timed_out;
          it = waiting.erase(it);
        } else {
          ++it;
        }
      }
    } else if (op < 9) {  // CLIENT UNBLOCK
      h_.Send(w, {"CLIENT", "UNBLOCK", std::to_string(c->id())});
      const bool was_blocked = waiting.erase(c.get()) == 1;
      unblocked += was_blocked ? 1 : 0;
      EXPECT_EQ(h_.Replies(w), was_blocked ? "1" : "0") << step;
      EXPECT_EQ(h_.Replies(c), was_blocked ? "(nil)" : "") << step;
    } else {  // the connection closes; a new one takes its place
      h_.Close(c);
      closed_blocked += static_cast<int>(waiting.erase(c.get()));
      c = h_.NewClient();
    }
    EXPECT_EQ(h_.blocked_clients(), waiting.size()) << "step " << step;
  }
  EXPECT_GT(served, 100);
  EXPECT_GT(timed_out, 50);
  EXPECT_GT(unblocked, 50);
  EXPECT_GT(closed_blocked, 50);
}

}  // namespace
}  // namespace larder::server
