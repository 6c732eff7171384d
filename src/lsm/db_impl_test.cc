// Unit tests of the LSM engine through its public API (db.h), on the in-memory file system
// unless said otherwise.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "larder/clock.h"
#include "larder/file_system.h"
#include "larder/file_system_wrapper.h"
#include "larder/lsm/db.h"
#include "testing/fault_injection_file_system.h"
#include "tests/util/kv_model.h"

namespace larder::lsm {
namespace {

// Opens the database at `dir`; nullptr, and a failed test, when it does not open.
std::unique_ptr<DB> OpenDB(const std::string& dir, const Options& o) {
  auto db = DB::Open(dir, o);
  EXPECT_TRUE(db.ok()) << dir << ": " << db.status().ToString();
  return db.ok() ? std::move(*db) : nullptr;
}

class LsmDBTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs_ = NewMemFileSystem(std::size_t{256} << 20);
    options_.file_system = fs_.get();
  }
  std::unique_ptr<DB> Open(const Options& o) { return OpenDB("/db", o); }
  std::unique_ptr<DB> Open() { return Open(options_); }
  static std::string Get(DB* db, std::string_view key) {
    std::string v;
    Status s = db->Get(key, &v);
    if (s.IsNotFound()) return "NOT_FOUND";
    if (!s.ok()) return "ERROR: " + s.ToString();
    return v;
  }
  static std::map<std::string, std::string> Scan(kv::ReadView& view) {
    std::map<std::string, std::string> m;
    auto it = view.NewIterator();
    EXPECT_TRUE(it.ok());
    for ((*it)->SeekToFirst(); (*it)->Valid(); (*it)->Next()) {
      m[std::string((*it)->key())] = std::string((*it)->value());
    }
    EXPECT_TRUE((*it)->status().ok()) << (*it)->status().ToString();
    return m;
  }

  std::unique_ptr<FileSystem> fs_;
  Options options_;
};

TEST_F(LsmDBTest, PutGetDeleteAndReopen) {
  auto db = Open();
  ASSERT_TRUE(db->Put({}, "a", "1").ok());
  ASSERT_TRUE(db->Put({.sync = false}, "b", "2").ok());
  ASSERT_TRUE(db->Delete({}, "a").ok());
  EXPECT_EQ(Get(db.get(), "a"), "NOT_FOUND");
  EXPECT_EQ(Get(db.get(), "b"), "2");
  ASSERT_TRUE(db->Close().ok());
  db = Open();
  EXPECT_EQ(Get(db.get(), "a"), "NOT_FOUND");
  EXPECT_EQ(Get(db.get(), "b"), "2");
  EXPECT_EQ(db->GetStats().last_sequence, 3u);
}

TEST_F(LsmDBTest, ManyWritesFlushCompactAndReopen) {
  options_.write_buffer_size = 8 << 10;
  options_.target_file_size = 8 << 10;
  options_.max_bytes_for_level_base = 32 << 10;
  options_.level0_compaction_trigger = 2;
  std::map<std::string, std::string> model;
  std::mt19937_64 rng(7);
  {
    auto db = Open();
    for (int i = 0; i < 5000; ++i) {
      std::string k = test::NumberedKey("key", rng() % 1500);
      if (rng() % 7 == 0) {
        ASSERT_TRUE(db->Delete({.sync = false}, k).ok());
        model.erase(k);
      } else {
        std::string v(rng() % 100, static_cast<char>('a' + i % 26));
        ASSERT_TRUE(db->Put({.sync = false}, k, v).ok());
        model[k] = v;
      }
    }
    EXPECT_EQ(Scan(*db), model);
    Stats st = db->GetStats();
    EXPECT_GT(st.flushes, 3u);
    ASSERT_TRUE(db->CompactRange(std::nullopt, std::nullopt).ok());
    EXPECT_EQ(Scan(*db), model);
    st = db->GetStats();
    EXPECT_GT(st.compactions, 0u);
    // Every byte went to the log, then to tables at least once.
    EXPECT_GT(st.write_amplification(), 1.5);
    EXPECT_GT(st.live_disk_bytes, 0u);
    ASSERT_TRUE(db->Close().ok());
  }
  auto db = Open();
  EXPECT_EQ(Scan(*db), model);
  for (const auto& [k, v] : model) ASSERT_EQ(Get(db.get(), k), v) << k;
}

