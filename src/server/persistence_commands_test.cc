// SAVE, BGSAVE and LASTSAVE through the dispatcher over a real Keyspace in a temp dir; the
// BGSAVE copy is checked as a bolt file and restored as a data directory of its own.
#include <gtest/gtest.h>

#include <filesystem>
#include <initializer_list>
#include <string>
#include <vector>

#include "larder/clock.h"
#include "server/backup_gate_for_test.h"
#include "server/client.h"
#include "server/command.h"
#include "server/dispatcher.h"
#include "server/keyspace.h"
#include "server/reply_builder.h"
#include "server/server.h"
#include "tests/util/bolt_tree.h"
#include "tests/util/temp_dir.h"

namespace larder::server {
namespace {

constexpr std::uint64_t kStartMicros = 1'700'000'000'000'000;

Status TestSet(CommandContext& ctx) {
  LARDER_RETURN_IF_ERROR(ctx.db.SetString(ctx.argv[1], ctx.argv[2]));
  ctx.reply.Ok();
  return Status::Ok();
}

Status TestGet(CommandContext& ctx) {
  std::string value;
  LARDER_ASSIGN_OR_RETURN(auto info, ctx.db.Lookup(ctx.argv[1], &value));
  if (info.has_value()) {
    ctx.reply.Bulk(value);
  } else {
    ctx.reply.Null();
  }
  return Status::Ok();
}

class PersistenceCommandsTest : public ::testing::Test {
 protected:
  PersistenceCommandsTest() : clock_(ManualClock::SleepMode::kAdvance, 0, kStartMicros) {
    RegisterPersistenceCommands(table_);
    table_.Add({"set", 3, kCmdWrite, 1, 1, 1, TestSet, "string", "", "1.0.0", {}});
    table_.Add({"get", 2, kCmdReadOnly, 1, 1, 1, TestGet, "string", "", "1.0.0", {}});
    Start(dir_.File("data"));
  }
  ~PersistenceCommandsTest() override { Stop(); }

  void Start(const std::string& dir) {
    KeyspaceOptions o;
    o.dir = dir;
    o.appendfsync = AppendFsync::kAlways;
    o.clock = &clock_;
    o.fs = &fs_;
    auto ks = Keyspace::Open(o);
    ASSERT_TRUE(ks.ok()) << ks.status().ToString();
    keyspace_ = std::move(*ks);
    server_ = std::make_unique<Server>(ServerConfig(), keyspace_.get(), &table_);
    client_ = std::make_shared<Client>(server_->NextClientId(), -1, "127.0.0.1:50000",
                                       "127.0.0.1:6379", nullptr, Server::NowMs());
    server_->AddClient(client_);
  }
  void Stop() {
    client_.reset();
    server_.reset();
    if (keyspace_ != nullptr) {
      EXPECT_TRUE(keyspace_->Close().ok());
    }
    keyspace_.reset();
  }

  // Runs the commands as one batch (as an I/O thread runs a pipeline) and returns the replies.
  std::string RunPipeline(std::initializer_list<std::initializer_list<std::string_view>> commands) {
    MutexLock lock(&server_->exec_mutex());
    EXPECT_TRUE(keyspace_->BeginBatch().ok());
    for (auto args : commands) {
      std::vector<std::string_view> argv(args);
      DispatchCommand(*server_, *client_, argv, Server::NowMs());
    }
    auto ticket = keyspace_->EndBatch();
    EXPECT_TRUE(ticket.ok());
    if (ticket.ok()) {
      EXPECT_TRUE(keyspace_->WaitDurable(*ticket).ok());
    }
    return client_->TakeOutput();
  }
  std::string Run(std::initializer_list<std::string_view> args) { return RunPipeline({args}); }

