// The server family (INFO CONFIG COMMAND TIME SLOWLOG) run through the dispatcher, on a Server
// over the std::map keyspace of the command tests.
#include "server/server_commands.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "server/args.h"
#include "server/client.h"
#include "server/command_test_util.h"
#include "server/dispatcher.h"
#include "server/keyspace.h"
#include "server/server.h"

namespace larder::server {
namespace {

// The std::map keyspace of the command tests, remembering appendfsync and reporting log stats.
class MapKeyspaceWithStats : public testing::MapKeyspace {
 public:
  explicit MapKeyspaceWithStats(const std::int64_t* now_ms) : MapKeyspace(16, now_ms) {}
  void SetAppendFsync(AppendFsync mode) override { appendfsync = mode; }
  KeyspaceStats stats() const override {
    KeyspaceStats s;
    s.commits = 7;
    return s;
  }
  AppendFsync appendfsync = AppendFsync::kEverySec;
};

class ServerCommandsTest : public ::testing::Test {
 protected:
  ServerCommandsTest() {
    RegisterServerCommands(table_);
    server_ = std::make_unique<Server>(ServerConfig(), &keyspace_, &table_);
    client_ = std::make_shared<Client>(server_->NextClientId(), -1, "127.0.0.1:5000",
                                       "127.0.0.1:6379", nullptr, Server::NowMs());
    server_->AddClient(client_);
  }

  // Runs one command as the client sent it and returns the reply bytes.
  std::string Run(std::vector<std::string> args) {
    std::vector<std::string_view> argv(args.begin(), args.end());
    MutexLock lock(&server_->exec_mutex());
    EXPECT_TRUE(keyspace_.BeginBatch().ok());
    DispatchCommand(*server_, *client_, argv, Server::NowMs());
    EXPECT_TRUE(keyspace_.EndBatch().ok());
    return client_->TakeOutput();
  }

  // Adds `n` keys to database `db`, the first `expiring` of them with an expiry.
  void AddKeys(int db, int n, int expiring) {
    MutexLock lock(&server_->exec_mutex());
    for (int i = 0; i < n; ++i) {
      SetStringOptions options;
      if (i < expiring) options.expire_at_ms = now_ms_ + 3600 * 1000;
      ASSERT_TRUE(keyspace_.db(db).SetString("k" + std::to_string(i), "v", options).ok());
    }
  }