TEST_F(LsmDBTest, LargeValuesLiveInTheValueLog) {
  options_.value_threshold = 100;
  options_.write_buffer_size = 16 << 10;
  std::map<std::string, std::string> model;
  {
    auto db = Open();
    for (int i = 0; i < 300; ++i) {
      std::string v(50 + (i * 37) % 400, static_cast<char>('a' + i % 26));
      ASSERT_TRUE(db->Put({.sync = false}, test::NumberedKey("k", i % 120), v).ok());
      model[test::NumberedKey("k", i % 120)] = v;
    }
    ASSERT_TRUE(db->Flush().ok());
    EXPECT_EQ(Scan(*db), model);
    ASSERT_TRUE(db->CompactRange(std::nullopt, std::nullopt).ok());
    EXPECT_EQ(Scan(*db), model);
    EXPECT_GT(db->GetStats().vlog_files, 1);
    ASSERT_TRUE(db->Close().ok());
  }
  auto db = Open();
  EXPECT_EQ(Scan(*db), model);
  for (const auto& [k, v] : model) ASSERT_EQ(Get(db.get(), k), v) << k;
}

TEST_F(LsmDBTest, SnapshotsSeeTheirPointInTime) {
  options_.write_buffer_size = 4 << 10;
  auto db = Open();
  ASSERT_TRUE(db->Put({}, "k", "old").ok());
  auto snap = db->NewSnapshot();
  ASSERT_TRUE(snap.ok());
  ASSERT_TRUE(db->Put({}, "k", "new").ok());
  ASSERT_TRUE(db->Delete({}, "gone").ok());
  for (int i = 0; i < 500; ++i)
    ASSERT_TRUE(db->Put({.sync = false}, test::NumberedKey("f", i), "x").ok());
  ASSERT_TRUE(db->CompactRange(std::nullopt, std::nullopt).ok());
  std::string v;
  ASSERT_TRUE((*snap)->Get("k", &v).ok());
  EXPECT_EQ(v, "old");
  EXPECT_EQ(Get(db.get(), "k"), "new");
  EXPECT_TRUE((*snap)->Get("f1", &v).IsNotFound());
  snap->reset();
}

