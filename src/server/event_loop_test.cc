// The event loop end to end over loopback sockets, with a fake keyspace: pipelining, slow
// clients, protocol errors, the limits (maxclients, query buffer, output backpressure, idle
// timeout), CLIENT KILL, QUIT and shutdown.
#include "server/event_loop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "server/command.h"
#include "server/io_thread.h"
#include "server/net_test_util.h"
#include "server/server.h"

namespace larder::server {
namespace {

using net_testing::Bulk;
using net_testing::Conn;
using net_testing::Multibulk;

class EventLoopTest : public ::testing::Test {
 protected:
  void Start(ServerConfig config) {
    RegisterConnectionCommands(table_);
    config.port = 0;
    config.bind = {"127.0.0.1"};
    config.io_threads = 2;
    server_ = std::make_unique<Server>(std::move(config), &keyspace_, &table_);
    thread_ = std::thread([this] { run_status_ = server_->Run(); });
    for (int i = 0; i < 2000 && server_->bound_ports().empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_FALSE(server_->bound_ports().empty());
    port_ = server_->bound_ports()[0];
  }
  void Stop() {
    if (!thread_.joinable()) return;
    server_->RequestShutdown();
    thread_.join();
  }
  void TearDown() override {
    Stop();
    EXPECT_TRUE(run_status_.ok()) << run_status_.ToString();
  }
  bool Pings(Conn& c) { return c.Command("PING\r\n", 7) == "+PONG\r\n"; }

  CommandTable table_;
  net_testing::NetTestKeyspace keyspace_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  Status run_status_;
  int port_ = 0;
};

TEST(EventLoopThreadCountTest, DefaultLeavesOneCoreAndStaysWithinOneToEight) {
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  const int expected = cores <= 2 ? 1 : (cores - 1 > 8 ? 8 : cores - 1);
  EXPECT_EQ(EventLoop::ThreadCount(0), expected);
  EXPECT_EQ(EventLoop::ThreadCount(3), 3);  // a configured count is kept
  EXPECT_EQ(EventLoop::ThreadCount(500), 128);
}

TEST_F(EventLoopTest, PipelinedAndInlineCommandsKeepOrder) {
  Start(ServerConfig());
  Conn c(port_);
  ASSERT_TRUE(c.connected());
  std::string request = "PING\r\n";
  std::string expected = "+PONG\r\n";
  for (int i = 0; i < 3000; ++i) {
    const std::string n = std::to_string(i);
    request += Multibulk({"ECHO", n});
    expected += Bulk(n);
  }
  EXPECT_EQ(c.Command(request, expected.size()), expected);
}

// A round that parses its full share of commands with half a command left over pauses reading
// the connection; the next round finds only that half: reading must resume, or the rest of the
// command, sent later, is never read (redis-cli --pipe hung on this).
TEST_F(EventLoopTest, AFullRoundEndingInHalfACommandKeepsReading) {
  Start(ServerConfig());
  Conn c(port_);
  ASSERT_TRUE(c.connected());
  const std::string ping = Multibulk({"PING"});
  std::string request;
  std::string expected;
  for (std::size_t i = 0; i < IoThread::kMaxCommandsPerRound; ++i) {
    request += ping;
    expected += "+PONG\r\n";
  }
  const std::size_t half = ping.size() / 2;
  EXPECT_EQ(c.Command(request + ping.substr(0, half), expected.size()), expected);
  EXPECT_TRUE(c.NothingWithin(50));  // the server is now idle with half a PING
  EXPECT_EQ(c.Command(ping.substr(half), 7), "+PONG\r\n");
}

// The same with requirepass, where a round of an unauthenticated client is one command: AUTH
// with half of the next command behind it.
TEST_F(EventLoopTest, AuthFollowedByHalfACommandKeepsReading) {
  ServerConfig config;
  config.requirepass = "pw";
  Start(std::move(config));
  Conn c(port_);
  ASSERT_TRUE(c.connected());
  const std::string ping = Multibulk({"PING"});
  EXPECT_EQ(c.Command(Multibulk({"AUTH", "pw"}) + ping.substr(0, 3), 5), "+OK\r\n");
  EXPECT_TRUE(c.NothingWithin(50));
  EXPECT_EQ(c.Command(ping.substr(3), 7), "+PONG\r\n");
}

// QUIT as the last command of a full round (for a client that has not authenticated, a round
// is one command) with only an empty line after it: the connection still closes.
TEST_F(EventLoopTest, QuitAtTheEndOfAFullRoundCloses) {
  ServerConfig config;
  config.requirepass = "pw";
  Start(std::move(config));
  Conn c(port_);
  ASSERT_TRUE(c.connected());
  EXPECT_EQ(c.Command("QUIT\r\n\r\n", 5), "+OK\r\n");
  EXPECT_TRUE(c.AtEof());
}

TEST_F(EventLoopTest, ByteByByteClient) {
  Start(ServerConfig());
  Conn slow(port_), other(port_);
  const std::string request = Multibulk({"ECHO", "hello"});
  for (std::size_t i = 0; i + 1 < request.size(); ++i) {
    slow.Send(request.substr(i, 1));
    if (i % 7 == 0) {
      EXPECT_TRUE(Pings(other));  // a half-sent command holds nobody up
    }
  }
  slow.Send(request.substr(request.size() - 1));
  EXPECT_EQ(slow.Read(11), "$5\r\nhello\r\n");
}

TEST_F(EventLoopTest, ProtocolErrorRepliesThenCloses) {
  Start(ServerConfig());
  Conn c(port_);
  const std::string reply = c.Command("*1\r\n$-7\r\n", 5);
  EXPECT_EQ(reply, "-ERR ");
  c.Read(200);  // the rest of the error line, then EOF
  EXPECT_TRUE(c.AtEof());
  Conn other(port_);
  EXPECT_TRUE(Pings(other));
  EXPECT_EQ(server_->stats().protocol_errors.load(), 1u);
}

TEST_F(EventLoopTest, MaxClients) {
  ServerConfig config;
  config.maxclients = 2;
  Start(config);
  Conn a(port_), b(port_);
  ASSERT_TRUE(Pings(a));
  ASSERT_TRUE(Pings(b));
  Conn c(port_);
  EXPECT_EQ(c.Read(100), "-ERR max number of clients reached\r\n");
  EXPECT_TRUE(Pings(a));
  EXPECT_EQ(server_->stats().rejected_connections.load(), 1u);
}

TEST_F(EventLoopTest, QueryBufferLimitClosesTheClient) {
  ServerConfig config;
  config.client_query_buffer_limit = 64 * 1024;
  Start(config);
  Conn big(port_), other(port_);
  big.Send("*2\r\n$4\r\nECHO\r\n$1000000\r\n" + std::string(200 * 1024, 'x'));
  EXPECT_TRUE(big.AtEof());
  EXPECT_TRUE(Pings(other));
  EXPECT_EQ(server_->stats().client_query_buffer_limit_disconnections.load(), 1u);
}

TEST_F(EventLoopTest, ClientThatNeverReadsIsHeldBack) {
  Start(ServerConfig());
  Conn lazy(port_), other(port_);
  const std::string value(64 * 1024, 'v');
  std::string request;
  for (int i = 0; i < 300; ++i) request += Multibulk({"ECHO", value});  // ~19 MB of replies
  std::thread sender([&] { lazy.Send(request); });
  // Whatever the sender managed to push, the server holds at most about kPauseOutputBytes plus
  // one reply for this client.
  for (int i = 0; i < 20; ++i) {
    EXPECT_TRUE(Pings(other));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (const auto& client : server_->ListClients()) {
    EXPECT_LE(client->output_bytes(), IoThread::kPauseOutputBytes + 2 * value.size() + 64);
  }
  // Reading drains everything, in order.
  std::string all = lazy.Read(300 * (value.size() + 10));
  sender.join();
  EXPECT_EQ(all.size(), 300 * (value.size() + 10));
}

TEST_F(EventLoopTest, IdleTimeoutClosesNormalClients) {
  ServerConfig config;
  config.timeout_seconds = 1;
  Start(config);
  Conn idle(port_);
  ASSERT_TRUE(Pings(idle));
  EXPECT_TRUE(idle.AtEof());  // closed by the cron after about a second
  EXPECT_EQ(server_->stats().timeout_disconnections.load(), 1u);
}

TEST_F(EventLoopTest, ClientKillAndQuit) {
  Start(ServerConfig());
  Conn victim(port_), killer(port_);
  const std::string id = victim.Command(Multibulk({"CLIENT", "ID"}), 4).substr(1, 1);
  EXPECT_EQ(killer.Command(Multibulk({"CLIENT", "KILL", "ID", id}), 4), ":1\r\n");
  EXPECT_TRUE(victim.AtEof());
  EXPECT_EQ(killer.Command(Multibulk({"QUIT"}), 5), "+OK\r\n");
  EXPECT_TRUE(killer.AtEof());
}

TEST_F(EventLoopTest, ShutdownClosesClientsAndReturns) {
  Start(ServerConfig());
  Conn c(port_);
  ASSERT_TRUE(Pings(c));
  c.Send(Multibulk({"SHUTDOWN", "NOSAVE"}));
  EXPECT_TRUE(c.AtEof());
  thread_.join();
  EXPECT_TRUE(run_status_.ok());
  EXPECT_EQ(server_->client_count(), 0u);
}

TEST_F(EventLoopTest, PortInUseNamesThePort) {
  Start(ServerConfig());
  ServerConfig config;
  config.port = port_;
  Server second(config, &keyspace_, &table_);
  const Status s = second.Run();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.ToString().find("port " + std::to_string(port_) + " is already in use"),
            std::string::npos)
      << s.ToString();
}

TEST_F(EventLoopTest, LogFailureClosesWithoutAcknowledging) {
  Start(ServerConfig());
  Conn c(port_);
  ASSERT_TRUE(Pings(c));
  {
    MutexLock lock(&server_->exec_mutex());
    keyspace_.fail_end_batch = true;
  }
  c.Send("PING\r\n");
  EXPECT_TRUE(c.AtEof());  // no +PONG: nothing of a batch that is not durable is acknowledged
  EXPECT_TRUE(server_->poisoned());
}

TEST_F(EventLoopTest, CronRunsActiveExpire) {
  ServerConfig config;
  config.hz = 100;
  Start(config);
  for (int i = 0; i < 4000 && keyspace_.expire_cycles < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  Stop();
  EXPECT_GE(keyspace_.expire_cycles, 3);
}

}  // namespace
}  // namespace larder::server
