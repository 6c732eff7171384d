// Execution store behaviour that needs a file: repairs of entries written behind the store's
// back, damaged records, and crash safety of the start-up compaction.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "larder/bolt/db.h"
#include "larder/stores/execution_store.h"
#include "testing/fault_injection_file_system.h"
#include "tests/util/temp_dir.h"

namespace larder::stores {
namespace {

class ExecutionStoreFileTest : public ::testing::Test {
 protected:
  ExecutionStoreOptions Options() {
    ExecutionStoreOptions o;
    o.config.type = StoreType::kBolt;
    o.config.path = dir_.File("n-compute.db");
    o.no_sync = true;
    return o;
  }

  // Runs `fn` on the store's file with the store closed.
  void Raw(const std::function<Status(bolt::Tx&)>& fn, FileSystem* fs = nullptr) {
    bolt::Options bo;
    bo.file_system = fs;
    auto db = bolt::DB::Open(Options().config.path, bo);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE((*db)->Update(fn).ok());
  }

  test::TempDir dir_;
};

TEST_F(ExecutionStoreFileTest, StartupRepairsOrphansAndMissingIndexEntries) {
  std::string live_id, gone_id;
  {
    auto store = ExecutionStore::Open(Options());
    ASSERT_TRUE(store.ok());
    Execution e;
    e.job_id = "j1";
    e.job_type = "batch";
    e.state = ExecutionState::kCompleted;
    live_id = (*store)->Create(e)->id;
    gone_id = (*store)->Create(e)->id;
  }
  // Behind the store's back: a record vanishes without its entries, an index entry of the live
  // record is lost, a stray entry disagrees with its record.
  Raw([&](bolt::Tx& tx) -> Status {
    LARDER_ASSIGN_OR_RETURN(bolt::Bucket records, tx.GetBucket("execution"));
    LARDER_RETURN_IF_ERROR(records.Delete(gone_id));
    LARDER_ASSIGN_OR_RETURN(bolt::Bucket index, tx.GetBucket("execution-index"));
    LARDER_RETURN_IF_ERROR(index.Delete("job/j1/" + live_id));
    return index.Put("state/running/" + live_id, "");
  });
  auto store = ExecutionStore::Open(Options());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const StartupReport& r = (*store)->startup_report();
  EXPECT_EQ(r.history_entries_removed, 1u);  // gone_id's "created" entry
  EXPECT_EQ(r.index_entries_removed, 3u);    // gone_id's two, the stray running one
  EXPECT_EQ(r.index_entries_added, 1u);      // live_id's job entry
  EXPECT_EQ(r.indexed[static_cast<int>(ExecutionState::kCompleted)], 2u);  // before repair
  EXPECT_EQ(r.indexed[static_cast<int>(ExecutionState::kRunning)], 1u);
  EXPECT_EQ(r.counters[static_cast<int>(ExecutionState::kCompleted)], 1u);
  EXPECT_EQ(r.counters[static_cast<int>(ExecutionState::kRunning)], 0u);
  auto by_job = (*store)->ListByJob("j1");
  ASSERT_TRUE(by_job.ok());
  ASSERT_EQ(by_job->size(), 1u);
  EXPECT_EQ((*by_job)[0].id, live_id);
  EXPECT_TRUE((*store)->ListByState(ExecutionState::kRunning)->empty());
}

TEST_F(ExecutionStoreFileTest, DamagedRecordIsACorruptionNamingIt) {
  { ASSERT_TRUE(ExecutionStore::Open(Options()).ok()); }
  for (const char* bad : {"not json", "{\"id\":\"e-bad\"}", "[1,2]",
                          "{\"id\":\"e-bad\",\"job_id\":\"j\",\"job_type\":\"batch\","
                          "\"state\":\"sleeping\",\"desired_state\":\"running\",\"revision\":1,"
                          "\"create_time\":1,\"modify_time\":1,\"resources\":{}}"}) {
    Raw([&](bolt::Tx& tx) -> Status {
      LARDER_ASSIGN_OR_RETURN(bolt::Bucket records, tx.GetBucket("execution"));
      return records.Put("e-bad", bad);
    });
    auto store = ExecutionStore::Open(Options());
    ASSERT_FALSE(store.ok()) << bad;
    EXPECT_TRUE(store.status().IsCorruption()) << store.status().ToString();
    EXPECT_NE(store.status().ToString().find("e-bad"), std::string::npos)
        << store.status().ToString();
  }
}

// Crashes the start-up compaction after every n-th mutating file operation, loses power, and
// checks that the next start finds every execution, whichever file survived.
TEST_F(ExecutionStoreFileTest, CompactionSurvivesACrashAtAnyPoint) {
  FaultInjectionFileSystem fs;
  ExecutionStoreOptions o = Options();
  o.file_system = &fs;
  o.no_sync = false;
  o.config.path = "/data/n-compute.db";
  o.compact_free_pages = 0;
  o.terminal_retention = std::chrono::seconds(0);
  std::set<std::string> kept;
  {
    auto store = ExecutionStore::Open(o);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    std::vector<std::string> ids;
    for (int i = 0; i < 60; ++i) {
      Execution e;
      e.job_id = "j";
      e.job_type = "batch";
      e.state = ExecutionState::kCompleted;
      e.error = std::string(2000, 'a' + i % 26);
      ids.push_back((*store)->Create(e)->id);
    }
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (i % 6 == 0) {
        kept.insert(ids[i]);
      } else {
        ASSERT_TRUE((*store)->Delete(ids[i]).ok());
      }
    }
  }
  auto saved = fs.Save();
  std::uint64_t original_bytes = 0;
  {
    auto store = ExecutionStore::Open(o);
    ASSERT_TRUE(store.ok());
    original_bytes = (*store)->startup_report().file_bytes_before;
  }
  fs.Restore(*saved);
  // How many mutating operations a full compacting start-up takes.
  o.compact_free_pages = 4;
  std::uint64_t before = fs.mutating_ops();
  {
    auto store = ExecutionStore::Open(o);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->startup_report().compacted);
  }
  const std::uint64_t total = fs.mutating_ops() - before;
  ASSERT_GT(total, 5u);
  const std::uint64_t step = std::max<std::uint64_t>(1, total / 40);
  int old_file = 0, new_file = 0;
  for (std::uint64_t n = 0; n <= total; n += step) {
    fs.Restore(*saved);
    fs.CrashAfter(n);
    { (void)ExecutionStore::Open(o); }  // may fail anywhere
    fs.PowerLoss(n);
    ExecutionStoreOptions check = o;
    check.compact_free_pages = 0;
    auto store = ExecutionStore::Open(check);
    ASSERT_TRUE(store.ok()) << "crash after " << n << ": " << store.status().ToString();
    auto done = (*store)->ListByState(ExecutionState::kCompleted);
    ASSERT_TRUE(done.ok());
    std::set<std::string> found;
    for (const Execution& e : *done) found.insert(e.id);
    ASSERT_EQ(found, kept) << "crash after " << n;
    EXPECT_FALSE(*fs.Exists(o.config.path + ".compact"));
    const std::uint64_t bytes = (*store)->startup_report().file_bytes_before;
    (bytes < original_bytes ? new_file : old_file)++;
  }
  // The crash points fell on both sides of the rename.
  EXPECT_GT(old_file, 0);
  EXPECT_GT(new_file, 0);
}