TEST_F(LsmDBTest, RangeDeletionAndExpiry) {
  ManualClock clock(ManualClock::SleepMode::kAdvance, 0, 1'000'000'000);
  options_.clock = &clock;
  auto db = Open();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(db->Put({}, test::NumberedKey("q", i), "v").ok());
  WriteBatch b;
  b.DeleteRange("q2", "q5");
  b.PutWithExpiry("ttl", "short", clock.NowUnixMillis() + 1000);
  b.Put("q3", "back");  // after the range deletion: survives
  ASSERT_TRUE(db->Write({}, b).ok());
  EXPECT_EQ(Get(db.get(), "q1"), "v");
  EXPECT_EQ(Get(db.get(), "q2"), "NOT_FOUND");
  EXPECT_EQ(Get(db.get(), "q3"), "back");
  EXPECT_EQ(Get(db.get(), "q4"), "NOT_FOUND");
  EXPECT_EQ(Get(db.get(), "q5"), "v");
  EXPECT_EQ(Get(db.get(), "ttl"), "short");
  ASSERT_TRUE(db->Flush().ok());
  EXPECT_EQ(Get(db.get(), "q4"), "NOT_FOUND");
  EXPECT_EQ(Scan(*db).size(), 9u);  // q0 q1 q3 q5..q9 ttl
  clock.Advance(std::chrono::seconds(2));
  EXPECT_EQ(Get(db.get(), "ttl"), "NOT_FOUND");
  ASSERT_TRUE(db->CompactRange(std::nullopt, std::nullopt).ok());
  EXPECT_EQ(Get(db.get(), "q2"), "NOT_FOUND");
  EXPECT_EQ(Get(db.get(), "q3"), "back");
  EXPECT_EQ(Scan(*db).size(), 8u);
}

TEST_F(LsmDBTest, OptimisticTransactionsDetectConflicts) {
  auto db = Open();
  ASSERT_TRUE(db->Put({}, "x", "0").ok());
  auto t1 = db->BeginOptimistic();
  auto t2 = db->BeginOptimistic();
  ASSERT_TRUE(t1.ok() && t2.ok());
  std::string v;
  ASSERT_TRUE((*t1)->Get("x", &v).ok());
  ASSERT_TRUE((*t2)->Get("x", &v).ok());
  ASSERT_TRUE((*t1)->Put("x", "1").ok());
  ASSERT_TRUE((*t2)->Put("x", "2").ok());
  ASSERT_TRUE((*t1)->Commit().ok());
  Status s = (*t2)->Commit();
  EXPECT_TRUE(s.IsConflict()) << s.ToString();
  EXPECT_EQ(Get(db.get(), "x"), "1");
  // No conflict on disjoint keys.
  auto t3 = db->BeginOptimistic();
  ASSERT_TRUE((*t3)->Put("y", "3").ok());
  ASSERT_TRUE(db->Put({}, "z", "4").ok());
  EXPECT_TRUE((*t3)->Commit().ok());
  EXPECT_EQ(Get(db.get(), "y"), "3");
}

TEST_F(LsmDBTest, KvTransactionSeesItsWritesAndCommitsAtomically) {
  auto db = Open();
  ASSERT_TRUE(db->Put({}, "a", "1").ok());
  auto tx = db->BeginTransaction();
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE((*tx)->Put("b", "2").ok());
  ASSERT_TRUE((*tx)->Delete("a").ok());
  std::string v;
  EXPECT_TRUE((*tx)->Get("a", &v).IsNotFound());
  EXPECT_EQ(Scan(**tx), (std::map<std::string, std::string>{{"b", "2"}}));
  EXPECT_EQ(Get(db.get(), "a"), "1");
  ASSERT_TRUE((*tx)->Commit().ok());
  tx->reset();
  EXPECT_EQ(Scan(*db), (std::map<std::string, std::string>{{"b", "2"}}));
}

TEST_F(LsmDBTest, SecondOpenerGetsTheLockError) {
  auto db = Open();
  auto second = DB::Open("/db", options_);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().ToString().find("Cannot acquire directory lock"), std::string::npos)
      << second.status().ToString();
}

TEST_F(LsmDBTest, ReadOnlyOpenReadsAndRefusesWrites) {
  {
    auto db = Open();
    ASSERT_TRUE(db->Put({}, "k", "v").ok());
    ASSERT_TRUE(db->Close().ok());
  }
  Options ro = options_;
  ro.read_only = true;
  auto db = Open(ro);
  EXPECT_EQ(Get(db.get(), "k"), "v");
  EXPECT_EQ(db->Put({}, "k", "w").code(), Code::kReadOnly);
}

TEST_F(LsmDBTest, InMemoryModeNeedsNoFileSystem) {
  Options o;
  o.in_memory = true;
  auto db = DB::Open("/mem", o);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE((*db)->Put({}, "k", "v").ok());
  EXPECT_EQ(Get(db->get(), "k"), "v");
}

TEST_F(LsmDBTest, MissingDatabaseIsNotFoundWithoutCreate) {
  Options o = options_;
  o.create_if_missing = false;
  EXPECT_TRUE(DB::Open("/nothing", o).status().IsNotFound());
}

