// DBSIZE, FLUSHDB, FLUSHALL, SWAPDB through the dispatcher over a real Keyspace (a temp dir).
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "server/client.h"
#include "server/command.h"
#include "server/dispatcher.h"
#include "server/keyspace.h"
#include "server/reply_builder.h"
#include "server/server.h"
#include "tests/util/temp_dir.h"

namespace larder::server {
namespace {

// SET k v in the client's database, for the tests' data.
Status TestSet(CommandContext& ctx) {
  LARDER_RETURN_IF_ERROR(ctx.db.SetString(ctx.argv[1], ctx.argv[2]));
  ctx.reply.Ok();
  return Status::Ok();
}

class AdminCommandsTest : public ::testing::Test {
 protected:
  AdminCommandsTest() {
    KeyspaceOptions o;
    o.dir = dir_.File("data");
    o.appendfsync = AppendFsync::kNo;
    auto ks = Keyspace::Open(o);
    EXPECT_TRUE(ks.ok()) << ks.status().ToString();
    keyspace_ = std::move(*ks);
    RegisterConnectionCommands(table_);
    RegisterKeyspaceAdminCommands(table_);
    table_.Add({"set", 3, kCmdWrite, 1, 1, 1, TestSet, "string", "", "1.0.0", {}});
    server_ = std::make_unique<Server>(ServerConfig(), keyspace_.get(), &table_);
    client_ = std::make_shared<Client>(server_->NextClientId(), -1, "127.0.0.1:50000",
                                       "127.0.0.1:6379", nullptr, Server::NowMs());
    server_->AddClient(client_);
  }
  ~AdminCommandsTest() override {
    client_.reset();
    server_.reset();
    EXPECT_TRUE(keyspace_->Close().ok());
  }

  std::string Run(std::initializer_list<std::string_view> args) {
    std::vector<std::string_view> argv(args);
    MutexLock lock(&server_->exec_mutex());
    EXPECT_TRUE(keyspace_->BeginBatch().ok());
    DispatchCommand(*server_, *client_, argv, Server::NowMs());
    EXPECT_TRUE(keyspace_->EndBatch().ok());
    return client_->TakeOutput();
  }

  test::TempDir dir_;  // first: outlives the keyspace's files
  std::unique_ptr<Keyspace> keyspace_;
  CommandTable table_;
  std::unique_ptr<Server> server_;
  std::shared_ptr<Client> client_;
};

TEST_F(AdminCommandsTest, DbSizeAndFlushDb) {
  EXPECT_EQ(Run({"dbsize"}), ":0\r\n");
  EXPECT_EQ(Run({"set", "a", "1"}), "+OK\r\n");
  EXPECT_EQ(Run({"set", "b", "1"}), "+OK\r\n");
  EXPECT_EQ(Run({"DBSIZE"}), ":2\r\n");
  EXPECT_EQ(Run({"dbsize", "x"}), "-ERR wrong number of arguments for 'dbsize' command\r\n");
  EXPECT_EQ(Run({"select", "1"}), "+OK\r\n");
  EXPECT_EQ(Run({"set", "c", "1"}), "+OK\r\n");
  EXPECT_EQ(Run({"flushdb", "now"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"flushdb", "sync", "async"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"flushdb", "ASYNC"}), "+OK\r\n");
  EXPECT_EQ(Run({"dbsize"}), ":0\r\n");
  EXPECT_EQ(Run({"select", "0"}), "+OK\r\n");
  EXPECT_EQ(Run({"dbsize"}), ":2\r\n");  // only db 1 was flushed
  EXPECT_EQ(Run({"flushall"}), "+OK\r\n");
  EXPECT_EQ(Run({"dbsize"}), ":0\r\n");
  EXPECT_EQ(Run({"flushall", "sync"}), "+OK\r\n");
}

TEST_F(AdminCommandsTest, SwapDb) {
  EXPECT_EQ(Run({"set", "a", "1"}), "+OK\r\n");
  EXPECT_EQ(Run({"swapdb", "0", "x"}), "-ERR invalid second DB index\r\n");
  EXPECT_EQ(Run({"swapdb", "x", "0"}), "-ERR invalid first DB index\r\n");
  EXPECT_EQ(Run({"swapdb", "0", "16"}), "-ERR DB index is out of range\r\n");
  EXPECT_EQ(Run({"swapdb", "-1", "1"}), "-ERR DB index is out of range\r\n");
  EXPECT_EQ(Run({"swapdb", "0", "0"}), "+OK\r\n");
  EXPECT_EQ(Run({"dbsize"}), ":1\r\n");
  EXPECT_EQ(Run({"swapdb", "0", "5"}), "+OK\r\n");
  EXPECT_EQ(Run({"dbsize"}), ":0\r\n");
  EXPECT_EQ(Run({"select", "5"}), "+OK\r\n");
  EXPECT_EQ(Run({"dbsize"}), ":1\r\n");
}

}  // namespace
}  // namespace larder::server