  std::int64_t now_ms_ = Server::NowMs();
  CommandTable table_;
  MapKeyspaceWithStats keyspace_{&now_ms_};
  std::unique_ptr<Server> server_;
  std::shared_ptr<Client> client_;
};

// The payload of a bulk or verbatim reply.
std::string BulkPayload(const std::string& reply) {
  const std::size_t start = reply.find("\r\n") + 2;
  std::string body = reply.substr(start, reply.size() - start - 2);
  if (reply[0] == '=') body = body.substr(4);  // "txt:"
  return body;
}

TEST_F(ServerCommandsTest, Time) {
  const std::string reply = Run({"TIME"});
  ASSERT_EQ(reply.substr(0, 4), "*2\r\n");
  const std::int64_t now_s = Server::NowMs() / 1000;
  const std::string seconds = BulkPayload(reply.substr(4, reply.find("\r\n", 8) + 2 - 4));
  EXPECT_NEAR(static_cast<double>(*ParseInt64(seconds)), static_cast<double>(now_s), 5.0);
  EXPECT_EQ(Run({"time", "x"}), "-ERR wrong number of arguments for 'time' command\r\n");
}

TEST_F(ServerCommandsTest, InfoSections) {
  AddKeys(0, 3, 1);
  AddKeys(5, 2, 0);
  const std::string info = BulkPayload(Run({"INFO"}));
  for (const char* expected : {"# Server\r\n",
                               "redis_version:7.0.15\r\n",
                               "redis_mode:standalone\r\n",
                               "process_id:",
                               "tcp_port:6379\r\n",
                               "uptime_in_seconds:",
                               "# Clients\r\n",
                               "connected_clients:1\r\n",
                               "# Memory\r\n",
                               "used_memory:",
                               "used_memory_rss:",
                               "# Persistence\r\n",
                               "larder_log_commits:7\r\n",
                               "# Stats\r\n",
                               "total_commands_processed:",
                               "# Keyspace\r\n",
                               "db0:keys=3,expires=1,avg_ttl=0\r\n",
                               "db5:keys=2,expires=0,avg_ttl=0\r\n",
                               "role:master\r\n",
                               "larder_version:"}) {
    EXPECT_NE(info.find(expected), std::string::npos) << expected;
  }
  EXPECT_EQ(info.find("db1:"), std::string::npos);  // empty databases are not listed
  EXPECT_EQ(info.find("# Commandstats"), std::string::npos);
  EXPECT_EQ(info.substr(0, 10), "# Server\r\n");
  EXPECT_NE(info.find("\r\n\r\n# Clients\r\n"), std::string::npos);

  const std::string two = BulkPayload(Run({"info", "KEYSPACE", "clients"}));
  EXPECT_EQ(two.find("# Server"), std::string::npos);
  EXPECT_EQ(two.substr(0, 11), "# Clients\r\n");
  EXPECT_NE(two.find("# Keyspace\r\ndb0:keys=3"), std::string::npos);
  EXPECT_EQ(Run({"info", "nosuchsection"}), "$0\r\n\r\n");
  Run({"TIME"});
  const std::string all = BulkPayload(Run({"INFO", "all"}));
  EXPECT_NE(all.find("# Commandstats\r\ncmdstat_"), std::string::npos);
  EXPECT_NE(all.find("cmdstat_time:calls=1,usec="), std::string::npos);
  EXPECT_NE(all.find("# Server"), std::string::npos);
  // RESP3: a verbatim string.
  client_->protocol = 3;
  EXPECT_EQ(Run({"INFO", "cluster"}), "=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n");
}

TEST_F(ServerCommandsTest, CommandStatsCountCallsRejectionsAndFailures) {
  Run({"TIME"});
  // Rejected: NOAUTH once a password is set.
  EXPECT_EQ(Run({"CONFIG", "SET", "requirepass", "pw"}), "+OK\r\n");
  EXPECT_EQ(Run({"TIME"}), "-NOAUTH Authentication required.\r\n");
  client_->authenticated = true;
  Run({"SLOWLOG", "GET", "x"});  // failed: an error reply
  const std::string stats = BulkPayload(Run({"INFO", "commandstats"}));
  EXPECT_NE(stats.find("cmdstat_time:calls=1,"), std::string::npos) << stats;
  EXPECT_NE(stats.find("rejected_calls=1,failed_calls=0"), std::string::npos) << stats;
  EXPECT_NE(stats.find("cmdstat_slowlog|get:calls=1,"), std::string::npos) << stats;
  EXPECT_NE(stats.find("rejected_calls=0,failed_calls=1"), std::string::npos) << stats;
  EXPECT_EQ(Run({"CONFIG", "RESETSTAT"}), "+OK\r\n");
  const std::string after = BulkPayload(Run({"INFO", "commandstats"}));
  EXPECT_EQ(after.find("cmdstat_time"), std::string::npos) << after;
}

TEST_F(ServerCommandsTest, ConfigGet) {
  EXPECT_EQ(Run({"CONFIG", "GET", "port"}), "*2\r\n$4\r\nport\r\n$4\r\n6379\r\n");
  EXPECT_EQ(Run({"config", "get", "MAXCLI*", "timeout", "maxclients"}),
            "*4\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n$7\r\ntimeout\r\n$1\r\n0\r\n");
  EXPECT_EQ(Run({"config", "get", "nosuch"}), "*0\r\n");
  EXPECT_EQ(Run({"config", "get", "save"}), "*2\r\n$4\r\nsave\r\n$0\r\n\r\n");
  EXPECT_EQ(Run({"config", "get", "appendonly"}), "*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n");
  client_->protocol = 3;
  EXPECT_EQ(Run({"CONFIG", "GET", "port"}), "%1\r\n$4\r\nport\r\n$4\r\n6379\r\n");
  EXPECT_EQ(Run({"CONFIG", "GET"}), "-ERR wrong number of arguments for 'config|get' command\r\n");
}

TEST_F(ServerCommandsTest, ConfigSet) {
  EXPECT_EQ(Run({"CONFIG", "SET", "maxclients", "20", "appendfsync", "always"}), "+OK\r\n");
  EXPECT_EQ(server_->config()->maxclients, 20u);
  EXPECT_EQ(keyspace_.appendfsync, AppendFsync::kAlways);
  EXPECT_EQ(Run({"CONFIG", "SET", "maxclients", "30", "timeout", "x"}),
            "-ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't "
            "be parsed into an integer\r\n");
  EXPECT_EQ(server_->config()->maxclients, 20u);  // all or nothing
  EXPECT_EQ(Run({"CONFIG", "SET", "maxclients", "1", "maxclients", "2"}),
            "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - duplicate "
            "parameter\r\n");
  EXPECT_EQ(Run({"CONFIG", "SET", "port", "1"}),
            "-ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable "
            "config\r\n");
  EXPECT_EQ(Run({"CONFIG", "SET", "foo", "bar"}),
            "-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n");
  EXPECT_EQ(Run({"CONFIG", "SET", "port", "1", "2"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 0 0"}), "+OK\r\n");
  EXPECT_EQ(server_->config()->output_pubsub.hard_bytes, 1u << 20);
  EXPECT_EQ(Run({"CONFIG", "FOO"}), "-ERR unknown subcommand 'FOO'. Try CONFIG HELP.\r\n");
  EXPECT_EQ(Run({"CONFIG", "REWRITE"}), "-ERR The server is running without a config file\r\n");
  const std::string help = Run({"CONFIG", "HELP"});
  EXPECT_EQ(help.substr(0, help.find("\r\n")), "*11");
  EXPECT_NE(help.find("+CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"),
            std::string::npos);
}

TEST_F(ServerCommandsTest, SlowLog) {
  EXPECT_EQ(Run({"SLOWLOG", "LEN"}), ":0\r\n");
  EXPECT_EQ(Run({"CONFIG", "SET", "slowlog-log-slower-than", "0"}), "+OK\r\n");
  Run({"TIME"});
  EXPECT_EQ(Run({"SLOWLOG", "LEN"}), ":2\r\n");  // CONFIG SET's own run is not logged (before)
  const std::string one = Run({"SLOWLOG", "GET", "1"});
  EXPECT_EQ(one.substr(0, 8), "*1\r\n*6\r\n");
  EXPECT_NE(one.find("*2\r\n$7\r\nSLOWLOG\r\n$3\r\nLEN\r\n"), std::string::npos) << one;
  EXPECT_NE(one.find("$14\r\n127.0.0.1:5000\r\n$0\r\n\r\n"), std::string::npos) << one;
  const std::string all = Run({"SLOWLOG", "GET", "-1"});
  EXPECT_EQ(all.substr(0, 4), "*4\r\n");
  EXPECT_EQ(Run({"SLOWLOG", "GET", "-2"}), "-ERR count should be greater than or equal to -1\r\n");
  EXPECT_EQ(Run({"SLOWLOG", "RESET"}), "+OK\r\n");
  EXPECT_EQ(Run({"SLOWLOG", "GET"}).substr(0, 4), "*1\r\n");  // SLOWLOG RESET itself
  EXPECT_NE(Run({"SLOWLOG", "HELP"}).find("+SLOWLOG <subcommand>"), std::string::npos);
}

TEST_F(ServerCommandsTest, CommandCountListInfo) {
  EXPECT_EQ(Run({"COMMAND", "COUNT"}), ":5\r\n");
  const std::string list = Run({"COMMAND", "LIST"});
  for (const char* name : {"$4\r\ninfo\r\n", "$10\r\nconfig|get\r\n", "$11\r\nslowlog|len\r\n",
                           "$13\r\ncommand|count\r\n", "$4\r\ntime\r\n"}) {
    EXPECT_NE(list.find(name), std::string::npos) << name;
  }
  EXPECT_EQ(Run({"COMMAND", "LIST", "FILTERBY", "PATTERN", "config|g*"}),
            "*1\r\n$10\r\nconfig|get\r\n");
  EXPECT_EQ(Run({"COMMAND", "LIST", "FILTERBY", "MODULE", "x"}), "*0\r\n");
  EXPECT_EQ(Run({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "fast"}), "*1\r\n$4\r\ntime\r\n");
  EXPECT_EQ(
      Run({"COMMAND", "INFO", "time", "nosuch"}),
      "*2\r\n*10\r\n$4\r\ntime\r\n:1\r\n*3\r\n+loading\r\n+stale\r\n+fast\r\n:0\r\n:0\r\n:0\r\n"
      "*1\r\n+@fast\r\n*0\r\n*0\r\n*0\r\n*-1\r\n");
  EXPECT_EQ(Run({"COMMAND", "INFO", "time|x", "config|get|x"}), "*2\r\n*-1\r\n*-1\r\n");
  EXPECT_EQ(Run({"COMMAND", "INFO", "CONFIG|GET"}).substr(0, 26),
            "*1\r\n*10\r\n$10\r\nconfig|get\r\n");
  EXPECT_EQ(Run({"COMMAND", "DOCS", "config|get"}).substr(0, 21), "*2\r\n$10\r\nconfig|get\r\n");
  const std::string config = Run({"COMMAND", "INFO", "config"});
  EXPECT_NE(config.find("$10\r\nconfig|set\r\n:-4\r\n"), std::string::npos) << config;
  const std::string all = Run({"COMMAND"});
  EXPECT_EQ(all.substr(0, 4), "*5\r\n");
  EXPECT_EQ(Run({"COMMAND", "NOPE"}), "-ERR unknown subcommand 'NOPE'. Try COMMAND HELP.\r\n");
  EXPECT_EQ(Run({"COMMAND", "COUNT", "x"}),
            "-ERR wrong number of arguments for 'command|count' command\r\n");
}

TEST_F(ServerCommandsTest, CommandDocs) {
  EXPECT_EQ(Run({"COMMAND", "DOCS", "time", "nosuch"}),
            "*2\r\n$4\r\ntime\r\n*6\r\n$7\r\nsummary\r\n$30\r\nReturn the current server "
            "time\r\n$5\r\nsince\r\n$5\r\n2.6.0\r\n$5\r\ngroup\r\n$6\r\nserver\r\n");
  client_->protocol = 3;
  const std::string slowlog = Run({"COMMAND", "DOCS", "slowlog"});
  EXPECT_EQ(slowlog.substr(0, 21), "%1\r\n$7\r\nslowlog\r\n%4\r\n");
  EXPECT_NE(slowlog.find("$11\r\nsubcommands\r\n%4\r\n$11\r\nslowlog|get\r\n%3\r\n"),
            std::string::npos)
      << slowlog;
  EXPECT_EQ(Run({"COMMAND", "DOCS"}).substr(0, 4), "%5\r\n");
}

TEST_F(ServerCommandsTest, CommandListFiltersAndCluster) {
  RegisterCompatCommands(table_);
  table_.Add(CommandSpec{"set", -3, kCmdWrite, 1, 1, 1, nullptr, "string", "", "1.0.0", {}});
  const std::string scripting = Run({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "scripting"});
  EXPECT_NE(scripting.find("$14\r\nfunction|flush\r\n"), std::string::npos) << scripting;
  EXPECT_EQ(scripting.find("$3\r\nset\r\n"), std::string::npos) << scripting;
  EXPECT_NE(Run({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "string"}).find("$3\r\nset\r\n"),
            std::string::npos);
  const std::string help = Run({"COMMAND", "LIST", "FILTERBY", "PATTERN", "cl*help"});
  EXPECT_NE(help.find("$12\r\ncluster|help\r\n"), std::string::npos) << help;
  // A Redis without cluster support: every subcommand says so.
  EXPECT_EQ(Run({"CLUSTER", "INFO"}), "-ERR This instance has cluster support disabled\r\n");
  EXPECT_EQ(Run({"CLUSTER", "HELP"}), "-ERR This instance has cluster support disabled\r\n");
}

TEST_F(ServerCommandsTest, CommandGetKeys) {
  // Commands with keys, registered here with their legacy key positions.
  table_.Add(CommandSpec{"get", 2, kCmdReadOnly, 1, 1, 1, nullptr, "string", "", "1.0.0", {}});
  table_.Add(CommandSpec{"mset", -3, kCmdWrite, 1, -1, 2, nullptr, "string", "", "1.0.1", {}});
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "GET", "k"}), "*1\r\n$1\r\nk\r\n");
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "mset", "a", "1", "b", "2"}),
            "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "nosuch", "a"}), "-ERR Invalid command specified\r\n");
  // Redis 7.0's key-spec flags (key_specs.h).
  EXPECT_EQ(Run({"COMMAND", "GETKEYSANDFLAGS", "mset", "a", "1", "b", "2"}),
            "*2\r\n*2\r\n$1\r\na\r\n*2\r\n+OW\r\n+update\r\n*2\r\n$1\r\nb\r\n*2\r\n+OW\r\n+"
            "update\r\n");
  EXPECT_EQ(Run({"COMMAND", "GETKEYSANDFLAGS", "get", "k"}),
            "*1\r\n*2\r\n$1\r\nk\r\n*2\r\n+RO\r\n+access\r\n");
  table_.Add(CommandSpec{"set", -3, kCmdWrite, 1, 1, 1, nullptr, "string", "", "1.0.0", {}});
  EXPECT_EQ(Run({"COMMAND", "GETKEYSANDFLAGS", "set", "k", "v"}),
            "*1\r\n*2\r\n$1\r\nk\r\n*2\r\n+OW\r\n+update\r\n");
  EXPECT_EQ(Run({"COMMAND", "GETKEYSANDFLAGS", "set", "k", "v", "GET"}),
            "*1\r\n*2\r\n$1\r\nk\r\n*3\r\n+RW\r\n+access\r\n+update\r\n");
  table_.Add(CommandSpec{"rename", 3, kCmdWrite, 1, 2, 1, nullptr, "generic", "", "1.0.0", {}});
  EXPECT_EQ(Run({"COMMAND", "GETKEYSANDFLAGS", "rename", "a", "b"}),
            "*2\r\n*2\r\n$1\r\na\r\n*3\r\n+RW\r\n+access\r\n+delete\r\n"
            "*2\r\n$1\r\nb\r\n*2\r\n+OW\r\n+update\r\n");
  // A command Redis does not have: from its flags.
  table_.Add(CommandSpec{"larder.w", 2, kCmdWrite, 1, 1, 1, nullptr, "generic", "", "1.0.0", {}});
  EXPECT_EQ(Run({"COMMAND", "GETKEYSANDFLAGS", "larder.w", "k"}),
            "*1\r\n*2\r\n$1\r\nk\r\n*2\r\n+RW\r\n+update\r\n");
  EXPECT_EQ(Run({"COMMAND", "GETKEYSANDFLAGS", "info", "x"}),
            "-ERR The command has no key arguments\r\n");
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "get", "a", "b"}),
            "-ERR Invalid number of arguments specified for command\r\n");
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "time", "x"}),
            "-ERR Invalid number of arguments specified for command\r\n");
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "info", "x"}), "-ERR The command has no key arguments\r\n");
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "get"}),
            "-ERR wrong number of arguments for 'command|getkeys' command\r\n");
}

}  // namespace
}  // namespace larder::server