TEST_F(LsmDBTest, BackupIncrementalRestoreAndCheckpoint) {
  options_.write_buffer_size = 4 << 10;
  auto db = Open();
  for (int i = 0; i < 200; ++i)
    ASSERT_TRUE(db->Put({.sync = false}, test::NumberedKey("k", i), "v1").ok());
  auto full = db->Backup("/full.bk", std::nullopt);
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  ASSERT_TRUE(db->Delete({}, "k7").ok());
  ASSERT_TRUE(db->Put({}, "k8", "v2").ok());
  ASSERT_TRUE(db->Put({}, "new", "v3").ok());
  ASSERT_TRUE(db->CompactRange(std::nullopt, std::nullopt).ok());  // the tombstone may go
  auto incr = db->Backup("/incr.bk", *full);
  ASSERT_TRUE(incr.ok()) << incr.status().ToString();
  EXPECT_GT(*incr, *full);
  EXPECT_FALSE(db->Backup("/full.bk", std::nullopt).ok());  // never over a file
  const auto want = Scan(*db);

  auto restored = Restore({"/full.bk", "/incr.bk"}, "/restored", options_);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(*restored, *incr);
  {
    auto r = DB::Open("/restored", options_);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(Scan(**r), want);
  }
  // The incremental one alone, or out of order, is refused.
  EXPECT_FALSE(Restore({"/incr.bk"}, "/r2", options_).ok());

  // A damaged backup is refused before anything is written.
  {
    auto f = fs_->Open("/full.bk", OpenOptions{});
    ASSERT_TRUE(f.ok());
    const std::uint8_t x = 0x5a;
    ASSERT_TRUE((*f)->WriteAt(100, {&x, 1}).ok());
  }
  auto bad = Restore({"/full.bk"}, "/r3", options_);
  EXPECT_TRUE(bad.status().IsCorruption()) << bad.status().ToString();

  ASSERT_TRUE(db->Checkpoint("/copy").ok());
  EXPECT_FALSE(db->Checkpoint("/copy").ok());
  ASSERT_TRUE(db->Put({}, "after", "x").ok());
  auto copy = DB::Open("/copy", options_);
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(Scan(**copy), want);
}

