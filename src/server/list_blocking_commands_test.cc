#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "server/blocking_test_util.h"

namespace larder::server {
namespace {

using blocking_testing::BlockingHarness;

void RegisterListTestFamilies(CommandTable& table) {
  RegisterListCommands(table);
  RegisterKeyCommands(table);
  RegisterStringCommands(table);
  RegisterTransactionCommands(table);
}

class ListBlockingTest : public blocking_testing::EngineBlockingTest {
 protected:
  ListBlockingTest() : EngineBlockingTest({RegisterListTestFamilies}) {}
};

TEST_F(ListBlockingTest, ClientsAreServedInTheOrderTheyBlocked) {
  auto a = h_->NewClient(), b = h_->NewClient(), c = h_->NewClient(), w = h_->NewClient();
  h_->Send(a, {"BLPOP", "k", "0"});
  h_->Send(b, {"BRPOP", "k", "other", "0"});
  h_->Send(c, {"BLMPOP", "0", "1", "k", "LEFT", "COUNT", "5"});
  EXPECT_EQ(h_->blocked_clients(), 3u);
  h_->Send(w, {"RPUSH", "k", "x", "y"});
  EXPECT_EQ(h_->Replies(w), "2");
  EXPECT_EQ(h_->Replies(a), "[k,x]");
  EXPECT_EQ(h_->Replies(b), "[k,y]");
  EXPECT_EQ(h_->Replies(c), "");
  h_->Send(w, {"RPUSH", "k", "1", "2", "3"});
  EXPECT_EQ(h_->Replies(c), "[k,[1,2,3]]");
  h_->Send(w, {"EXISTS", "k"});
  EXPECT_EQ(h_->Replies(w), "3 | 0");
}

TEST_F(ListBlockingTest, AStringAtTheKeyDoesNotWakeAndMovesChain) {
  auto a = h_->NewClient(), b = h_->NewClient(), w = h_->NewClient();
  h_->Send(a, {"BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"});
  h_->Send(b, {"BLPOP", "dst", "0"});
  h_->Send(w, {"SET", "src", "string"});
  EXPECT_EQ(h_->Replies(a), "");
  h_->Send(w, {"DEL", "src"});
  h_->Send(w, {"LPUSH", "src", "v"});
  EXPECT_EQ(h_->Replies(a), "v");
  EXPECT_EQ(h_->Replies(b), "[dst,v]");  // the move's push served the next client
  EXPECT_EQ(h_->blocked_clients(), 0u);
}

TEST_F(ListBlockingTest, TimeoutsAndTransactions) {
  auto a = h_->NewClient(), b = h_->NewClient(3), w = h_->NewClient();
  h_->Send(a, {"BLPOP", "k", "0.5"});
  h_->Send(b, {"BRPOPLPUSH", "k", "d", "1"});
  h_->Advance(600);
  EXPECT_EQ(h_->Replies(a), "(nil)");
  EXPECT_EQ(h_->Replies(b), "");
  h_->Advance(500);
  EXPECT_EQ(h_->Replies(b), "(nil)");
  h_->Send(w, {"MULTI"});
  h_->Send(w, {"BLPOP", "k", "0"});
  h_->Send(w, {"BLMOVE", "k", "d", "LEFT", "LEFT", "0"});
  h_->Send(w, {"EXEC"});
  EXPECT_EQ(h_->Replies(w), "OK | QUEUED | QUEUED | [(nil),(nil)]");
}

TEST_F(ListBlockingTest, ClientsAreServedFromTheKeyThatBecameReady) {
  auto a = h_->NewClient(), b = h_->NewClient(), w = h_->NewClient();
  h_->Send(a, {"BLPOP", "l1", "l0", "0"});
  h_->Send(b, {"BLPOP", "l0", "0"});
  h_->Send(w, {"MULTI"});
  h_->Send(w, {"RPUSH", "l0", "x", "y"});
  h_->Send(w, {"RPUSH", "l1", "z"});
  h_->Send(w, {"EXEC"});
  // As Redis 7.0: l0 became ready first, so a is served from l0 although l1 comes first in its
  // arguments and has an element too.
  EXPECT_EQ(h_->Replies(a), "[l0,x]");
  EXPECT_EQ(h_->Replies(b), "[l0,y]");
  h_->Send(w, {"LRANGE", "l1", "0", "-1"});
  EXPECT_EQ(h_->Replies(w), "OK | QUEUED | QUEUED | [2,1] | [z]");
}

}  // namespace
}  // namespace larder::server
