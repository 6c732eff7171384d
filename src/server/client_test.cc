#include "server/client.h"

#include <gtest/gtest.h>

#include <string>

namespace larder::server {
namespace {

class CountingWaker : public ClientWaker {
 public:
  void Wake(Client&) override { ++wakes; }
  int wakes = 0;
};

TEST(ClientTest, DeliverAppendsAndWakes) {
  CountingWaker waker;
  Client c(7, -1, "127.0.0.1:1", "127.0.0.1:2", &waker, 1000);
  EXPECT_TRUE(c.Deliver("+OK\r\n", {}, 1000));
  EXPECT_TRUE(c.Deliver(":1\r\n", {}, 1000));
  EXPECT_EQ(c.output_bytes(), 9u);
  EXPECT_EQ(waker.wakes, 2);
  EXPECT_EQ(c.TakeOutput(), "+OK\r\n:1\r\n");
  EXPECT_EQ(c.output_bytes(), 0u);
}

TEST(ClientTest, HardLimitClosesAndFrees) {
  Client c(1, -1, "a", "b", nullptr, 0);
  const OutputBufferLimit limit{100, 0, 0};
  EXPECT_TRUE(c.Deliver(std::string(99, 'x'), limit, 0));
  EXPECT_FALSE(c.Deliver("y", limit, 0));  // 100 bytes: at the hard limit
  EXPECT_TRUE(c.close_requested());
  EXPECT_EQ(c.output_bytes(), 0u);
  EXPECT_FALSE(c.Deliver("z", limit, 0));  // closing: dropped
}

TEST(ClientTest, SoftLimitNeedsSoftSeconds) {
  Client c(1, -1, "a", "b", nullptr, 0);
  const OutputBufferLimit limit{0, 10, 2};
  EXPECT_TRUE(c.Deliver(std::string(20, 'x'), limit, 1000));  // over soft since t=1000
  EXPECT_TRUE(c.Deliver("x", limit, 2500));
  EXPECT_FALSE(c.CheckOutputLimit(limit, 3000));  // exactly 2 s: still allowed
  EXPECT_TRUE(c.CheckOutputLimit(limit, 3001));
  EXPECT_TRUE(c.close_requested());
}

TEST(ClientTest, SoftLimitTimerResetsWhenDrained) {
  Client c(1, -1, "a", "b", nullptr, 0);
  const OutputBufferLimit limit{0, 10, 1};
  EXPECT_TRUE(c.Deliver(std::string(20, 'x'), limit, 0));
  c.TakeOutput();                                // the peer read it
  EXPECT_FALSE(c.CheckOutputLimit(limit, 500));  // under the soft limit: timer cleared
  EXPECT_TRUE(c.Deliver(std::string(20, 'x'), limit, 5000));
  EXPECT_FALSE(c.CheckOutputLimit(limit, 5500));
  EXPECT_FALSE(c.close_requested());
}

TEST(ClientTest, FlagsAndInfoLine) {
  Client c(42, 9, "127.0.0.1:5000", "127.0.0.1:6379", nullptr, 1000);
  EXPECT_EQ(c.Flags(), "N");
  c.multi.active = true;
  c.channels.insert("ch");
  EXPECT_EQ(c.Flags(), "xP");
  c.name = "worker";
  c.db = 3;
  c.last_command = "client|list";
  c.Touch(4000);
  const std::string line = c.InfoLine(11000);
  EXPECT_EQ(line.rfind("id=42 addr=127.0.0.1:5000 laddr=127.0.0.1:6379 fd=9 name=worker age=10 "
                       "idle=7 flags=xP db=3 sub=1 psub=0 ssub=0 multi=0 ",
                       0),
            0u)
      << line;
  EXPECT_NE(line.find(" cmd=client|list user=default redir=-1 resp=2"), std::string::npos);
  c.RequestClose("test");
  EXPECT_EQ(c.Flags(), "xPA");
}

TEST(ClientTest, SubscribedModeIsRESP2Only) {
  Client c(1, -1, "a", "b", nullptr, 0);
  c.patterns.insert("p*");
  EXPECT_TRUE(c.in_subscribed_mode());
  EXPECT_EQ(c.output_class(), OutputClass::kPubSub);
  c.protocol = 3;
  EXPECT_FALSE(c.in_subscribed_mode());
}

}  // namespace
}  // namespace larder::server