TEST_F(LsmDBTest, ValueLogCollectionRunsByItselfAndNeverResurrects) {
  options_.value_threshold = 100;
  options_.write_buffer_size = 8 << 10;
  options_.vlog_gc_discard_ratio = 0.3;
  options_.level0_compaction_trigger = 2;
  std::map<std::string, std::string> model;
  auto db = Open();
  // Keys written once (their values must move when their log is collected), keys overwritten
  // (garbage) and keys deleted (must stay deleted).
  for (int i = 0; i < 40; ++i) {
    const std::string v(200, static_cast<char>('a' + i % 26));
    ASSERT_TRUE(db->Put({.sync = false}, test::NumberedKey("keep", i), v).ok());
    model[test::NumberedKey("keep", i)] = v;
    ASSERT_TRUE(db->Put({.sync = false}, test::NumberedKey("gone", i), v).ok());
  }
  for (int round = 0; round < 30; ++round) {
    for (int i = 0; i < 40; ++i) {
      const std::string v(200 + round, static_cast<char>('A' + (i + round) % 26));
      ASSERT_TRUE(db->Put({.sync = false}, test::NumberedKey("hot", i), v).ok());
      model[test::NumberedKey("hot", i)] = v;
    }
    if (round == 5) {
      for (int i = 0; i < 40; ++i)
        ASSERT_TRUE(db->Delete({.sync = false}, test::NumberedKey("gone", i)).ok());
    }
  }
  // Collection runs by itself after the compactions; its copies go on a thread of their own,
  // so give it rounds of background work (a bounded wait, no timing assertion).
  for (int i = 0; i < 200 && db->GetStats().vlog_gc_runs == 0; ++i) {
    ASSERT_TRUE(db->CompactRange(std::nullopt, std::nullopt).ok());
    ASSERT_TRUE(db->Flush().ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  Stats st = db->GetStats();
  EXPECT_GT(st.vlog_gc_runs, 0u);
  EXPECT_EQ(Scan(*db), model);
  ASSERT_TRUE(db->Close().ok());
  db = Open();
  EXPECT_EQ(Scan(*db), model);
  for (const auto& [k, v] : model) ASSERT_EQ(Get(db.get(), k), v) << k;
}

TEST(LsmDBFaultTest, AFailedSyncPoisonsUntilReopen) {
  FaultInjectionFileSystem fs;
  Options o;
  o.file_system = &fs;
  {
    auto db = OpenDB("/p", o);
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(db->Put({}, "a", "1").ok());
    fs.FailNth(FaultInjectionFileSystem::Op::kSync, 1, false);
    Status s = db->Put({}, "b", "2");
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(db->Put({}, "c", "3").code(), Code::kPoisoned);
    std::string v;
    EXPECT_TRUE(db->Get("a", &v).ok());
    (void)db->Close();
  }
  auto db = OpenDB("/p", o);
  ASSERT_NE(db, nullptr);
  EXPECT_TRUE(db->Put({}, "c", "3").ok());
}

// Counts File::Sync and write calls on value logs.
class CountingFileSystem final : public FileSystemWrapper {
 public:
  explicit CountingFileSystem(FileSystem* target) : FileSystemWrapper(target) {}
  Result<std::unique_ptr<File>> Open(const std::string& path, const OpenOptions& o) override {
    LARDER_ASSIGN_OR_RETURN(std::unique_ptr<File> f, target()->Open(path, o));
    if (!path.ends_with(".vlog")) return f;
    return std::unique_ptr<File>(new CountingFile(std::move(f), this));
  }
  std::atomic<int> syncs{0};
  std::atomic<int> writes{0};

 private:
  class CountingFile final : public FileWrapper {
   public:
    CountingFile(std::unique_ptr<File> f, CountingFileSystem* fs)
        : FileWrapper(std::move(f)), fs_(fs) {}
    Status Sync() override {
      ++fs_->syncs;
      return FileWrapper::Sync();
    }
    Status WriteAt(std::uint64_t offset, std::span<const std::uint8_t> data) override {
      ++fs_->writes;
      return FileWrapper::WriteAt(offset, data);
    }
    Status WriteAtV(std::uint64_t offset,
                    std::span<const std::span<const std::uint8_t>> pieces) override {
      ++fs_->writes;
      return FileWrapper::WriteAtV(offset, pieces);
    }

   private:
    CountingFileSystem* fs_;
  };
};

TEST(LsmDBGroupCommitTest, ConcurrentSyncedWritersShareSyncs) {
  auto mem = NewMemFileSystem(std::size_t{256} << 20);
  CountingFileSystem fs(mem.get());
  Options o;
  o.file_system = &fs;
  auto db = OpenDB("/g", o);
  ASSERT_NE(db, nullptr);
  const int syncs_before = fs.syncs.load(), writes_before = fs.writes.load();
  constexpr int kThreads = 8, kWrites = 300;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        ASSERT_TRUE(db->Put({}, test::NumberedKey("t", t) + test::NumberedKey("-", i), "v").ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  const int syncs = fs.syncs.load() - syncs_before;
  const int writes = fs.writes.load() - writes_before;
  std::cerr << kThreads * kWrites << " synced writes: " << writes << " log writes (groups), "
            << syncs << " syncs\n";
  // One write() and at most one sync per group (a leader syncing per writer would sync more
  // often than it writes).
  EXPECT_LE(syncs, writes);
  EXPECT_GT(syncs, 0);
  for (int t = 0; t < kThreads; ++t) {
    std::string v;
    ASSERT_TRUE(db->Get(test::NumberedKey("t", t) + test::NumberedKey("-", kWrites - 1), &v).ok());
  }
  EXPECT_EQ(db->GetStats().last_sequence, static_cast<std::uint64_t>(kThreads * kWrites));
}

TEST(LsmDBGroupCommitTest, BufferedWritesReachTheFileAtFlushWritesOrTheNextWrittenGroup) {
  FaultInjectionFileSystem fault;
  CountingFileSystem fs(&fault);
  Options o;
  o.file_system = &fs;
  auto db = OpenDB("/b", o);
  ASSERT_NE(db, nullptr);
  const kv::WriteOptions buffered{.sync = false, .buffer = true};
  const int before = fs.writes.load();
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(db->Put(buffered, test::NumberedKey("k", i), "v").ok());
  }
  EXPECT_EQ(fs.writes.load(), before);  // all in the process's buffer
  std::string v;
  EXPECT_TRUE(db->Get(test::NumberedKey("k", 49), &v).ok());  // and visible
  ASSERT_TRUE(db->FlushWrites().ok());
  EXPECT_EQ(fs.writes.load(), before + 1);  // one write for the 50
  ASSERT_TRUE(db->FlushWrites().ok());      // nothing buffered: no write
  EXPECT_EQ(fs.writes.load(), before + 1);

  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(db->Put(buffered, test::NumberedKey("carried", i), "v").ok());
  }
  // An unbuffered write is written out at once, and the buffered ones before it with it.
  ASSERT_TRUE(db->Put({.sync = false}, "plain", "v").ok());
  EXPECT_EQ(fs.writes.load(), before + 2);
  // So is a buffered write whose value goes to the log as a value record (readers map it).
  ASSERT_TRUE(db->Put(buffered, "large", std::string(o.value_threshold, 'x')).ok());
  EXPECT_EQ(fs.writes.load(), before + 3);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(db->Put(buffered, test::NumberedKey("lost", i), "v").ok());
  }
  EXPECT_EQ(fs.writes.load(), before + 3);

  fault.CrashAfter(0);  // the process dies: its buffer goes, the OS keeps what was written
  db.reset();
  fault.ClearFaults();
  auto again = OpenDB("/b", o);
  ASSERT_NE(again, nullptr);
  for (int i = 0; i < 50; ++i) {
    EXPECT_TRUE(again->Get(test::NumberedKey("k", i), &v).ok()) << i;
  }
  for (int i = 0; i < 20; ++i) {
    EXPECT_TRUE(again->Get(test::NumberedKey("carried", i), &v).ok()) << i;
    EXPECT_TRUE(again->Get(test::NumberedKey("lost", i), &v).IsNotFound()) << i;
  }
  EXPECT_TRUE(again->Get("plain", &v).ok());
  ASSERT_TRUE(again->Get("large", &v).ok());
  EXPECT_EQ(v.size(), o.value_threshold);
  ASSERT_TRUE(again->Close().ok());
}

