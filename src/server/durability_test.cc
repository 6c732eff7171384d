#include "server/durability.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "larder/bolt/backup.h"
#include "larder/bolt/db.h"
#include "larder/bolt/kv.h"
#include "larder/clock.h"
#include "larder/file_system.h"
#include "server/backup_gate_for_test.h"
#include "server/wal.h"
#include "tests/util/bolt_tree.h"
#include "tests/util/gate_file_system.h"
#include "tests/util/kv_model.h"
#include "tests/util/temp_dir.h"

namespace larder::server {
namespace {

constexpr char kDurabilityCheckpointKey[] = "\x01wal-checkpoint";

// A bolt store and the durability over it, on one file system, reopened at will.
class Harness {
 public:
  explicit Harness(FileSystem* fs, std::string dir = "/data", Clock* clock = nullptr)
      : fs_(fs), dir_(std::move(dir)), clock_(clock) {}

  DurabilityOptions Options() const {
    DurabilityOptions o;
    o.dir = dir_;
    o.copy_engine = [fs = fs_, data = dir_ + "/data.db",
                     gate = copy_gate](const std::string& dest) {
      { std::lock_guard<std::mutex> wait(*gate); }  // held by a test that needs the copy running
      bolt::BackupOptions backup;
      backup.fs = fs;
      return bolt::BackupFile(data, dest, backup).status();
    };
    o.backup_file = dir_ + "/backup.db";
    o.checkpoint_key = kDurabilityCheckpointKey;
    o.appendfsync = mode;
    o.sync_interval_ms = 0;
    o.checkpoint_log_bytes = log_limit;
    o.fs = fs_;
    o.clock = clock_;
    return o;
  }

  Status Open() {
    Kill();
    LARDER_RETURN_IF_ERROR(fs_->CreateDirs(dir_));
    bolt::Options bo;
    bo.file_system = fs_;
    LARDER_ASSIGN_OR_RETURN(db, bolt::DB::Open(dir_ + "/data.db", bo));
    LARDER_ASSIGN_OR_RETURN(store, bolt::NewKVStore(db.get()));
    LARDER_ASSIGN_OR_RETURN(durability, Durability::Open(store.get(), Options()));
    return Status::Ok();
  }
  // A kill -9: nothing closed cleanly (the transaction is dropped, the log left as it is).
  void Kill() {
    durability.reset();
    store.reset();
    db.reset();
  }

  // One batch: puts `key`=`value` (empty value: deletes), logged and waited for.
  Status Write(const std::string& key, const std::string& value) {
    if (value.empty()) {
      LARDER_RETURN_IF_ERROR(durability->tx().Delete(key));
    } else {
      LARDER_RETURN_IF_ERROR(durability->tx().Put(key, value));
    }
    LARDER_ASSIGN_OR_RETURN(std::uint64_t ticket, durability->EndBatch());
    return durability->WaitDurable(ticket);
  }

  // What the keyspace sees (through the transaction), without the checkpoint record.
  test::KVMap Visible() {
    auto m = test::ReadAll(durability->tx());
    EXPECT_TRUE(m.ok());
    if (!m.ok()) return {};
    m->erase(kDurabilityCheckpointKey);
    return *m;
  }
  // What the engine file holds (committed state).
  test::KVMap Committed() {
    auto m = test::ReadAll(*store);
    EXPECT_TRUE(m.ok());
    if (!m.ok()) return {};
    m->erase(kDurabilityCheckpointKey);
    return *m;
  }

  AppendFsync mode = AppendFsync::kAlways;
  std::uint64_t log_limit = std::uint64_t{64} << 20;
  // BGSAVE's copy starts only while this is unlocked.
  std::shared_ptr<std::mutex> copy_gate = std::make_shared<std::mutex>();
  std::unique_ptr<bolt::DB> db;
  std::unique_ptr<kv::Store> store;  // over `db`
  std::unique_ptr<Durability> durability;

