// MULTI/EXEC/DISCARD/WATCH/UNWATCH through the dispatcher over a fake keyspace: queueing, errors
// as Redis 7.0 words them, EXECABORT, WATCH against other clients' and own writes, expiry, and
// the FLUSHDB/FLUSHALL/SWAPDB rules.
#include <gtest/gtest.h>

#include <string>

#include "larder/clock.h"
#include "server/multi_test_util.h"
#include "server/transaction.h"
#include "tests/util/temp_dir.h"

namespace larder::server {
namespace {

using multi_testing::MultiHarness;

constexpr std::string_view kNull2 = "*-1\r\n";

TEST(TransactionCommandsTest, QueuesThenRunsInOrder) {
  MultiHarness h;
  Client& c = h.NewClient();
  EXPECT_EQ(h.Run(c, {"MULTI"}), "+OK\r\n");
  EXPECT_EQ(h.Run(c, {"set", "k", "v"}), "+QUEUED\r\n");
  EXPECT_EQ(h.Run(c, {"get", "k"}), "+QUEUED\r\n");
  EXPECT_EQ(h.Run(c, {"del", "nope"}), "+QUEUED\r\n");
  EXPECT_EQ(h.keyspace().fake(0).data.count("k"), 0u);  // nothing ran yet
  EXPECT_EQ(h.Run(c, {"exec"}), "*3\r\n+OK\r\n$1\r\nv\r\n:0\r\n");
  EXPECT_FALSE(c.multi.active);
  EXPECT_EQ(h.Run(c, {"get", "k"}), "$1\r\nv\r\n");
}

TEST(TransactionCommandsTest, ErrorsAsRedis) {
  MultiHarness h;
  Client& c = h.NewClient();
  EXPECT_EQ(h.Run(c, {"exec"}), "-ERR EXEC without MULTI\r\n");
  EXPECT_EQ(h.Run(c, {"discard"}), "-ERR DISCARD without MULTI\r\n");
  EXPECT_EQ(h.Run(c, {"multi"}), "+OK\r\n");
  EXPECT_EQ(h.Run(c, {"multi"}), "-ERR MULTI calls can not be nested\r\n");
  EXPECT_EQ(h.Run(c, {"watch", "k"}), "-ERR WATCH inside MULTI is not allowed\r\n");
  // Neither error aborts the transaction.
  EXPECT_EQ(h.Run(c, {"set", "k", "1"}), "+QUEUED\r\n");
  EXPECT_EQ(h.Run(c, {"exec"}), "*1\r\n+OK\r\n");
}

TEST(TransactionCommandsTest, RejectedCommandAbortsExec) {
  MultiHarness h;
  Client& c = h.NewClient();
  h.Run(c, {"multi"});
  h.Run(c, {"set", "k", "1"});
  EXPECT_EQ(h.Run(c, {"get"}), "-ERR wrong number of arguments for 'get' command\r\n");
  EXPECT_EQ(h.Run(c, {"exec"}), "-EXECABORT Transaction discarded because of previous errors.\r\n");
  EXPECT_EQ(h.keyspace().fake(0).data.count("k"), 0u);
  EXPECT_FALSE(c.multi.active);
  // The next transaction starts clean.
  h.Run(c, {"multi"});
  h.Run(c, {"set", "k", "2"});
  EXPECT_EQ(h.Run(c, {"exec"}), "*1\r\n+OK\r\n");
}

TEST(TransactionCommandsTest, DiscardDropsTheQueueAndTheWatches) {
  MultiHarness h;
  Client& c = h.NewClient();
  Client& other = h.NewClient();
  h.Run(c, {"watch", "w"});
  h.Run(c, {"multi"});
  h.Run(c, {"set", "k", "1"});
  EXPECT_EQ(h.Run(c, {"discard"}), "+OK\r\n");
  EXPECT_EQ(h.keyspace().fake(0).data.count("k"), 0u);
  h.Run(other, {"set", "w", "x"});  // no longer watched
  h.Run(c, {"multi"});
  EXPECT_EQ(h.Run(c, {"exec"}), "*0\r\n");
}

TEST(TransactionCommandsTest, WatchedKeyWrittenByAnotherClientFailsExec) {
  MultiHarness h;
  Client& c = h.NewClient();
  Client& other = h.NewClient();
  h.Run(c, {"set", "k", "0"});
  EXPECT_EQ(h.Run(c, {"watch", "k", "k2"}), "+OK\r\n");
  EXPECT_EQ(c.watched_keys.size(), 2u);
  h.Run(other, {"set", "k", "1"});
  EXPECT_TRUE(c.watch_dirty);
  EXPECT_NE(c.Flags().find('d'), std::string::npos);
  h.Run(c, {"multi"});
  h.Run(c, {"set", "k", "2"});
  EXPECT_EQ(h.Run(c, {"exec"}), kNull2);
  EXPECT_EQ(h.keyspace().fake(0).data["k"].value, "1");
  EXPECT_TRUE(c.watched_keys.empty());
  EXPECT_FALSE(c.watch_dirty);
  // EXEC unwatched everything: a second transaction succeeds.
  h.Run(other, {"set", "k", "3"});
  h.Run(c, {"multi"});
  EXPECT_EQ(h.Run(c, {"exec"}), "*0\r\n");
}

TEST(TransactionCommandsTest, NullArrayInResp3) {
  MultiHarness h;
  Client& c = h.NewClient(3);
  h.Run(c, {"watch", "k"});
  h.Run(c, {"set", "k", "own write"});  // the watcher's own write counts too
  h.Run(c, {"multi"});
  EXPECT_EQ(h.Run(c, {"exec"}), "_\r\n");
}

TEST(TransactionCommandsTest, UnwatchAndOtherDatabases) {
  MultiHarness h;
  Client& c = h.NewClient();
  Client& other = h.NewClient();
  h.Run(c, {"watch", "k"});
  h.Run(other, {"select", "1"});
  h.Run(other, {"set", "k", "db1"});  // same name, another database
  h.Run(c, {"multi"});
  EXPECT_EQ(h.Run(c, {"exec"}), "*0\r\n");
  h.Run(c, {"watch", "k"});
  EXPECT_EQ(h.Run(c, {"unwatch"}), "+OK\r\n");
  h.Run(other, {"select", "0"});
  h.Run(other, {"set", "k", "x"});
  h.Run(c, {"multi"});
  EXPECT_EQ(h.Run(c, {"exec"}), "*0\r\n");
}

TEST(TransactionCommandsTest, WatchedKeyThatExpiresFailsExec) {
  MultiHarness h;
  Client& c = h.NewClient();
  h.Run(c, {"set", "k", "v", "px", "100"});
  h.Run(c, {"watch", "k"});
  h.keyspace().now_ms += 200;  // expired, never modified
  h.Run(c, {"multi"});
  EXPECT_EQ(h.Run(c, {"exec"}), kNull2);
  // A key already expired at WATCH is just absent.
  h.Run(c, {"set", "gone", "v", "px", "100"});
  h.keyspace().now_ms += 200;
  h.Run(c, {"watch", "gone"});
  h.Run(c, {"get", "gone"});  // reclaims it
  h.Run(c, {"multi"});
  EXPECT_EQ(h.Run(c, {"exec"}), "*0\r\n");
}

TEST(TransactionCommandsTest, FlushTouchesOnlyWatchedKeysThatExisted) {
  for (std::string_view flush : {"flushdb", "flushall"}) {
    MultiHarness h;
    Client& c = h.NewClient();
    Client& other = h.NewClient();
    h.Run(c, {"set", "present", "v"});
    h.Run(c, {"watch", "absent"});
    h.Run(other, {flush});
    h.Run(c, {"multi"});
    EXPECT_EQ(h.Run(c, {"exec"}), "*0\r\n") << flush;
    h.Run(c, {"set", "present", "v"});
    h.Run(c, {"watch", "present"});
    h.Run(other, {flush});
    h.Run(c, {"multi"});
    EXPECT_EQ(h.Run(c, {"exec"}), kNull2) << flush;
  }
}

TEST(TransactionCommandsTest, SwapDbTouchesKeysThatExistInEitherDatabase) {
  MultiHarness h;
  Client& c = h.NewClient();
  Client& other = h.NewClient();
  // Absent in both: untouched.
  h.Run(c, {"watch", "k"});
  h.Run(other, {"swapdb", "0", "1"});
  h.Run(c, {"multi"});
  EXPECT_EQ(h.Run(c, {"exec"}), "*0\r\n");
  // Absent in the watched db, present in the other: touched.
  h.Run(other, {"select", "1"});
  h.Run(other, {"set", "k", "v"});
  h.Run(c, {"watch", "k"});
  h.Run(other, {"swapdb", "0", "1"});
  h.Run(c, {"multi"});
  EXPECT_EQ(h.Run(c, {"exec"}), kNull2);
  // Present in the watched db (now db 0 holds k), absent in the other: touched.
  h.Run(c, {"watch", "k"});
  h.Run(other, {"swapdb", "0", "2"});
  h.Run(c, {"multi"});
  EXPECT_EQ(h.Run(c, {"exec"}), kNull2);
  // A swap of two other databases: untouched.
  h.Run(c, {"watch", "k"});
  h.Run(other, {"swapdb", "1", "3"});
  h.Run(c, {"multi"});
  EXPECT_EQ(h.Run(c, {"exec"}), "*0\r\n");
}

TEST(TransactionCommandsTest, ExecRunsSelectAndOwnWritesWithoutTouchingItself) {
  MultiHarness h;
  Client& c = h.NewClient();
  h.Run(c, {"watch", "k"});
  h.Run(c, {"multi"});
  h.Run(c, {"set", "k", "0"});
  h.Run(c, {"select", "2"});
  h.Run(c, {"set", "k", "2"});
  EXPECT_EQ(h.Run(c, {"exec"}), "*3\r\n+OK\r\n+OK\r\n+OK\r\n");
  EXPECT_EQ(h.keyspace().fake(0).data["k"].value, "0");
  EXPECT_EQ(h.keyspace().fake(2).data["k"].value, "2");
  EXPECT_EQ(c.db, 2);
}

TEST(TransactionCommandsTest, ClosingClientForgetsItsWatches) {
  MultiHarness h;
  Client& c = h.NewClient();
  h.Run(c, {"watch", "a", "b"});
  const WatchRegistry& reg = h.server().Service<TransactionService>().registry();
  EXPECT_EQ(reg.TotalWatchedKeys(), 2u);
  h.Close(c);
  EXPECT_EQ(reg.TotalWatchedKeys(), 0u);
}

// Over the real keyspace: its modification reports reach WATCH, and an EXEC of several writes is
// one log record (one unit for recovery) whose writes all survive a reopen.
TEST(TransactionCommandsTest, OverTheRealKeyspace) {
  test::TempDir dir;
  ManualClock clock{ManualClock::SleepMode::kAdvance, 0, 1'700'000'000'000'000};
  KeyspaceOptions options;
  options.dir = dir.File("data");
  options.clock = &clock;
  options.appendfsync = AppendFsync::kAlways;
  {
    auto ks = Keyspace::Open(options);
    ASSERT_TRUE(ks.ok()) << ks.status().ToString();
    {
      MultiHarness h(ks->get());
      Client& c = h.NewClient();
      Client& other = h.NewClient();
      h.Run(c, {"set", "w", "0"});
      h.Run(c, {"watch", "w"});
      h.Run(other, {"set", "w", "1"});
      h.Run(c, {"multi"});
      h.Run(c, {"set", "a", "lost"});
      EXPECT_EQ(h.Run(c, {"exec"}), kNull2);
      h.Run(c, {"watch", "absent"});
      h.Run(other, {"flushall"});
      h.Run(c, {"multi"});
      EXPECT_EQ(h.Run(c, {"exec"}), "*0\r\n");

      const std::uint64_t commits = (*ks)->stats().commits;
      h.Run(c, {"multi"});
      for (std::string_view k : {"a", "b", "c"}) h.Run(c, {"set", k, k});
      EXPECT_EQ((*ks)->stats().commits, commits);  // queued only
      EXPECT_EQ(h.Run(c, {"exec"}), "*3\r\n+OK\r\n+OK\r\n+OK\r\n");
      EXPECT_EQ((*ks)->stats().commits, commits + 1);
    }
    ASSERT_TRUE((*ks)->Close().ok());
  }
  auto ks = Keyspace::Open(options);
  ASSERT_TRUE(ks.ok()) << ks.status().ToString();
  MultiHarness h(ks->get());
  Client& c = h.NewClient();
  EXPECT_EQ(h.Run(c, {"get", "a"}), "$1\r\na\r\n");
  EXPECT_EQ(h.Run(c, {"get", "c"}), "$1\r\nc\r\n");
  ASSERT_TRUE((*ks)->Close().ok());
}

}  // namespace
}  // namespace larder::server