TEST(LsmDBGroupCommitTest, AFailedFlushWritesPoisonsTheDatabaseAndKeepsWhatWasWrittenBefore) {
  FaultInjectionFileSystem fault;
  Options o;
  o.file_system = &fault;
  auto db = OpenDB("/f", o);
  ASSERT_NE(db, nullptr);
  const kv::WriteOptions buffered{.sync = false, .buffer = true};
  ASSERT_TRUE(db->Put(buffered, "flushed", "v").ok());
  ASSERT_TRUE(db->FlushWrites().ok());
  ASSERT_TRUE(db->Put(buffered, "unflushed", "v").ok());
  fault.FailNth(FaultInjectionFileSystem::Op::kWrite, 1, /*persistent=*/false);
  const Status failed = db->FlushWrites();
  EXPECT_EQ(failed.code(), Code::kIOError) << failed.ToString();
  ASSERT_EQ(fault.injected_faults(), 1u);
  // The log may now end in part of a record: no later write or flush may go after it.
  EXPECT_EQ(db->Put({}, "after", "v").code(), Code::kPoisoned);
  EXPECT_EQ(db->FlushWrites().code(), Code::kPoisoned);
  std::string v;
  EXPECT_TRUE(db->Get("flushed", &v).ok());

  db.reset();
  fault.ClearFaults();
  auto again = OpenDB("/f", o);
  ASSERT_NE(again, nullptr);
  EXPECT_TRUE(again->Get("flushed", &v).ok());
  EXPECT_TRUE(again->Get("after", &v).IsNotFound());
  ASSERT_TRUE(again->Put({}, "after", "v").ok());  // reopened: writable again
  ASSERT_TRUE(again->Close().ok());
}

TEST(LsmDBGroupCommitTest, FlushWritesOfAReadOnlyDatabaseIsOk) {
  auto fs = NewMemFileSystem(std::size_t{64} << 20);
  Options o;
  o.file_system = fs.get();
  {
    auto db = OpenDB("/r", o);
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(db->Put({}, "k", "v").ok());
    ASSERT_TRUE(db->Close().ok());
  }
  o.read_only = true;
  auto db = OpenDB("/r", o);
  ASSERT_NE(db, nullptr);
  EXPECT_TRUE(db->FlushWrites().ok());  // nothing buffered: not ReadOnly
  EXPECT_EQ(db->Put({}, "k", "w").code(), Code::kReadOnly);
}

