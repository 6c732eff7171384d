// XREAD and XREADGROUP in-process over a real Keyspace, blocking included: "$" resolved when the
// client blocks, first come first served, the key deleted or retyped, the group destroyed,
// timeouts and MULTI.
#include <gtest/gtest.h>

#include <string>

#include "server/blocking_test_util.h"

namespace larder::server {
namespace {

using blocking_testing::BlockingHarness;

void RegisterStreamReadTestFamilies(CommandTable& table) {
  RegisterStreamCommands(table);
  RegisterKeyCommands(table);
  RegisterStringCommands(table);
  RegisterTransactionCommands(table);
}

class StreamReadTest : public blocking_testing::EngineBlockingTest {
 protected:
  StreamReadTest() : EngineBlockingTest({RegisterStreamReadTestFamilies}) {}
};

TEST_F(StreamReadTest, ReadsWithoutBlocking) {
  auto w = h_->NewClient(), r3 = h_->NewClient(3);
  h_->Send(w, {"XADD", "a", "1", "f", "1"});
  h_->Send(w, {"XADD", "a", "2", "f", "2"});
  h_->Send(w, {"XREAD", "COUNT", "1", "STREAMS", "a", "b", "0", "0"});
  h_->Send(w, {"XREAD", "STREAMS", "a", "$"});
  h_->Send(w, {"XREAD", "STREAMS", "a", "b", "0"});
  h_->Send(w, {"XREADGROUP", "GROUP", "g", "c", "STREAMS", "a", ">"});
  EXPECT_EQ(h_->Replies(w),
            "1-0 | 2-0 | [[a,[[1-0,[f,1]]]]] | (nil) | -ERR Unbalanced 'xread' list of streams: "
            "for each stream key an ID or '$' must be specified. | -NOGROUP No such key 'a' or "
            "consumer group 'g' in XREADGROUP with GROUP option");
  h_->Send(r3, {"XREAD", "STREAMS", "a", "1"});
  EXPECT_EQ(h_->Replies(r3), "{a:[[2-0,[f,2]]]}");
}

TEST_F(StreamReadTest, BlockedReadersAreServedInOrderAfterTheirId) {
  auto a = h_->NewClient(), b = h_->NewClient(), w = h_->NewClient();
  h_->Send(w, {"XADD", "s", "5", "f", "old"});
  h_->Send(a, {"XREAD", "BLOCK", "0", "STREAMS", "s", "$"});
  h_->Send(b, {"XREAD", "BLOCK", "0", "STREAMS", "other", "s", "0", "5"});
  EXPECT_EQ(h_->blocked_clients(), 2u);
  h_->Send(w, {"SET", "s2", "x"});
  h_->Send(w, {"XADD", "s", "6", "f", "new"});
  EXPECT_EQ(h_->Replies(a), "[[s,[[6-0,[f,new]]]]]");
  EXPECT_EQ(h_->Replies(b), "[[s,[[6-0,[f,new]]]]]");
  // A deleted, then retyped key keeps XREAD blocked; a new stream past its ID serves it.
  h_->Send(a, {"XREAD", "BLOCK", "0", "STREAMS", "s", "$"});
  h_->Send(w, {"DEL", "s"});
  h_->Send(w, {"SET", "s", "str"});
  h_->Send(w, {"DEL", "s"});
  h_->Send(w, {"XADD", "s", "3", "f", "low"});
  EXPECT_EQ(h_->Replies(a), "");
  h_->Send(w, {"XADD", "s", "7", "f", "high"});
  EXPECT_EQ(h_->Replies(a), "[[s,[[7-0,[f,high]]]]]");
}

TEST_F(StreamReadTest, BlockedGroupReadersAndTheirEnds) {
  auto a = h_->NewClient(), b = h_->NewClient(), w = h_->NewClient();
  h_->Send(w, {"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"});
  h_->Send(a, {"XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">"});
  h_->Send(b, {"XREADGROUP", "GROUP", "g", "bob", "BLOCK", "0", "STREAMS", "s", ">"});
  h_->Send(w, {"XADD", "s", "1", "f", "v"});
  EXPECT_EQ(h_->Replies(a), "[[s,[[1-0,[f,v]]]]]");
  EXPECT_EQ(h_->Replies(b), "");  // alice took it
  h_->Send(w, {"XPENDING", "s", "g"});
  EXPECT_EQ(h_->Replies(w), "OK | 1-0 | [1,1-0,1-0,[[alice,1]]]");
  h_->Send(w, {"XGROUP", "DESTROY", "s", "g"});
  EXPECT_EQ(h_->Replies(b),
            "-NOGROUP the consumer group this client was blocked on no longer exists");
  h_->Send(w, {"XGROUP", "CREATE", "s", "g", "$"});
  h_->Send(b, {"XREADGROUP", "GROUP", "g", "bob", "BLOCK", "0", "STREAMS", "s", ">"});
  h_->Send(w, {"SET", "s", "now a string"});
  EXPECT_EQ(h_->Replies(b), "-UNBLOCKED the stream key no longer exists");
  // History reads never block; timeouts and MULTI reply a null array.
  h_->Send(w, {"XGROUP", "CREATE", "t", "g", "$", "MKSTREAM"});
  h_->Send(a, {"XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "t", "0"});
  EXPECT_EQ(h_->Replies(a), "[[t,[]]]");
  h_->Send(a, {"XREADGROUP", "GROUP", "g", "alice", "BLOCK", "50", "STREAMS", "t", ">"});
  h_->Advance(60);
  EXPECT_EQ(h_->Replies(a), "(nil)");
  h_->Send(a, {"MULTI"});
  h_->Send(a, {"XREAD", "BLOCK", "0", "STREAMS", "t", "$"});
  h_->Send(a, {"EXEC"});
  EXPECT_EQ(h_->Replies(a), "OK | QUEUED | [(nil)]");
  h_->Send(a, {"XREAD", "BLOCK", "-1", "STREAMS", "t", "$"});
  EXPECT_EQ(h_->Replies(a), "-ERR timeout is negative");
  EXPECT_EQ(h_->blocked_clients(), 0u);
}

}  // namespace
}  // namespace larder::server
