// PubSubRegistry and the pub/sub frames: subscription bookkeeping in the registry and the
// clients, fan-out to channel and pattern subscribers in each one's protocol, introspection.
// Clients are socket-less test clients; deliveries are recorded by a fake DeliverFn.
#include "server/pubsub.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "server/client.h"

namespace larder::server {
namespace {

std::unique_ptr<Client> TestClient(std::uint64_t id, int protocol = 2) {
  auto c = std::make_unique<Client>(id, -1, "127.0.0.1:1000" + std::to_string(id), "127.0.0.1:6379",
                                    nullptr, 0);
  c->protocol = protocol;
  return c;
}

struct Recorder {
  std::vector<std::pair<std::uint64_t, std::string>> got;
  PubSubRegistry::DeliverFn fn() {
    return [this](Client& c, std::string_view frame) {
      got.emplace_back(c.id(), std::string(frame));
      return true;
    };
  }
};

TEST(PubSubFramesTest, Resp2ArraysAndResp3Pushes) {
  std::string out;
  AppendSubscriptionFrame(&out, 2, "subscribe", "ch", 1);
  EXPECT_EQ(out, "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n");
  out.clear();
  AppendSubscriptionFrame(&out, 3, "unsubscribe", std::nullopt, 0);
  EXPECT_EQ(out, ">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n");
  out.clear();
  AppendSubscriptionFrame(&out, 2, "punsubscribe", std::nullopt, 0);
  EXPECT_EQ(out, "*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:0\r\n");
  out.clear();
  AppendMessageFrame(&out, 3, "ch", "hi");
  EXPECT_EQ(out, ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
  out.clear();
  AppendPatternMessageFrame(&out, 2, "c*", "ch", "");
  EXPECT_EQ(out, "*4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$0\r\n\r\n");
}

TEST(PubSubRegistryTest, SubscriptionsAreKeptInTheClientAndTheRegistry) {
  PubSubRegistry reg;
  auto a = TestClient(1);
  EXPECT_TRUE(reg.Subscribe(*a, "x"));
  EXPECT_FALSE(reg.Subscribe(*a, "x"));
  EXPECT_TRUE(reg.PSubscribe(*a, "x*"));
  EXPECT_EQ(a->subscription_count(), 2u);
  EXPECT_EQ(reg.NumSub("x"), 1u);
  EXPECT_EQ(reg.NumPat(), 1u);
  EXPECT_FALSE(reg.Unsubscribe(*a, "nope"));
  EXPECT_TRUE(reg.Unsubscribe(*a, "x"));
  EXPECT_TRUE(reg.PUnsubscribe(*a, "x*"));
  EXPECT_FALSE(reg.PUnsubscribe(*a, "x*"));
  EXPECT_EQ(a->subscription_count(), 0u);
  EXPECT_EQ(reg.NumSub("x"), 0u);
  EXPECT_EQ(reg.NumPat(), 0u);
  EXPECT_TRUE(reg.Channels(std::nullopt).empty());
}

TEST(PubSubRegistryTest, PublishReachesChannelThenPatternSubscribersInTheirProtocol) {
  PubSubRegistry reg;
  auto r2 = TestClient(1, 2);
  auto r3 = TestClient(2, 3);
  auto both = TestClient(3, 2);
  auto other = TestClient(4, 2);
  reg.Subscribe(*r2, "news.tech");
  reg.Subscribe(*r3, "news.tech");
  reg.Subscribe(*both, "news.tech");
  reg.PSubscribe(*both, "news.*");
  reg.PSubscribe(*r3, "n?ws.[st]ech");
  reg.Subscribe(*other, "news.art");
  reg.PSubscribe(*other, "sport.*");
  Recorder rec;
  EXPECT_EQ(reg.Publish("news.tech", "hello", rec.fn()), 5u);
  ASSERT_EQ(rec.got.size(), 5u);
  const std::string msg2 = "*3\r\n$7\r\nmessage\r\n$9\r\nnews.tech\r\n$5\r\nhello\r\n";
  const std::string msg3 = ">3\r\n$7\r\nmessage\r\n$9\r\nnews.tech\r\n$5\r\nhello\r\n";
  EXPECT_EQ(rec.got[0], std::make_pair(std::uint64_t{1}, msg2));
  EXPECT_EQ(rec.got[1], std::make_pair(std::uint64_t{2}, msg3));
  EXPECT_EQ(rec.got[2], std::make_pair(std::uint64_t{3}, msg2));
  // Patterns in byte order: "n?ws.[st]ech" < "news.*".
  EXPECT_EQ(rec.got[3].first, 2u);
  EXPECT_EQ(rec.got[3].second,
            ">4\r\n$8\r\npmessage\r\n$12\r\nn?ws.[st]ech\r\n$9\r\nnews.tech\r\n$5\r\nhello\r\n");
  EXPECT_EQ(rec.got[4].first, 3u);
  EXPECT_EQ(rec.got[4].second,
            "*4\r\n$8\r\npmessage\r\n$6\r\nnews.*\r\n$9\r\nnews.tech\r\n$5\r\nhello\r\n");
  rec.got.clear();
  EXPECT_EQ(reg.Publish("nobody", "x", rec.fn()), 0u);
  EXPECT_TRUE(rec.got.empty());
}

TEST(PubSubRegistryTest, DroppedDeliveriesStillCountAsReceivers) {
  PubSubRegistry reg;
  auto a = TestClient(1);
  reg.Subscribe(*a, "c");
  EXPECT_EQ(reg.Publish("c", "m", [](Client&, std::string_view) { return false; }), 1u);
}

TEST(PubSubRegistryTest, RemoveClientDropsEverySubscription) {
  PubSubRegistry reg;
  auto a = TestClient(1);
  auto b = TestClient(2);
  reg.Subscribe(*a, "c1");
  reg.Subscribe(*a, "c2");
  reg.PSubscribe(*a, "c*");
  reg.Subscribe(*b, "c1");
  reg.RemoveClient(*a);
  EXPECT_EQ(a->subscription_count(), 0u);
  EXPECT_EQ(reg.NumSub("c1"), 1u);
  EXPECT_EQ(reg.NumSub("c2"), 0u);
  EXPECT_EQ(reg.NumPat(), 0u);
  Recorder rec;
  EXPECT_EQ(reg.Publish("c1", "m", rec.fn()), 1u);
  ASSERT_EQ(rec.got.size(), 1u);
  EXPECT_EQ(rec.got[0].first, 2u);
}

TEST(PubSubRegistryTest, ChannelsAreSortedAndFilteredByPattern) {
  PubSubRegistry reg;
  auto a = TestClient(1);
  auto b = TestClient(2);
  reg.Subscribe(*a, "b.2");
  reg.Subscribe(*a, "a.1");
  reg.Subscribe(*b, "a.1");
  reg.Subscribe(*b, "z");
  reg.PSubscribe(*b, "a.*");  // patterns are not channels
  EXPECT_EQ(reg.Channels(std::nullopt), (std::vector<std::string>{"a.1", "b.2", "z"}));
  EXPECT_EQ(reg.Channels("?.*"), (std::vector<std::string>{"a.1", "b.2"}));
  EXPECT_EQ(reg.NumSub("a.1"), 2u);
  auto c = TestClient(3);
  reg.PSubscribe(*c, "a.*");
  EXPECT_EQ(reg.NumPat(), 1u);  // distinct patterns
}

TEST(PubSubRegistryTest, ManySubscribersEachGetOneMessage) {
  PubSubRegistry reg;
  std::vector<std::unique_ptr<Client>> clients;
  for (std::uint64_t i = 1; i <= 500; ++i) {
    clients.push_back(TestClient(i, i % 2 == 0 ? 3 : 2));
    reg.Subscribe(*clients.back(), "fan");
  }
  Recorder rec;
  EXPECT_EQ(reg.Publish("fan", "x", rec.fn()), 500u);
  ASSERT_EQ(rec.got.size(), 500u);
  for (std::size_t i = 0; i < rec.got.size(); ++i) {
    EXPECT_EQ(rec.got[i].first, i + 1);
    EXPECT_EQ(rec.got[i].second[0], (i + 1) % 2 == 0 ? '>' : '*');
  }
}

}  // namespace
}  // namespace larder::server
