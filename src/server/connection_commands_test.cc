#include "server/connection_commands.h"

#include <gtest/gtest.h>

#include <string>

#include "server/net_test_util.h"

namespace larder::server {
namespace {

class ConnectionCommandsTest : public ::testing::Test, public net_testing::DispatchHarness {
 protected:
  ConnectionCommandsTest() : DispatchHarness(RegisterConnectionCommands) {}
};

TEST_F(ConnectionCommandsTest, PingEchoSelect) {
  EXPECT_EQ(Exec({"PING"}), "+PONG\r\n");
  EXPECT_EQ(Exec({"ping", "hi"}), "$2\r\nhi\r\n");
  EXPECT_EQ(Exec({"ping", "a", "b"}), "-ERR wrong number of arguments for 'ping' command\r\n");
  EXPECT_EQ(Exec({"echo", "x"}), "$1\r\nx\r\n");
  EXPECT_EQ(Exec({"select", "15"}), "+OK\r\n");
  EXPECT_EQ(client_->db, 15);
  EXPECT_EQ(Exec({"select", "16"}), "-ERR DB index is out of range\r\n");
  EXPECT_EQ(Exec({"select", "x"}), "-ERR value is not an integer or out of range\r\n");
}

TEST_F(ConnectionCommandsTest, HelloSwitchesProtocol) {
  const std::string id = std::to_string(client_->id());
  EXPECT_EQ(Exec({"hello", "3", "setname", "app"}),
            "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n"
            "$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:" +
                id +
                "\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
                "$7\r\nmodules\r\n*0\r\n");
  EXPECT_EQ(client_->protocol, 3);
  EXPECT_EQ(client_->name, "app");
  EXPECT_EQ(Exec({"hello", "2"}).substr(0, 4), "*14\r");
  EXPECT_EQ(Exec({"hello", "4"}), "-NOPROTO sorry, this protocol version is not supported\r\n");
  EXPECT_EQ(Exec({"hello", "x"}), "-ERR Protocol version is not an integer or out of range\r\n");
  EXPECT_EQ(Exec({"hello", "3", "bogus"}), "-ERR Syntax error in HELLO option 'bogus'\r\n");
  EXPECT_EQ(client_->protocol, 2);
}

TEST_F(ConnectionCommandsTest, HelloAuthenticates) {
  ServerConfig config;
  config.requirepass = "pw";
  MakeServer(config);
  EXPECT_EQ(Exec({"hello", "3"}).rfind("-NOAUTH HELLO must be called", 0), 0u);
  EXPECT_EQ(Exec({"hello", "3", "auth", "default", "bad"}),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_EQ(Exec({"hello", "3", "auth", "default", "pw"}).substr(0, 3), "%7\r");
  EXPECT_TRUE(client_->authenticated);
}

TEST_F(ConnectionCommandsTest, ClientNames) {
  EXPECT_EQ(Exec({"client", "getname"}), "$-1\r\n");
  EXPECT_EQ(Exec({"client", "setname", "a b"}),
            "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
  EXPECT_EQ(Exec({"client", "setname", "worker-1"}), "+OK\r\n");
  EXPECT_EQ(Exec({"client", "getname"}), "$8\r\nworker-1\r\n");
  EXPECT_EQ(Exec({"client", "setname", ""}), "+OK\r\n");
  EXPECT_EQ(Exec({"client", "getname"}), "$-1\r\n");
}

TEST_F(ConnectionCommandsTest, ClientListAndInfo) {
  auto other = NewClient();
  other->channels.insert("news");
  const std::string list = Exec({"client", "list"});
  EXPECT_NE(list.find("id=" + std::to_string(client_->id()) + " "), std::string::npos);
  EXPECT_NE(list.find("id=" + std::to_string(other->id()) + " "), std::string::npos);
  // The caller's own line names the command running now (as Redis), not the one before.
  EXPECT_NE(list.find(" cmd=client|list "), std::string::npos) << list;
  const std::string pubsub = Exec({"client", "list", "type", "pubsub"});
  EXPECT_EQ(pubsub.find("id=" + std::to_string(client_->id()) + " "), std::string::npos);
  EXPECT_NE(pubsub.find("flags=P"), std::string::npos);
  EXPECT_EQ(Exec({"client", "list", "type", "x"}), "-ERR Unknown client type 'x'\r\n");
  EXPECT_EQ(Exec({"client", "list", "id", "0"}), "-ERR Invalid client ID\r\n");
  const std::string one = Exec({"client", "list", "id", std::to_string(other->id())});
  EXPECT_EQ(one.find("id=" + std::to_string(client_->id()) + " "), std::string::npos);
  client_->protocol = 3;
  EXPECT_EQ(Exec({"client", "info"}).substr(0, 1), "=");  // verbatim in RESP3
}

TEST_F(ConnectionCommandsTest, ClientKill) {
  auto victim = NewClient();
  EXPECT_EQ(Exec({"client", "kill", "127.0.0.1:1"}), "-ERR No such client\r\n");
  EXPECT_EQ(Exec({"client", "kill", "id", std::to_string(victim->id())}), ":1\r\n");
  EXPECT_TRUE(victim->close_requested());
  EXPECT_EQ(Exec({"client", "kill", "addr", "127.0.0.1:50000"}), ":1\r\n");  // skipme: not us
  EXPECT_FALSE(client_->close_after_reply);
  EXPECT_EQ(Exec({"client", "kill", "addr", "127.0.0.1:50000", "skipme", "no"}), ":2\r\n");
  EXPECT_TRUE(client_->close_after_reply);
  EXPECT_EQ(Exec({"client", "kill", "id", "0"}), "-ERR client-id should be greater than 0\r\n");
  EXPECT_EQ(Exec({"client", "kill", "id", "5", "type"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Exec({"client", "kill", "type", "nope", "id", "1"}),
            "-ERR Unknown client type 'nope'\r\n");
}

TEST_F(ConnectionCommandsTest, ResetAndQuit) {
  client_->protocol = 3;
  client_->db = 4;
  client_->name = "n";
  client_->multi.active = true;
  client_->channels.insert("c");
  EXPECT_EQ(Exec({"reset"}), "+RESET\r\n");
  EXPECT_EQ(client_->protocol, 2);
  EXPECT_EQ(client_->db, 0);
  EXPECT_TRUE(client_->name.empty());
  EXPECT_FALSE(client_->multi.active);
  EXPECT_EQ(client_->subscription_count(), 0u);
  EXPECT_EQ(Exec({"quit"}), "+OK\r\n");
  EXPECT_TRUE(client_->close_after_reply);
}

TEST_F(ConnectionCommandsTest, ShutdownRequestsStopWithoutReply) {
  EXPECT_EQ(Exec({"shutdown", "maybe"}), "-ERR syntax error\r\n");
  EXPECT_FALSE(server_->shutdown_requested());
  EXPECT_EQ(Exec({"shutdown", "nosave"}), "");
  EXPECT_TRUE(server_->shutdown_requested());
}

}  // namespace
}  // namespace larder::server