  void WaitForBgsave() {
    for (int i = 0; i < 60000 && keyspace_->stats().bgsave_in_progress; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_FALSE(keyspace_->stats().bgsave_in_progress);
  }

  test::TempDir dir_;  // first: outlives the keyspace's files
  ManualClock clock_;
  testing::BackupGate fs_{DefaultFileSystem()};
  CommandTable table_;
  std::unique_ptr<Keyspace> keyspace_;
  std::unique_ptr<Server> server_;
  std::shared_ptr<Client> client_;
};

// INFO's rdb_changes_since_last_save: one per key written, kept by the automatic checkpoints,
// zeroed by SAVE and BGSAVE.
TEST_F(PersistenceCommandsTest, ChangesSinceLastSaveCountsWritesUntilASave) {
  const std::uint64_t start = keyspace_->stats().changes_since_save;
  Run({"set", "a", "1"});
  Run({"set", "b", "1"});
  Run({"get", "a"});
  EXPECT_EQ(keyspace_->stats().changes_since_save, start + 2);
  {
    MutexLock lock(&server_->exec_mutex());
    clock_.Advance(std::chrono::seconds(10));
    ASSERT_TRUE(keyspace_->MaybeCheckpoint().ok());
  }
  EXPECT_EQ(keyspace_->stats().changes_since_save, start + 2);
  EXPECT_EQ(Run({"save"}), "+OK\r\n");
  EXPECT_EQ(keyspace_->stats().changes_since_save, 0u);
  Run({"set", "a", "2"});
  EXPECT_EQ(keyspace_->stats().changes_since_save, 1u);
  EXPECT_EQ(Run({"bgsave"}), "+Background saving started\r\n");
  WaitForBgsave();
  EXPECT_EQ(keyspace_->stats().changes_since_save, 0u);
}

TEST_F(PersistenceCommandsTest, SaveCheckpointsAndLastSaveTellsWhen) {
  const std::string opened = ":" + std::to_string(kStartMicros / 1000000) + "\r\n";
  EXPECT_EQ(Run({"lastsave"}), opened);  // the open checkpointed
  EXPECT_EQ(Run({"set", "a", "1"}), "+OK\r\n");
  EXPECT_GT(keyspace_->stats().log_bytes, 0u);
  clock_.Advance(std::chrono::seconds(10));
  EXPECT_EQ(Run({"save"}), "+OK\r\n");
  EXPECT_EQ(keyspace_->stats().log_bytes, 0u);  // all of it in the engine file now
  EXPECT_EQ(Run({"LASTSAVE"}), ":" + std::to_string(kStartMicros / 1000000 + 10) + "\r\n");
  EXPECT_EQ(Run({"save", "x"}), "-ERR wrong number of arguments for 'save' command\r\n");
}

TEST_F(PersistenceCommandsTest, SaveInsideAPipelineKeepsTheWritesAroundIt) {
  EXPECT_EQ(RunPipeline({{"set", "before", "1"}, {"save"}, {"set", "after", "2"}}),
            "+OK\r\n+OK\r\n+OK\r\n");
  EXPECT_GT(keyspace_->stats().log_bytes, 0u);  // "after" is logged, not yet checkpointed
  Stop();
  Start(dir_.File("data"));
  EXPECT_EQ(RunPipeline({{"get", "before"}, {"get", "after"}}), "$1\r\n1\r\n$1\r\n2\r\n");
}

TEST_F(PersistenceCommandsTest, BgsaveCopyPassesTheCheckAndRestores) {
  for (int i = 0; i < 200; ++i) {
    const std::string k = "key" + std::to_string(i);
    EXPECT_EQ(Run({"set", k, std::string(50, 'v')}), "+OK\r\n");
  }
  EXPECT_EQ(Run({"bgsave", "nope"}), "-ERR syntax error\r\n");
  EXPECT_EQ(RunPipeline({{"set", "last", "x"}, {"bgsave"}}),
            "+OK\r\n+Background saving started\r\n");
  WaitForBgsave();
  EXPECT_TRUE(keyspace_->stats().last_bgsave_status.ok());
  auto problems = test::CheckBoltFile(dir_.File("data/backup.db"));
  ASSERT_TRUE(problems.ok()) << problems.status().ToString();
  EXPECT_TRUE(problems->empty());
  EXPECT_EQ(Run({"bgsave", "SCHEDULE"}), "+Background saving started\r\n");
  WaitForBgsave();
  Stop();
  // Restoring: the copy as the data file of an empty directory (no log).
  std::filesystem::create_directories(dir_.File("restored"));
  std::filesystem::copy_file(dir_.File("data/backup.db"), dir_.File("restored/larder.db"));
  Start(dir_.File("restored"));
  EXPECT_EQ(RunPipeline({{"get", "key199"}, {"get", "last"}}),
            "$50\r\n" + std::string(50, 'v') + "\r\n$1\r\nx\r\n");
}

TEST_F(PersistenceCommandsTest, OneBgsaveAtATimeAndWritesGoOn) {
  fs_.Hold();
  EXPECT_EQ(Run({"bgsave"}), "+Background saving started\r\n");
  EXPECT_TRUE(keyspace_->stats().bgsave_in_progress);
  EXPECT_EQ(Run({"bgsave"}), "-ERR Background save already in progress\r\n");
  EXPECT_EQ(Run({"save"}), "-ERR Background save already in progress\r\n");
  EXPECT_EQ(Run({"set", "during", "1"}), "+OK\r\n");
  EXPECT_FALSE(server_->poisoned());
  fs_.Release();
  WaitForBgsave();
  EXPECT_TRUE(keyspace_->stats().last_bgsave_status.ok());
  EXPECT_EQ(Run({"save"}), "+OK\r\n");
}

// As Redis 7.0: SAVE is no_multi (MULTI/SAVE is refused at queueing), BGSAVE may be queued.
TEST(PersistenceCommandSpecsTest, SaveIsRefusedInsideMultiBgsaveIsNot) {
  CommandTable table;
  RegisterPersistenceCommands(table);
  ASSERT_NE(table.Find("save"), nullptr);
  ASSERT_NE(table.Find("bgsave"), nullptr);
  EXPECT_NE(table.Find("save")->flags & kCmdNoMulti, 0u);
  EXPECT_EQ(table.Find("bgsave")->flags & kCmdNoMulti, 0u);
}

}  // namespace
}  // namespace larder::server