// A record, its index entries and its history are one transaction: crash a stream of writes at
// many points, lose power, and the next start-up finds nothing to repair.
TEST_F(ExecutionStoreFileTest, CrashedWritesLeaveNothingToRepair) {
  FaultInjectionFileSystem fs;
  ExecutionStoreOptions o = Options();
  o.file_system = &fs;
  o.no_sync = false;
  o.config.path = "/data/n-compute.db";
  o.terminal_retention = std::chrono::seconds(0);
  o.compact_free_pages = 0;
  // The workload: creates, state changes, notes and deletes. Stops at the first error.
  auto workload = [](ExecutionStore& store) {
    std::vector<std::string> ids;
    for (int i = 0; i < 12; ++i) {
      Execution e;
      e.job_id = "j" + std::to_string(i % 3);
      e.job_type = "service";
      auto r = store.Create(e);
      if (!r.ok()) return;
      ids.push_back(r->id);
      ExecutionUpdate u;
      u.id = r->id;
      u.new_state = i % 2 ? ExecutionState::kCompleted : ExecutionState::kRunning;
      if (!store.Update(u).ok()) return;
      if (!store.AppendHistory(r->id, "note").ok()) return;
      if (i % 4 == 3 && !store.Delete(ids[i - 1]).ok()) return;
    }
  };
  { ASSERT_TRUE(ExecutionStore::Open(o).ok()); }
  auto saved = fs.Save();
  std::uint64_t before = fs.mutating_ops();
  {
    auto store = ExecutionStore::Open(o);
    ASSERT_TRUE(store.ok());
    workload(**store);
  }
  const std::uint64_t total = fs.mutating_ops() - before;
  const std::uint64_t step = std::max<std::uint64_t>(1, total / 30);
  for (std::uint64_t n = 1; n < total; n += step) {
    fs.Restore(*saved);
    fs.CrashAfter(n);
    {
      auto store = ExecutionStore::Open(o);
      if (store.ok()) workload(**store);
    }
    fs.PowerLoss(n * 7919);
    auto store = ExecutionStore::Open(o);
    ASSERT_TRUE(store.ok()) << "crash after " << n << ": " << store.status().ToString();
    const StartupReport& r = (*store)->startup_report();
    EXPECT_EQ(r.index_entries_added, 0u) << "crash after " << n;
    EXPECT_EQ(r.index_entries_removed, 0u) << "crash after " << n;
    EXPECT_EQ(r.history_entries_removed, 0u) << "crash after " << n;
    // The state index agreed with the records: moved by the recovery, it gives the counters.
    StateCounters expected = r.indexed;
    for (const RecoveryAction& a : r.recovery) {
      --expected[static_cast<int>(a.from)];
      ++expected[static_cast<int>(a.to)];
    }
    EXPECT_EQ(expected, r.counters) << "crash after " << n;
  }
}

}  // namespace
}  // namespace larder::stores
