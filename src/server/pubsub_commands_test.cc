// SUBSCRIBE..PUBSUB through the dispatcher: Redis 7.0's replies and counts, deliveries to other
// clients in their protocol, RESP2 subscribed mode against RESP3, closing subscribers.
#include <gtest/gtest.h>

#include <string>

#include "server/multi_test_util.h"

namespace larder::server {
namespace {

using multi_testing::MultiHarness;

std::string Sub(std::string_view kind, std::string_view name, int count, char head = '*') {
  return std::string(1, head) + "3\r\n$" + std::to_string(kind.size()) + "\r\n" +
         std::string(kind) + "\r\n$" + std::to_string(name.size()) + "\r\n" + std::string(name) +
         "\r\n:" + std::to_string(count) + "\r\n";
}

TEST(PubSubCommandsTest, SubscribeUnsubscribeRepliesAndCounts) {
  MultiHarness h;
  Client& c = h.NewClient();
  EXPECT_EQ(h.Run(c, {"subscribe", "a", "b", "a"}),
            Sub("subscribe", "a", 1) + Sub("subscribe", "b", 2) + Sub("subscribe", "a", 2));
  EXPECT_EQ(h.Run(c, {"psubscribe", "p*"}), Sub("psubscribe", "p*", 3));
  EXPECT_EQ(h.Run(c, {"unsubscribe", "a", "zz"}),
            Sub("unsubscribe", "a", 2) + Sub("unsubscribe", "zz", 2));
  EXPECT_EQ(h.Run(c, {"punsubscribe"}), Sub("punsubscribe", "p*", 1));
  EXPECT_EQ(h.Run(c, {"punsubscribe"}), "*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:1\r\n");
  EXPECT_EQ(h.Run(c, {"unsubscribe"}), Sub("unsubscribe", "b", 0));
  EXPECT_EQ(h.Run(c, {"unsubscribe"}), "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n");
  EXPECT_EQ(h.Run(c, {"get", "k"}), "$-1\r\n");  // out of subscribed mode
}

TEST(PubSubCommandsTest, PublishReachesChannelAndPatternSubscribers) {
  MultiHarness h;
  Client& s2 = h.NewClient(2);
  Client& s3 = h.NewClient(3);
  Client& pub = h.NewClient();
  h.Run(s2, {"subscribe", "news"});
  EXPECT_EQ(h.Run(s3, {"psubscribe", "n*"}), Sub("psubscribe", "n*", 1, '>'));
  EXPECT_EQ(h.Run(pub, {"publish", "news", "hi"}), ":2\r\n");
  EXPECT_EQ(s2.TakeOutput(), "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n");
  EXPECT_EQ(s3.TakeOutput(), ">4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n");
  EXPECT_EQ(h.Run(pub, {"publish", "other", "x"}), ":0\r\n");
  EXPECT_EQ(s2.TakeOutput(), "");
}

TEST(PubSubCommandsTest, Resp2SubscribedModeButNotResp3) {
  MultiHarness h;
  Client& c2 = h.NewClient(2);
  Client& c3 = h.NewClient(3);
  h.Run(c2, {"subscribe", "x"});
  h.Run(c3, {"subscribe", "x"});
  EXPECT_EQ(h.Run(c2, {"get", "k"}),
            "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
            "RESET are allowed in this context\r\n");
  EXPECT_EQ(h.Run(c3, {"get", "k"}), "_\r\n");
  // A RESP3 subscriber publishing to itself gets the push before the reply.
  EXPECT_EQ(h.Run(c3, {"publish", "x", "m"}),
            ">3\r\n$7\r\nmessage\r\n$1\r\nx\r\n$1\r\nm\r\n:2\r\n");
  EXPECT_EQ(c2.TakeOutput(), "*3\r\n$7\r\nmessage\r\n$1\r\nx\r\n$1\r\nm\r\n");
}

// Pushes are not replies: CLIENT REPLY OFF silences neither the subscribe frames nor messages.
TEST(PubSubCommandsTest, Resp3PushesIgnoreClientReplyOff) {
  MultiHarness h;
  Client& c = h.NewClient(3);
  Client& pub = h.NewClient();
  c.reply_mode = ReplyMode::kOff;
  EXPECT_EQ(h.Run(c, {"subscribe", "ch"}), Sub("subscribe", "ch", 1, '>'));
  EXPECT_EQ(h.Run(c, {"get", "k"}), "");  // a reply: silenced
  h.Run(pub, {"publish", "ch", "m"});
  EXPECT_EQ(c.TakeOutput(), ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nm\r\n");
  EXPECT_EQ(h.Run(c, {"unsubscribe"}), Sub("unsubscribe", "ch", 0, '>'));
}

TEST(PubSubCommandsTest, Introspection) {
  MultiHarness h;
  Client& a = h.NewClient();
  Client& b = h.NewClient();
  Client& q = h.NewClient();
  h.Run(a, {"subscribe", "news.1", "news.2", "sport"});
  h.Run(b, {"subscribe", "news.1"});
  h.Run(b, {"psubscribe", "news.*", "x"});
  h.Run(a, {"psubscribe", "news.*"});
  EXPECT_EQ(h.Run(q, {"pubsub", "channels"}),
            "*3\r\n$6\r\nnews.1\r\n$6\r\nnews.2\r\n$5\r\nsport\r\n");
  EXPECT_EQ(h.Run(q, {"PUBSUB", "CHANNELS", "news.*"}), "*2\r\n$6\r\nnews.1\r\n$6\r\nnews.2\r\n");
  EXPECT_EQ(h.Run(q, {"pubsub", "numsub", "news.1", "none"}),
            "*4\r\n$6\r\nnews.1\r\n:2\r\n$4\r\nnone\r\n:0\r\n");
  EXPECT_EQ(h.Run(q, {"pubsub", "numsub"}), "*0\r\n");
  EXPECT_EQ(h.Run(q, {"pubsub", "numpat"}), ":2\r\n");
  EXPECT_EQ(h.Run(q, {"pubsub", "channels", "a", "b"}),
            "-ERR unknown subcommand or wrong number of arguments for 'channels'. Try PUBSUB "
            "HELP.\r\n");
  EXPECT_EQ(h.Run(q, {"pubsub", "numpat", "x"}),
            "-ERR wrong number of arguments for 'pubsub|numpat' command\r\n");
  EXPECT_EQ(h.Run(q, {"pubsub", "help"}).substr(0, 4), "*9\r\n");
}

TEST(PubSubCommandsTest, ClosedSubscriberIsForgotten) {
  MultiHarness h;
  Client& a = h.NewClient();
  Client& pub = h.NewClient();
  h.Run(a, {"subscribe", "c"});
  h.Run(a, {"psubscribe", "*"});
  h.Close(a);
  EXPECT_EQ(h.Run(pub, {"publish", "c", "m"}), ":0\r\n");
  EXPECT_EQ(h.Run(pub, {"pubsub", "numpat"}), ":0\r\n");
}

TEST(PubSubCommandsTest, SubscriberOverItsOutputLimitIsClosed) {
  MultiHarness h;
  ServerConfig config;
  config.output_pubsub = OutputBufferLimit{1024, 0, 0};
  ASSERT_TRUE(h.server().SetConfig(config).ok());
  Client& slow = h.NewClient();
  Client& pub = h.NewClient();
  h.Run(slow, {"subscribe", "c"});
  const std::string payload(300, 'x');
  for (int i = 0; i < 10; ++i) h.Run(pub, {"publish", "c", payload});
  EXPECT_TRUE(slow.close_requested());
  EXPECT_LT(slow.output_bytes(), 1024u);  // dropped, not grown
  EXPECT_GE(h.server().stats().client_output_buffer_limit_disconnections.load(), 1u);
}

}  // namespace
}  // namespace larder::server
