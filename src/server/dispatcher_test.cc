#include "server/dispatcher.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "server/client.h"
#include "server/command.h"
#include "server/net_test_util.h"
#include "server/reply_builder.h"
#include "server/server.h"

namespace larder::server {
namespace {

Status TestGet(CommandContext& ctx) {
  std::string value;
  auto info = ctx.db.Lookup(ctx.argv[1], &value);
  if (!info.ok()) return info.status();
  if (info->has_value()) {
    ctx.reply.Bulk(value);
  } else {
    ctx.reply.Null();
  }
  return Status::Ok();
}

bool g_fail_writes = false;  // the test's SET fails as an engine would

Status TestSet(CommandContext& ctx) {
  if (g_fail_writes) return Status::IOError("injected write failure");
  Status s = ctx.db.SetString(ctx.argv[1], ctx.argv[2]);
  if (!s.ok()) return s;
  ctx.reply.Ok();
  return Status::Ok();
}

Status TestMulti(CommandContext& ctx) {
  ctx.client.multi.active = true;
  ctx.reply.Ok();
  return Status::Ok();
}

CommandSpec Spec(std::string_view name, int arity, std::uint32_t flags, CommandHandler h) {
  return CommandSpec{name, arity, flags, 1, 1, 1, h, "string", "", "1.0.0", {}};
}

void RegisterTestCommands(CommandTable& table) {
  RegisterConnectionCommands(table);
  table.Add(Spec("get", 2, kCmdReadOnly | kCmdFast, TestGet));
  table.Add(Spec("set", 3, kCmdWrite, TestSet));
  table.Add(Spec("multi", 1, kCmdMultiControl, TestMulti));
}

class DispatcherTest : public ::testing::Test, public net_testing::DispatchHarness {
 protected:
  DispatcherTest() : DispatchHarness(RegisterTestCommands) {}
};

TEST_F(DispatcherTest, UnknownCommandAndArity) {
  EXPECT_EQ(Exec({"NOPE", "a", "b"}),
            "-ERR unknown command 'NOPE', with args beginning with: 'a' 'b' \r\n");
  EXPECT_EQ(Exec({"GET"}), "-ERR wrong number of arguments for 'get' command\r\n");
  EXPECT_EQ(Exec({"Set", "k"}), "-ERR wrong number of arguments for 'set' command\r\n");
  EXPECT_EQ(server_->stats().error_replies.load(), 3u);
  EXPECT_EQ(server_->CommandStatsSnapshot()["get"].rejected_calls, 1u);
}

TEST_F(DispatcherTest, Subcommands) {
  EXPECT_EQ(Exec({"client"}), "-ERR wrong number of arguments for 'client' command\r\n");
  EXPECT_EQ(Exec({"client", "frob"}), "-ERR unknown subcommand 'frob'. Try CLIENT HELP.\r\n");
  EXPECT_EQ(Exec({"CLIENT", "SETNAME"}),
            "-ERR wrong number of arguments for 'client|setname' command\r\n");
  EXPECT_EQ(Exec({"client", "id"}), ":" + std::to_string(client_->id()) + "\r\n");
  EXPECT_EQ(server_->CommandStatsSnapshot()["client|id"].calls, 1u);
}

TEST_F(DispatcherTest, RunsHandlersAndCountsCalls) {
  EXPECT_EQ(Exec({"set", "k", "v"}), "+OK\r\n");
  EXPECT_EQ(Exec({"get", "k"}), "$1\r\nv\r\n");
  EXPECT_EQ(Exec({"get", "missing"}), "$-1\r\n");
  EXPECT_EQ(server_->stats().commands_processed.load(), 3u);
  EXPECT_EQ(server_->CommandStatsSnapshot()["get"].calls, 2u);
  EXPECT_EQ(client_->last_command, "get");
}

TEST_F(DispatcherTest, NoAuthUntilAuthenticated) {
  ServerConfig config;
  config.requirepass = "secret";
  MakeServer(config);
  EXPECT_EQ(Exec({"get", "k"}), "-NOAUTH Authentication required.\r\n");
  EXPECT_EQ(Exec({"auth", "wrong"}),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_EQ(Exec({"auth", "other", "secret"}),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_EQ(Exec({"auth", "secret"}), "+OK\r\n");
  EXPECT_EQ(Exec({"get", "k"}), "$-1\r\n");
  EXPECT_EQ(Exec({"reset"}), "+RESET\r\n");
  EXPECT_EQ(Exec({"ping"}), "-NOAUTH Authentication required.\r\n");
  EXPECT_EQ(Exec({"auth", "default", "secret"}), "+OK\r\n");
}

TEST_F(DispatcherTest, AuthWithoutPasswordConfigured) {
  EXPECT_EQ(Exec({"auth", "x"}),
            "-ERR AUTH <password> called without any password configured for the default user. "
            "Are you sure your configuration is correct?\r\n");
  EXPECT_EQ(Exec({"auth", "default", "anything"}), "+OK\r\n");
  EXPECT_EQ(Exec({"auth", "a", "b", "c"}), "-ERR syntax error\r\n");
}

TEST_F(DispatcherTest, SubscribedModeRestrictsRESP2) {
  client_->channels.insert("news");
  EXPECT_EQ(Exec({"get", "k"}),
            "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
            "RESET are allowed in this context\r\n");
  EXPECT_EQ(Exec({"ping"}), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
  EXPECT_EQ(Exec({"ping", "hi"}), "*2\r\n$4\r\npong\r\n$2\r\nhi\r\n");
  client_->protocol = 3;
  EXPECT_EQ(Exec({"get", "k"}), "_\r\n");
  EXPECT_EQ(Exec({"ping"}), "+PONG\r\n");
}

TEST_F(DispatcherTest, MultiQueuesAndFlagsRejections) {
  EXPECT_EQ(Exec({"multi"}), "+OK\r\n");
  EXPECT_EQ(Exec({"set", "k", "v"}), "+QUEUED\r\n");
  EXPECT_EQ(Exec({"GET", "k"}), "+QUEUED\r\n");
  ASSERT_EQ(client_->multi.queued.size(), 2u);
  EXPECT_EQ(client_->multi.queued[1], (std::vector<std::string>{"GET", "k"}));
  EXPECT_FALSE(client_->multi.aborted);
  EXPECT_EQ(Exec({"get"}), "-ERR wrong number of arguments for 'get' command\r\n");
  EXPECT_TRUE(client_->multi.aborted);
  EXPECT_EQ(client_->multi.queued.size(), 2u);
  // Nothing ran: the queued SET did not write.
  EXPECT_EQ(server_->CommandStatsSnapshot()["set"].calls, 0u);
}

TEST_F(DispatcherTest, ExecuteResolvedRunsQueuedCommands) {
  std::string error, name;
  std::vector<std::string_view> argv{"set", "k", "v"};
  const CommandSpec* spec = ResolveCommand(*server_, argv, &error, &name);
  ASSERT_NE(spec, nullptr);
  EXPECT_EQ(name, "set");
  std::string out;
  {
    MutexLock lock(&server_->exec_mutex());
    ASSERT_TRUE(keyspace_.BeginBatch().ok());
    ExecuteResolved(*server_, *client_, *spec, argv, Server::NowMs(), &out);
    ASSERT_TRUE(keyspace_.EndBatch().ok());
  }
  EXPECT_EQ(out, "+OK\r\n");
  EXPECT_EQ(Exec({"get", "k"}), "$1\r\nv\r\n");
}

TEST_F(DispatcherTest, ClientReply) {
  EXPECT_EQ(Exec({"client", "reply", "off"}), "");
  EXPECT_EQ(Exec({"ping"}), "");
  EXPECT_EQ(Exec({"client", "reply", "on"}), "+OK\r\n");
  EXPECT_EQ(Exec({"client", "reply", "skip"}), "");
  EXPECT_EQ(Exec({"ping"}), "");
  EXPECT_EQ(Exec({"ping"}), "+PONG\r\n");
  // ON while SKIP is armed: answered, and the skip is gone (Redis's suite checks it).
  EXPECT_EQ(Exec({"client", "reply", "skip"}), "");
  EXPECT_EQ(Exec({"client", "reply", "on"}), "+OK\r\n");
  EXPECT_EQ(Exec({"ping"}), "+PONG\r\n");
  EXPECT_EQ(Exec({"client", "reply", "maybe"}), "-ERR syntax error\r\n");
}

TEST_F(DispatcherTest, EngineErrorPoisonsWrites) {
  g_fail_writes = true;
  const std::string reply = Exec({"set", "k", "v"});
  EXPECT_EQ(reply.rfind("-ERR ", 0), 0u) << reply;
  EXPECT_NE(reply.find("injected write failure"), std::string::npos) << reply;
  EXPECT_TRUE(server_->poisoned());
  g_fail_writes = false;
  EXPECT_EQ(Exec({"set", "k", "v"}).rfind("-ERR writes are refused after an engine error", 0), 0u);
  EXPECT_EQ(Exec({"get", "k"}), "$-1\r\n");  // reads still served
  EXPECT_EQ(server_->CommandStatsSnapshot()["set"].failed_calls, 1u);
}

TEST_F(DispatcherTest, SlowLogRecordsWhenThresholdIsZero) {
  ServerConfig config;
  config.slowlog_log_slower_than_us = 0;
  config.slowlog_max_len = 2;
  MakeServer(config);
  client_->name = "me";
  Exec({"ping"});
  Exec({"echo", std::string(200, 'x')});
  Exec({"get", "k"});
  ASSERT_EQ(server_->SlowLogLen(), 2u);
  const auto entries = server_->SlowLogGet(10);
  EXPECT_EQ(entries[0].argv, (std::vector<std::string>{"get", "k"}));
  EXPECT_EQ(entries[1].argv[1], std::string(128, 'x') + "... (72 more bytes)");
  EXPECT_EQ(entries[0].client_name, "me");
  EXPECT_GT(entries[0].id, entries[1].id);
  server_->SlowLogReset();
  EXPECT_EQ(server_->SlowLogLen(), 0u);
}

TEST_F(DispatcherTest, OutputLimitClosesClient) {
  ServerConfig config;
  config.output_pubsub = {100, 0, 0};
  MakeServer(config);
  client_->channels.insert("c");
  MutexLock lock(&server_->exec_mutex());
  EXPECT_TRUE(server_->DeliverTo(*client_, std::string(60, 'a'), 0));
  EXPECT_FALSE(server_->DeliverTo(*client_, std::string(60, 'a'), 0));
  EXPECT_TRUE(client_->close_requested());
  EXPECT_EQ(client_->output_bytes(), 0u);  // freed at once
  EXPECT_EQ(server_->stats().client_output_buffer_limit_disconnections.load(), 1u);
  // Messages refused to a client already closing are no further disconnections.
  EXPECT_FALSE(server_->DeliverTo(*client_, "b", 0));
  EXPECT_EQ(server_->stats().client_output_buffer_limit_disconnections.load(), 1u);
}

TEST_F(DispatcherTest, AClientClosedOtherwiseIsNoOutputLimitDisconnection) {
  MakeServer(ServerConfig{});
  MutexLock lock(&server_->exec_mutex());
  client_->RequestClose("killed");
  EXPECT_FALSE(server_->DeliverTo(*client_, "a", 0));
  EXPECT_EQ(client_->output_bytes(), 0u);
  EXPECT_EQ(server_->stats().client_output_buffer_limit_disconnections.load(), 0u);
}

}  // namespace
}  // namespace larder::server