 private:
  FileSystem* fs_;
  std::string dir_;
  Clock* clock_;
};

TEST(DurabilityTest, KilledProcessRecoversEveryLoggedBatch) {
  auto fs = NewMemFileSystem();
  Harness h(fs.get());
  ASSERT_TRUE(h.Open().ok());
  test::KVMap want;
  for (int i = 0; i < 20; ++i) {
    const std::string k = "k" + std::to_string(i % 7);
    const std::string v = i % 5 == 4 ? "" : "v" + std::to_string(i);
    ASSERT_TRUE(h.Write(k, v).ok());
    if (v.empty()) {
      want.erase(k);
    } else {
      want[k] = v;
    }
  }
  EXPECT_EQ(h.Visible(), want);
  EXPECT_TRUE(h.Committed().empty());  // no checkpoint yet: all of it is in the log only
  h.Kill();
  ASSERT_TRUE(h.Open().ok());
  EXPECT_EQ(h.durability->stats().replayed, 20u);
  EXPECT_EQ(h.Visible(), want);
  EXPECT_EQ(h.Committed(), want);  // recovery checkpointed what it replayed
  EXPECT_EQ(h.durability->stats().checkpoint_seq, 20u);
  h.Kill();
  ASSERT_TRUE(h.Open().ok());
  EXPECT_EQ(h.durability->stats().replayed, 0u);
  EXPECT_EQ(h.Visible(), want);
}

TEST(DurabilityTest, CheckpointCommitsAndRotates) {
  auto fs = NewMemFileSystem();
  Harness h(fs.get());
  ASSERT_TRUE(h.Open().ok());
  ASSERT_TRUE(h.Write("a", "1").ok());
  ASSERT_TRUE(h.Write("b", "2").ok());
  EXPECT_GT(h.durability->stats().log_bytes, 0u);
  ASSERT_TRUE(h.durability->Checkpoint().ok());
  const DurabilityStats s = h.durability->stats();
  EXPECT_EQ(s.checkpoints, 1u);
  EXPECT_EQ(s.checkpoint_seq, 2u);
  EXPECT_EQ(s.log_bytes, 0u);
  EXPECT_EQ(h.Committed(), (test::KVMap{{"a", "1"}, {"b", "2"}}));
  // Writes after it go on in a fresh transaction.
  ASSERT_TRUE(h.Write("c", "3").ok());
  EXPECT_EQ(h.Visible().size(), 3u);
  EXPECT_EQ(h.Committed().size(), 2u);
  ASSERT_TRUE(h.durability->Close().ok());
  EXPECT_EQ(h.Committed().size(), 3u);  // Close checkpoints
}

TEST(DurabilityTest, MaybeCheckpointByTimeAndBySize) {
  auto fs = NewMemFileSystem();
  ManualClock clock;
  Harness h(fs.get(), "/data", &clock);
  h.log_limit = 2000;
  ASSERT_TRUE(h.Open().ok());
  // Nothing written: nothing to do, however long it has been.
  clock.Advance(std::chrono::seconds(5));
  ASSERT_TRUE(h.durability->MaybeCheckpoint().ok());
  EXPECT_EQ(h.durability->stats().checkpoints, 0u);
  ASSERT_TRUE(h.Write("a", "1").ok());
  ASSERT_TRUE(h.durability->MaybeCheckpoint().ok());  // due by time (5 s since the last)
  EXPECT_EQ(h.durability->stats().checkpoints, 1u);
  ASSERT_TRUE(h.Write("b", "2").ok());
  clock.Advance(std::chrono::milliseconds(999));
  ASSERT_TRUE(h.durability->MaybeCheckpoint().ok());
  EXPECT_EQ(h.durability->stats().checkpoints, 1u);  // not yet
  clock.Advance(std::chrono::milliseconds(1));
  ASSERT_TRUE(h.durability->MaybeCheckpoint().ok());
  EXPECT_EQ(h.durability->stats().checkpoints, 2u);
  // By size: a log past the limit checkpoints at once.
  ASSERT_TRUE(h.Write("big", std::string(2500, 'x')).ok());
  ASSERT_TRUE(h.durability->MaybeCheckpoint().ok());
  EXPECT_EQ(h.durability->stats().checkpoints, 3u);
  EXPECT_EQ(h.durability->stats().log_bytes, 0u);
}

// The memory of a checkpoint's ended transaction is kept for the next one while writes go on,
// and released once nothing has been written for an interval after the last checkpoint.
TEST(DurabilityTest, AnIdleServerReleasesTheMemoryKeptForWrites) {
  auto fs = NewMemFileSystem();
  ManualClock clock;
  Harness h(fs.get(), "/data", &clock);
  h.mode = AppendFsync::kEverySec;
  ASSERT_TRUE(h.Open().ok());
  const auto write_pages = [&](char tag) {
    for (int i = 0; i < 2000; ++i) {
      ASSERT_TRUE(
          h.durability->tx().Put(fmt::format("{}{:06}", tag, i), std::string(100, tag)).ok());
    }
    auto ticket = h.durability->EndBatch();
    ASSERT_TRUE(ticket.ok());
    ASSERT_TRUE(h.durability->WaitDurable(*ticket).ok());
  };
  write_pages('a');
  clock.Advance(std::chrono::seconds(1));
  ASSERT_TRUE(h.durability->MaybeCheckpoint().ok());
  ASSERT_EQ(h.durability->stats().checkpoints, 1u);
  const std::uint64_t kept = h.db->Stats().arena_cache_bytes;
  EXPECT_GT(kept, 0u);  // the committed transaction's pages, kept
  // Writes go on: the next checkpoint reuses it, and keeps it again.
  write_pages('b');
  clock.Advance(std::chrono::seconds(1));
  ASSERT_TRUE(h.durability->MaybeCheckpoint().ok());
  ASSERT_EQ(h.durability->stats().checkpoints, 2u);
  EXPECT_GT(h.db->Stats().arena_cache_bytes, 0u);
  // Nothing written since: kept for an interval, then released.
  clock.Advance(std::chrono::milliseconds(999));
  ASSERT_TRUE(h.durability->MaybeCheckpoint().ok());
  EXPECT_GT(h.db->Stats().arena_cache_bytes, 0u);
  clock.Advance(std::chrono::milliseconds(1));
  ASSERT_TRUE(h.durability->MaybeCheckpoint().ok());
  EXPECT_EQ(h.db->Stats().arena_cache_bytes, 0u);
  EXPECT_EQ(h.durability->stats().checkpoints, 2u);
  // The next checkpoint keeps its transaction's memory again.
  write_pages('c');
  clock.Advance(std::chrono::seconds(1));
  ASSERT_TRUE(h.durability->MaybeCheckpoint().ok());
  EXPECT_EQ(h.durability->stats().checkpoints, 3u);
  EXPECT_GT(h.db->Stats().arena_cache_bytes, 0u);
}

// A checkpoint whose commit took 400 ms (its data file sync held while the clock moves) spaces
// the next one by time 4 s from its start instead of the 1 s interval; a quick commit brings the
// interval back; the log's size limit still checkpoints at once; the spacing stops at 10 s.
TEST(DurabilityTest, ALongCommitSpacesTheNextCheckpointByTime) {
  auto mem = NewMemFileSystem();
  test::GateFileSystem gate(mem.get());
  ManualClock clock;
  Harness h(&gate, "/data", &clock);
  h.log_limit = 2000;
  ASSERT_TRUE(h.Open().ok());
  const auto checkpoints = [&] { return h.durability->stats().checkpoints; };
  const auto maybe_checkpoint = [&] { ASSERT_TRUE(h.durability->MaybeCheckpoint().ok()); };
  // Writes `key`, then a checkpoint by time whose commit takes `commit` (the data file's sync
  // held while the clock moves).
  const auto slow_checkpoint = [&](const std::string& key, std::chrono::milliseconds commit) {
    ASSERT_TRUE(h.Write(key, "x").ok());
    clock.Advance(std::chrono::seconds(10));
    gate.Hold(test::GateFileSystem::Call::kSync, {"/data/data.db"});
    std::thread checkpointer([&] { maybe_checkpoint(); });
    ASSERT_TRUE(gate.WaitUntilHolding());
    clock.Advance(commit);
    gate.Release();
    checkpointer.join();
  };
  slow_checkpoint("a", std::chrono::milliseconds(400));
  ASSERT_EQ(checkpoints(), 1u);
  EXPECT_EQ(h.durability->stats().checkpoint_last_usec, 400000u);

  ASSERT_TRUE(h.Write("b", "2").ok());
  clock.Advance(std::chrono::milliseconds(1100));  // 1.5 s after it began
  maybe_checkpoint();
  EXPECT_EQ(checkpoints(), 1u);
  clock.Advance(std::chrono::milliseconds(2499));
  maybe_checkpoint();
  EXPECT_EQ(checkpoints(), 1u);
  clock.Advance(std::chrono::milliseconds(1));  // 10 x 400 ms
  maybe_checkpoint();                           // quick this time (the clock stands still)
  EXPECT_EQ(checkpoints(), 2u);

  ASSERT_TRUE(h.Write("c", "3").ok());
  clock.Advance(std::chrono::seconds(1));
  maybe_checkpoint();
  EXPECT_EQ(checkpoints(), 3u);  // the interval again

  slow_checkpoint("d", std::chrono::seconds(3));
  ASSERT_EQ(checkpoints(), 4u);
  ASSERT_TRUE(h.Write("big", std::string(2500, 'x')).ok());  // past the log's limit: at once
  maybe_checkpoint();
  EXPECT_EQ(checkpoints(), 5u);

  // 10 x 3 s would be 30 s: the spacing stops at 10 s.
  slow_checkpoint("e", std::chrono::seconds(3));
  ASSERT_EQ(checkpoints(), 6u);
  ASSERT_TRUE(h.Write("f", "6").ok());
  clock.Advance(std::chrono::milliseconds(6999));
  maybe_checkpoint();
  EXPECT_EQ(checkpoints(), 6u);
  clock.Advance(std::chrono::milliseconds(1));
  maybe_checkpoint();
  EXPECT_EQ(checkpoints(), 7u);
  EXPECT_EQ(h.Committed().size(), 7u);
}

// INFO's larder_checkpoint_last_usec / larder_checkpoint_usec: the time a checkpoint's commit
// holds the execution lock, its syncs included. The data file's sync is held while the clock
// moves 30 ms.
TEST(DurabilityTest, CheckpointsCountTheTimeTheirCommitsTake) {
  auto mem = NewMemFileSystem();
  test::GateFileSystem gate(mem.get());
  ManualClock clock;
  Harness h(&gate, "/data", &clock);
  ASSERT_TRUE(h.Open().ok());
  const std::uint64_t at_open = h.durability->stats().checkpoint_total_usec;
  ASSERT_TRUE(h.Write("a", "1").ok());
  gate.Hold(test::GateFileSystem::Call::kSync, {"/data/data.db"});
  Status checkpoint;
  std::thread saver([&] { checkpoint = h.durability->Checkpoint(); });
  ASSERT_TRUE(gate.WaitUntilHolding());
  clock.Advance(std::chrono::milliseconds(30));
  gate.Release();
  saver.join();
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.ToString();
  DurabilityStats s = h.durability->stats();
  EXPECT_EQ(s.checkpoint_last_usec, 30000u);
  EXPECT_EQ(s.checkpoint_total_usec, at_open + 30000);
  ASSERT_TRUE(h.Write("b", "2").ok());
  ASSERT_TRUE(h.durability->Checkpoint().ok());  // the clock stands still: 0 us
  s = h.durability->stats();
  EXPECT_EQ(s.checkpoint_last_usec, 0u);
  EXPECT_EQ(s.checkpoint_total_usec, at_open + 30000);
}

TEST(DurabilityTest, WritesOutsideABatchAreLoggedByTheCheckpoint) {
  auto fs = NewMemFileSystem();
  Harness h(fs.get());
  ASSERT_TRUE(h.Open().ok());
  ASSERT_TRUE(h.durability->tx().Put("expired-cycle", "x").ok());  // no EndBatch
  ASSERT_TRUE(h.durability->Checkpoint().ok());
  EXPECT_EQ(h.durability->stats().last_seq, 1u);
  EXPECT_EQ(h.Committed(), (test::KVMap{{"expired-cycle", "x"}}));
}

// Under always, a batch that wrote nothing may still have read a record another I/O thread
// logged and is waiting on: its ticket is that record until it is durable.
TEST(DurabilityTest, ABatchWithoutWritesWaitsForRecordsItMayHaveReadUnderAlways) {
  auto fs = NewMemFileSystem();
  Harness h(fs.get());
  ASSERT_TRUE(h.Open().ok());
  ASSERT_TRUE(h.durability->tx().Put("a", "1").ok());
  auto written = h.durability->EndBatch();  // logged, not yet synced
  ASSERT_TRUE(written.ok());
  auto reader = h.durability->EndBatch();
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(*reader, *written);
  ASSERT_TRUE(h.durability->WaitDurable(*reader).ok());
  EXPECT_EQ(h.durability->stats().fsyncs, 1u);
  auto after = h.durability->EndBatch();  // everything durable: nothing to wait for
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, 0u);

