// BZPOPMIN BZPOPMAX BZMPOP through the dispatcher and BlockingService (BlockingHarness), over a
// real Keyspace: first come first served, the ready key served, wrong types, timeouts, MULTI.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "server/blocking_test_util.h"
#include "server/command.h"

namespace larder::server {
namespace {

using blocking_testing::BlockingHarness;

void RegisterZSetTestFamilies(CommandTable& table) {
  RegisterZSetCommands(table);
  RegisterKeyCommands(table);
  RegisterStringCommands(table);
  RegisterTransactionCommands(table);
}

class ZSetBlockingTest : public blocking_testing::EngineBlockingTest {
 protected:
  ZSetBlockingTest() : EngineBlockingTest({RegisterZSetTestFamilies}) {}
};

TEST_F(ZSetBlockingTest, ClientsAreServedInTheOrderTheyBlocked) {
  auto a = h_->NewClient(), b = h_->NewClient(), c = h_->NewClient(), w = h_->NewClient();
  h_->Send(a, {"BZPOPMIN", "z", "0"});
  h_->Send(b, {"BZPOPMAX", "z", "other", "0"});
  h_->Send(c, {"BZMPOP", "0", "1", "z", "MIN", "COUNT", "5"});
  EXPECT_EQ(h_->blocked_clients(), 3u);
  h_->Send(w, {"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"});
  EXPECT_EQ(h_->Replies(w), "4");
  EXPECT_EQ(h_->Replies(a), "[z,a,1]");
  EXPECT_EQ(h_->Replies(b), "[z,d,4]");
  EXPECT_EQ(h_->Replies(c), "[z,[[b,2],[c,3]]]");
  EXPECT_EQ(h_->blocked_clients(), 0u);
  h_->Send(w, {"EXISTS", "z"});
  EXPECT_EQ(h_->Replies(w), "0");
}

TEST_F(ZSetBlockingTest, ServedFromTheKeyThatBecameReady) {
  auto a = h_->NewClient(), w = h_->NewClient();
  h_->Send(a, {"BZPOPMIN", "z1", "z0", "0"});
  h_->Send(w, {"MULTI"});
  h_->Send(w, {"ZADD", "z0", "1", "x"});
  h_->Send(w, {"ZADD", "z1", "5", "q"});
  h_->Send(w, {"EXEC"});
  EXPECT_EQ(h_->Replies(w), "OK | QUEUED | QUEUED | [1,1]");
  EXPECT_EQ(h_->Replies(a), "[z0,x,1]");
}

TEST_F(ZSetBlockingTest, AKeyOfAnotherTypeDoesNotWakeAndTimeoutsReplyNil) {
  auto a = h_->NewClient(), w = h_->NewClient();
  h_->Send(a, {"BZPOPMIN", "z", "0"});
  h_->Send(w, {"SET", "z", "string"});
  EXPECT_EQ(h_->blocked_clients(), 1u);
  h_->Send(w, {"DEL", "z"});
  h_->Send(w, {"ZADD", "z", "7", "m"});
  EXPECT_EQ(h_->Replies(a), "[z,m,7]");
  auto b = h_->NewClient(3);
  h_->Send(b, {"BZMPOP", "0.5", "1", "z", "MAX"});
  EXPECT_EQ(h_->blocked_clients(), 1u);
  h_->Advance(600);
  EXPECT_EQ(h_->Replies(b), "(nil)");
  h_->Send(w, {"MULTI"});
  h_->Send(w, {"BZPOPMIN", "z", "0"});
  h_->Send(w, {"EXEC"});
  EXPECT_EQ(h_->Replies(w), "OK | 1 | 1 | OK | QUEUED | [(nil)]");
}

}  // namespace
}  // namespace larder::server
