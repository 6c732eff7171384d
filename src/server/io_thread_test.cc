// The I/O threads' part of blocking commands, end to end over loopback sockets (blocking.h):
// a blocked connection's pipelined commands wait; a served reply leaves only once the serving
// batch is durable (a gated WaitDurable); timeouts wake the loop without a command; a blocked
// client that disconnects leaves the queues.
#include "server/io_thread.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "server/blocking.h"
#include "server/blocking_test_util.h"
#include "server/multi_test_util.h"
#include "server/net_test_util.h"
#include "server/server.h"

namespace larder::server {
namespace {

using net_testing::Conn;
using net_testing::Multibulk;

class IoThreadBlockingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    blocking_testing::RegisterBlockingTestCommands(table_);
    ServerConfig config;
    config.port = 0;
    config.bind = {"127.0.0.1"};
    config.io_threads = 2;
    server_ = std::make_unique<Server>(std::move(config), &gated_, &table_);
    thread_ = std::thread([this] { run_status_ = server_->Run(); });
    for (int i = 0; i < 2000 && server_->bound_ports().empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_FALSE(server_->bound_ports().empty());
    port_ = server_->bound_ports()[0];
  }
  void TearDown() override {
    gated_.SetOpen(true);
    server_->RequestShutdown();
    thread_.join();
    EXPECT_TRUE(run_status_.ok()) << run_status_.ToString();
  }
  std::size_t Blocked() {
    MutexLock lock(&server_->exec_mutex());
    const BlockingService* b = server_->blocking_service();
    return b != nullptr ? b->blocked_clients() : 0;
  }
  // Waits (at most 20 s) until `n` clients are blocked.
  bool WaitBlocked(std::size_t n) {
    for (int i = 0; i < 4000; ++i) {
      if (Blocked() == n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }

  multi_testing::FakeKeyspace fake_;
  blocking_testing::GatedKeyspace gated_{&fake_};
  CommandTable table_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  Status run_status_;
  int port_ = 0;
};

TEST_F(IoThreadBlockingTest, ServedReplyWaitsForDurabilityThenPipelinedCommandsRun) {
  Conn a(port_), b(port_);
  ASSERT_TRUE(a.connected() && b.connected());
  a.Send(Multibulk({"TESTPOP", "k", "0"}) + "PING\r\n" + Multibulk({"GET", "k"}));
  ASSERT_TRUE(WaitBlocked(1));
  EXPECT_TRUE(a.NothingWithin(50));
  gated_.SetOpen(false);
  b.Send(Multibulk({"SET", "k", "v"}));
  ASSERT_TRUE(WaitBlocked(0));  // served under the lock...
  EXPECT_TRUE(a.NothingWithin(200)) << "a reply left before its batch was durable";
  gated_.SetOpen(true);  // ...delivered once durable, then the pipelined commands run
  const std::string expected = "*2\r\n$1\r\nk\r\n$1\r\nv\r\n+PONG\r\n$-1\r\n";
  EXPECT_EQ(a.Read(expected.size()), expected);
  EXPECT_EQ(b.Read(5), "+OK\r\n");
}

TEST_F(IoThreadBlockingTest, FifoAcrossConnections) {
  Conn a(port_), b(port_), c(port_), w(port_);
  a.Send(Multibulk({"TESTPOP", "k", "0"}));
  ASSERT_TRUE(WaitBlocked(1));
  b.Send(Multibulk({"TESTPOP", "k", "0"}));
  ASSERT_TRUE(WaitBlocked(2));
  c.Send(Multibulk({"TESTPOP", "k", "0"}));
  ASSERT_TRUE(WaitBlocked(3));
  for (const char* v : {"1", "2", "3"}) {
    EXPECT_EQ(w.Command(Multibulk({"SET", "k", v}), 5), "+OK\r\n");
  }
  EXPECT_EQ(a.Read(18), "*2\r\n$1\r\nk\r\n$1\r\n1\r\n");
  EXPECT_EQ(b.Read(18), "*2\r\n$1\r\nk\r\n$1\r\n2\r\n");
  EXPECT_EQ(c.Read(18), "*2\r\n$1\r\nk\r\n$1\r\n3\r\n");
}

TEST_F(IoThreadBlockingTest, TimeoutWakesTheLoopWithoutACommand) {
  Conn a(port_);
  a.Send(Multibulk({"TESTPOP", "k", "30"}) + "PING\r\n");
  EXPECT_EQ(a.Read(12), "*-1\r\n+PONG\r\n");
  EXPECT_EQ(Blocked(), 0u);
}

TEST_F(IoThreadBlockingTest, ADisconnectedBlockedClientLeavesTheQueue) {
  Conn w(port_);
  {
    Conn a(port_);
    a.Send(Multibulk({"TESTPOP", "k", "0"}));
    ASSERT_TRUE(WaitBlocked(1));
  }  // closed
  ASSERT_TRUE(WaitBlocked(0));
  EXPECT_EQ(w.Command(Multibulk({"SET", "k", "v"}), 5), "+OK\r\n");
  EXPECT_EQ(w.Command(Multibulk({"GET", "k"}), 7), "$1\r\nv\r\n");
}

// The blocking command is the last of a full round (1024 commands) and more input follows it:
// the connection stays read while it is blocked, so its disconnect is noticed and it leaves the
// queue (it does not take the next value with it).
TEST_F(IoThreadBlockingTest, ADisconnectedClientBlockedAtTheEndOfAFullRoundLeavesTheQueue) {
  Conn w(port_);
  {
    Conn a(port_);
    std::string request;
    for (std::size_t i = 0; i + 1 < IoThread::kMaxCommandsPerRound; ++i) request += "PING\r\n";
    request += Multibulk({"TESTPOP", "k", "0"}) + "PING\r\n";
    a.Send(request);
    std::string pongs;
    for (std::size_t i = 0; i + 1 < IoThread::kMaxCommandsPerRound; ++i) pongs += "+PONG\r\n";
    EXPECT_EQ(a.Read(pongs.size()), pongs);
    ASSERT_TRUE(WaitBlocked(1));
  }  // closed
  ASSERT_TRUE(WaitBlocked(0));
  EXPECT_EQ(w.Command(Multibulk({"SET", "k", "v"}), 5), "+OK\r\n");
  EXPECT_EQ(w.Command(Multibulk({"GET", "k"}), 7), "$1\r\nv\r\n");
}

}  // namespace
}  // namespace larder::server