  h.durability->SetAppendFsync(AppendFsync::kEverySec);
  ASSERT_TRUE(h.durability->tx().Put("b", "2").ok());
  ASSERT_TRUE(h.durability->EndBatch().ok());
  auto everysec_reader = h.durability->EndBatch();
  ASSERT_TRUE(everysec_reader.ok());
  EXPECT_EQ(*everysec_reader, 0u);  // replies never wait for a sync under everysec
}

TEST(DurabilityTest, ABatchWithoutWritesNeedsNoWait) {
  auto fs = NewMemFileSystem();
  Harness h(fs.get());
  ASSERT_TRUE(h.Open().ok());
  auto ticket = h.durability->EndBatch();
  ASSERT_TRUE(ticket.ok());
  EXPECT_EQ(*ticket, 0u);
  EXPECT_TRUE(h.durability->WaitDurable(0).ok());
  EXPECT_EQ(h.durability->stats().fsyncs, 0u);
  EXPECT_EQ(h.durability->stats().commits, 0u);
}

TEST(DurabilityTest, TheKeyspaceCannotCommitTheTransaction) {
  auto fs = NewMemFileSystem();
  Harness h(fs.get());
  ASSERT_TRUE(h.Open().ok());
  EXPECT_TRUE(h.durability->tx().Commit({}).IsInvalidArgument());
  EXPECT_TRUE(h.durability->tx().Rollback().IsInvalidArgument());
}

// While BGSAVE copies the file, checkpoints wait (the log holds the writes), unless the log
// grows past four times its limit; the copy then retries and still succeeds.
TEST(DurabilityTest, CheckpointsWaitForBackgroundSaveUnlessTheLogGrowsTooLarge) {
  auto mem = NewMemFileSystem();
  testing::BackupGate fs(mem.get());
  ManualClock clock;
  Harness h(&fs, "/data", &clock);
  h.log_limit = 4000;
  ASSERT_TRUE(h.Open().ok());
  ASSERT_TRUE(h.Write("a", "1").ok());
  fs.Hold();
  ASSERT_TRUE(h.durability->BackgroundSave().ok());
  EXPECT_EQ(h.durability->stats().checkpoints, 1u);        // BGSAVE's own
  ASSERT_TRUE(h.Write("b", std::string(5000, 'x')).ok());  // past the limit, and due by time
  clock.Advance(std::chrono::seconds(5));
  ASSERT_TRUE(h.durability->MaybeCheckpoint().ok());
  EXPECT_EQ(h.durability->stats().checkpoints, 1u);           // deferred
  EXPECT_EQ(h.durability->Checkpoint().code(), Code::kBusy);  // SAVE waits for it too
  ASSERT_TRUE(h.Write("c", std::string(12000, 'y')).ok());    // past four times the limit
  ASSERT_TRUE(h.durability->MaybeCheckpoint().ok());
  EXPECT_EQ(h.durability->stats().checkpoints, 2u);  // forced
  fs.Release();
  h.durability->WaitForBackgroundSave();
  EXPECT_TRUE(h.durability->stats().last_bgsave_status.ok())
      << h.durability->stats().last_bgsave_status.ToString();
}

TEST(DurabilityTest, BackgroundSaveWritesACheckedCopyOnline) {
  test::TempDir dir;  // the real file system: bolt's file lock and the hot backup's lock-free path
  Harness h(DefaultFileSystem(), dir.path());
  ASSERT_TRUE(h.Open().ok());
  test::KVMap want;
  for (int i = 0; i < 300; ++i) {
    want["key" + std::to_string(i)] = std::string(100, static_cast<char>('a' + i % 26));
    ASSERT_TRUE(h.Write("key" + std::to_string(i), want["key" + std::to_string(i)]).ok());
  }
  // The copy is held until the checks below have seen it running (it could otherwise finish
  // first, and the second BGSAVE would start a copy holding the write after it).
  std::unique_lock<std::mutex> hold(*h.copy_gate);
  ASSERT_TRUE(h.durability->BackgroundSave().ok());
  // Writes go on while the copy runs; they are not in it.
  ASSERT_TRUE(h.Write("after", "bgsave").ok());
  EXPECT_EQ(h.durability->BackgroundSave().code(), Code::kBusy);
  EXPECT_TRUE(h.durability->stats().bgsave_in_progress);
  hold.unlock();
  h.durability->WaitForBackgroundSave();
  const DurabilityStats s = h.durability->stats();
  EXPECT_FALSE(s.bgsave_in_progress);
  ASSERT_TRUE(s.last_bgsave_status.ok()) << s.last_bgsave_status.ToString();
  auto problems = test::CheckBoltFile(dir.File("backup.db"));
  ASSERT_TRUE(problems.ok()) << problems.status().ToString();
  EXPECT_TRUE(problems->empty());
  {
    bolt::Options ro;
    ro.read_only = true;
    auto backup = bolt::OpenKV(dir.File("backup.db"), ro);
    ASSERT_TRUE(backup.ok()) << backup.status().ToString();
    auto got = test::ReadAll(**backup);
    ASSERT_TRUE(got.ok());
    got->erase(kDurabilityCheckpointKey);
    EXPECT_EQ(*got, want);
  }
  // A second BGSAVE replaces the first copy.
  ASSERT_TRUE(h.durability->BackgroundSave().ok());
  h.durability->WaitForBackgroundSave();
  ASSERT_TRUE(h.durability->stats().last_bgsave_status.ok());
  ASSERT_TRUE(h.durability->Close().ok());
  h.Kill();
}

}  // namespace
}  // namespace larder::server