TEST(LsmDBGroupCommitTest, SyncWritesMakesEarlierUnsyncedWritesSurviveAPowerLoss) {
  FaultInjectionFileSystem fault;
  CountingFileSystem fs(&fault);
  Options o;
  o.file_system = &fs;
  auto db = OpenDB("/s", o);
  ASSERT_NE(db, nullptr);
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(db->Put({.sync = false}, test::NumberedKey("k", i), "v").ok());
  }
  const int before = fs.syncs.load();
  ASSERT_TRUE(db->SyncWrites().ok());
  EXPECT_EQ(fs.syncs.load(), before + 1);
  ASSERT_TRUE(db->SyncWrites().ok());  // nothing new: no sync
  EXPECT_EQ(fs.syncs.load(), before + 1);
  for (int i = 0; i < 50; ++i) {  // not covered by the sync
    ASSERT_TRUE(db->Put({.sync = false}, test::NumberedKey("after", i), "v").ok());
  }
  fault.CrashAfter(0);  // the process dies: the destructor's close can change nothing
  db.reset();
  const auto crashed = fault.Save();
  int seeds_losing_unsynced = 0;
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    fault.Restore(*crashed);
    fault.PowerLoss(seed);  // the OS loses some of what was not synced
    auto again = OpenDB("/s", o);
    ASSERT_NE(again, nullptr);
    std::string v;
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE(again->Get(test::NumberedKey("k", i), &v).ok()) << seed << " " << i;
    }
    if (!again->Get(test::NumberedKey("after", 49), &v).ok()) ++seeds_losing_unsynced;
    ASSERT_TRUE(again->Close().ok());
  }
  // The power losses did drop unsynced writes, so the synced ones survived for a reason.
  EXPECT_GT(seeds_losing_unsynced, 0);
}

TEST(LsmDBFaultTest, AFailedSyncWritesPoisons) {
  FaultInjectionFileSystem fs;
  Options o;
  o.file_system = &fs;
  auto db = OpenDB("/q", o);
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Put({.sync = false}, "a", "1").ok());
  fs.FailNth(FaultInjectionFileSystem::Op::kSync, 1, false);
  EXPECT_FALSE(db->SyncWrites().ok());
  EXPECT_EQ(db->Put({}, "b", "2").code(), Code::kPoisoned);
  EXPECT_EQ(db->SyncWrites().code(), Code::kPoisoned);
  (void)db->Close();
}

TEST(LsmDBBlockCacheTest, DatabasesCanShareOneBlockCache) {
  auto fs = NewMemFileSystem(std::size_t{256} << 20);
  Options o;
  o.file_system = fs.get();
  o.block_cache = NewBlockCache(std::size_t{1} << 20);
  o.mmap_reads = false;  // mapped tables read their uncompressed blocks without the cache
  auto a = DB::Open("/a", o);
  auto b = DB::Open("/b", o);
  ASSERT_TRUE(a.ok() && b.ok());
  for (int i = 0; i < 500; ++i) {
    // The same keys in both: blocks of one must never answer for the other.
    ASSERT_TRUE((*a)->Put({}, test::NumberedKey("k", i), "a" + std::to_string(i)).ok());
    ASSERT_TRUE((*b)->Put({}, test::NumberedKey("k", i), "b" + std::to_string(i)).ok());
  }
  ASSERT_TRUE((*a)->Flush().ok());
  ASSERT_TRUE((*b)->Flush().ok());
  std::string v;
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE((*a)->Get(test::NumberedKey("k", i), &v).ok());
    ASSERT_EQ(v, "a" + std::to_string(i));
    ASSERT_TRUE((*b)->Get(test::NumberedKey("k", i), &v).ok());
    ASSERT_EQ(v, "b" + std::to_string(i));
  }
  const Stats sa = (*a)->GetStats(), sb = (*b)->GetStats();
  EXPECT_GT(sa.block_cache_bytes, 0u);
  EXPECT_EQ(sa.block_cache_bytes, sb.block_cache_bytes);  // one cache, one budget
  EXPECT_EQ(sa.block_cache_misses, sb.block_cache_misses);
}

}  // namespace
}  // namespace larder::lsm
