// In-process tests of the lock commands' paths that do not wait (one client; waiting and
// contention are tested against a running larderd in tests/server/locks_test.py).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/command_test_util.h"
#include "server/lock_service.h"

namespace larder::server {
namespace {

using testing::Backing;
using testing::CommandHarness;

class LockCommandsTest : public ::testing::Test {
 protected:
  LockCommandsTest()
      : h_(Backing::kEngine, {RegisterLockCommands, RegisterStringCommands, RegisterKeyCommands,
                              RegisterHashCommands}) {}

  // LOCK.ACQUIRE's reply "[token,fencing,state]", split.
  std::vector<std::string> Acquire(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"LOCK.ACQUIRE", "l"};
    args.insert(args.end(), extra.begin(), extra.end());
    const std::string reply = h_.Run(args);
    std::vector<std::string> parts = testing::SplitFlatReply(reply);
    EXPECT_EQ(parts.size(), 3u) << reply;
    parts.resize(3);
    return parts;
  }

  CommandHarness h_;
};

TEST_F(LockCommandsTest, AcquireReleaseAndFencingGrows) {
  auto g1 = Acquire();
  EXPECT_EQ(g1[1], "1");
  EXPECT_EQ(g1[2], "(nil)");
  EXPECT_GE(g1[0].size(), 34u);
  EXPECT_EQ(h_.Run({"LOCK.ACQUIRE", "l"}), "-ERR this connection already holds lock 'l'");
  EXPECT_EQ(h_.Run({"LOCK.RELEASE", "l", "forged"}), "-NOTHOLDER the token does not hold lock 'l'");
  EXPECT_EQ(h_.Run({"LOCK.LIST"}), "[l]");
  EXPECT_EQ(h_.Run({"LOCK.RELEASE", "l", g1[0]}), "1");
  EXPECT_EQ(h_.Run({"LOCK.RELEASE", "l", g1[0]}), "-NOTHOLDER the token does not hold lock 'l'");
  EXPECT_EQ(h_.Run({"LOCK.LIST"}), "[]");
  auto g2 = Acquire();
  EXPECT_EQ(g2[1], "2");
  EXPECT_NE(g2[0], g1[0]);
}

TEST_F(LockCommandsTest, StateIsTheKeysValueAndMustBeAString) {
  h_.SetString("s", "v1");
  EXPECT_EQ(Acquire({"STATE", "s"})[2], "v1");
  EXPECT_EQ(h_.Run({"HSET", "h", "f", "v"}), "1");
  EXPECT_EQ(h_.Run({"LOCK.ACQUIRE", "m", "STATE", "h"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value");
  EXPECT_EQ(h_.Run({"LOCK.LIST"}), "[l]");
}

TEST_F(LockCommandsTest, WriteReleaseWritesAndReleasesOrNothing) {
  h_.SetString("s", "old");
  auto g = Acquire({"STATE", "s"});
  EXPECT_EQ(h_.Run({"LOCK.WRITERELEASE", "l", "bad", "s", "new"}),
            "-NOTHOLDER the token does not hold lock 'l'");
  EXPECT_EQ(h_.Run({"GET", "s"}), "old");
  EXPECT_EQ(h_.Run({"LOCK.WRITERELEASE", "l", g[0], "s", "new"}), "1");
  EXPECT_EQ(h_.Run({"GET", "s"}), "new");
  EXPECT_EQ(h_.Run({"LOCK.INFO", "l"}), "[holder,(nil),waiters,[]]");
  EXPECT_EQ(Acquire({"STATE", "s"})[2], "new");
}

TEST_F(LockCommandsTest, NowaitRefusalIsTheNullArray) {
  auto g = Acquire({"LEASE", "1000", "OWNER", "me"});
  // The same connection may not ask again; the holder's lease does not change that.
  EXPECT_EQ(h_.Run({"LOCK.ACQUIRE", "l", "NOWAIT"}), "-ERR this connection already holds lock 'l'");
  EXPECT_EQ(h_.Run({"LOCK.ACQUIRE", "l", "ASYNC"}),
            "-ERR LOCK.ACQUIRE ASYNC needs RESP3: send HELLO 3 first");
  EXPECT_EQ(h_.Run({"LOCK.ACQUIRE", "l", "TIMEOUT", "-1"}), "-ERR timeout is out of range");
  EXPECT_EQ(h_.Run({"LOCK.ACQUIRE", "l", "LEASE", "0"}), "-ERR lease is out of range");
  EXPECT_EQ(h_.Run({"LOCK.ACQUIRE", "l", "BOGUS"}), "-ERR syntax error");
  EXPECT_EQ(h_.Run({"LOCK.RELEASE", "l", g[0]}), "1");
}

TEST_F(LockCommandsTest, LeasesEndAndExtendMovesTheEnd) {
  auto g = Acquire({"LEASE", "1000", "OWNER", "me"});
  h_.Advance(600);
  EXPECT_EQ(h_.Run({"LOCK.INFO", "l"}),
            "[holder,[owner,me,client-id,1,held-ms,600,lease-ms,400,fencing,1],waiters,[]]");
  EXPECT_EQ(h_.Run({"LOCK.EXTEND", "l", g[0], "1000"}), "1");
  h_.Advance(900);
  EXPECT_EQ(h_.Run({"LOCK.LIST"}), "[l]");
  h_.Advance(100);
  EXPECT_EQ(h_.Run({"LOCK.LIST"}), "[]");
  EXPECT_EQ(h_.Run({"LOCK.EXTEND", "l", g[0], "1000"}),
            "-NOTHOLDER the token does not hold lock 'l'");
}

TEST_F(LockCommandsTest, DoRunsTheCommandOnlyForTheHolder) {
  auto g = Acquire();
  EXPECT_EQ(h_.Run({"LOCK.DO", "l", "nope", "SET", "k", "v"}),
            "-NOTHOLDER the token does not hold lock 'l'");
  EXPECT_EQ(h_.Run({"GET", "k"}), "(nil)");
  EXPECT_EQ(h_.Run({"LOCK.DO", "l", g[0], "SET", "k", "v"}), "OK");
  EXPECT_EQ(h_.Run({"LOCK.DO", "l", g[0], "GET", "k"}), "v");
  EXPECT_EQ(h_.Run({"LOCK.DO", "l", g[0], "LOCK.RELEASE", "l", g[0]}),
            "-ERR 'lock.release' cannot run inside LOCK.DO");
  EXPECT_EQ(h_.Run({"LOCK.DO", "l", g[0], "GET"}),
            "-ERR wrong number of arguments for 'get' command");
}

TEST_F(LockCommandsTest, InfoOfAFreeLockAndListPattern) {
  EXPECT_EQ(h_.Run({"LOCK.INFO", "none"}), "[holder,(nil),waiters,[]]");
  Acquire();
  EXPECT_EQ(h_.Run({"LOCK.ACQUIRE", "other"}).substr(0, 1), "[");
  EXPECT_EQ(h_.Run({"LOCK.LIST", "o*"}), "[other]");
  EXPECT_EQ(h_.Run({"LOCK.LIST"}), "[l,other]");
}

}  // namespace
}  // namespace larder::server
