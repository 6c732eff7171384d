// Tests of the LSM engine's background work (db_background.cc): several background threads,
// and CompactRange leaving no garbage in its range.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "larder/clock.h"
#include "larder/file_system.h"
#include "larder/lsm/db.h"
#include "lsm/db_test_util.h"
#include "tests/util/gate_file_system.h"
#include "tests/util/kv_model.h"
#include "tests/util/temp_dir.h"

namespace larder::lsm {
namespace {

std::uint64_t TablesInLevels(const Stats& s) {
  std::uint64_t n = 0;
  for (const auto& level : s.levels) n += level.tables;
  return n;
}

TEST(LsmBackgroundTest, AFlushGoesAheadWhileACompactionRuns) {
  auto mem = NewMemFileSystem(std::size_t{64} << 20);
  test::GateFileSystem fs(mem.get());
  Options o;
  o.file_system = &fs;
  o.background_threads = 2;
  // Two overlapping level-0 tables: compacting them is a merge that reads both.
  ASSERT_NO_FATAL_FAILURE(db_test::WriteTwoOverlappingLevel0Tables(o, "/db", "a", 200));
  o.level0_compaction_trigger = 20;  // no automatic compaction: the test starts the one it holds
  o.level0_slowdown_trigger = 20;
  o.level0_stop_trigger = 30;
  // Reopened: nothing has read the tables yet, so the compaction must.
  const std::set<std::string> tables = test::FilesEndingWith(mem.get(), "/db", ".sst");
  ASSERT_EQ(tables.size(), 2u);
  auto db = DB::Open("/db", o);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  fs.Hold(test::GateFileSystem::Call::kRead, tables);
  std::future<Status> compaction = std::async(
      std::launch::async, [&] { return (*db)->CompactRange(std::nullopt, std::nullopt); });
  ASSERT_TRUE(fs.WaitUntilHolding()) << "the compaction read no table";
  for (int i = 0; i < 200; ++i) ASSERT_TRUE((*db)->Put({}, test::NumberedKey("b", i), "y").ok());
  std::future<Status> flush = std::async(std::launch::async, [&] { return (*db)->Flush(); });
  // With one background thread the flush would wait for the held compaction forever; the
  // generous bound only turns that hang into a failure.
  const bool flushed = flush.wait_for(std::chrono::seconds(60)) == std::future_status::ready;
  fs.Release();
  EXPECT_TRUE(flushed) << "the flush waited for the compaction";
  EXPECT_TRUE(flush.get().ok());
  EXPECT_TRUE(compaction.get().ok());
  std::string v;
  ASSERT_TRUE((*db)->Get(test::NumberedKey("a", 7), &v).ok());
  EXPECT_EQ(v, "x");
  ASSERT_TRUE((*db)->Get(test::NumberedKey("b", 7), &v).ok());
  EXPECT_EQ(v, "y");
  EXPECT_EQ((*db)->GetStats().flushes, 1u);  // this open's: the "b" keys
}

// A memtable past its first huge-page block makes the background put warm blocks in the arena
// cache, which the writer then takes; one below it does not.
TEST(LsmBackgroundTest, AGrowingMemTableGetsWarmArenaBlocks) {
  auto mem = NewMemFileSystem(std::size_t{256} << 20);
  Options o;
  o.file_system = mem.get();
  o.write_buffer_size = std::size_t{32} << 20;
  o.value_threshold = 0;  // values in the memtable's arena
  auto db = DB::Open("/db", o);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  const std::string value(1000, 'v');
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE((*db)->Put({}, test::NumberedKey("k", i), value).ok());
  EXPECT_EQ((*db)->GetStats().arena_warmings, 0u) << "1 MB of entries: no huge-page block yet";
  // Warming runs on a background thread: wait for it (bounded) after each step.
  const auto wait_for_warmings = [&](std::uint64_t n) {
    for (int i = 0; i < 5000 && (*db)->GetStats().arena_warmings < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return (*db)->GetStats().arena_warmings;
  };
  for (int i = 1000; i < 8000; ++i)
    ASSERT_TRUE((*db)->Put({}, test::NumberedKey("k", i), value).ok());
  ASSERT_GE(wait_for_warmings(1), 1u);
  // The cache now holds warm blocks; 4 MB more takes them, and the writer asks again.
  for (int i = 8000; i < 12000; ++i) {
    ASSERT_TRUE((*db)->Put({}, test::NumberedKey("k", i), value).ok());
  }
  EXPECT_GE(wait_for_warmings(2), 2u);
  std::string got;
  ASSERT_TRUE((*db)->Get(test::NumberedKey("k", 11999), &got).ok());
  EXPECT_EQ(got, value);
  ASSERT_TRUE((*db)->Close().ok());
}

// Values written to the value log are mapped ahead of reads by the background, a megabyte at a
// time, never past what was written; not with mapping off.
TEST(LsmBackgroundTest, FreshValuesAreMappedAheadOfReads) {
  for (const bool mmap : {true, false}) {
    SCOPED_TRACE(mmap ? "mmap_reads" : "pread");
    test::TempDir tmp;
    Options o;
    o.mmap_reads = mmap;
    auto db = DB::Open(tmp.path(), o);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    const std::string value(16 << 10, 'v');
    for (int i = 0; i < 256; ++i) {  // 4 MiB of values in the value log
      ASSERT_TRUE((*db)->Put({}, test::NumberedKey("k", i), value).ok());
    }
    const auto warmed = [&] { return (*db)->GetStats().vlog_warmed_bytes; };
    for (int i = 0; i < 5000 && warmed() < (3u << 20); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (mmap) {
      EXPECT_GE(warmed(), 3u << 20);
      EXPECT_LE(warmed(), (*db)->GetStats().disk_bytes_written);
    } else {
      EXPECT_EQ(warmed(), 0u);
    }
    std::string got;
    ASSERT_TRUE((*db)->Get(test::NumberedKey("k", 255), &got).ok());
    EXPECT_EQ(got, value);
    ASSERT_TRUE((*db)->Close().ok());
  }
}

TEST(LsmBackgroundTest, ZeroOrTooManyBackgroundThreadsAreRefused) {
  Options o;
  o.in_memory = true;
  o.background_threads = 0;
  EXPECT_TRUE(DB::Open("/db", o).status().IsInvalidArgument());
  o.background_threads = 65;
  EXPECT_TRUE(DB::Open("/db", o).status().IsInvalidArgument());
}

// CompactRange rewrites the deepest level too: what a snapshot kept, and what has expired
// since, leaves the range even when every table already sits at the bottom.
TEST(LsmBackgroundTest, CompactRangeRewritesTheBottomLevel) {
  ManualClock clock(ManualClock::SleepMode::kAdvance, 0, 1'000'000'000);
  Options o;
  o.in_memory = true;
  o.clock = &clock;
  auto opened = DB::Open("/db", o);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  DB& db = **opened;
  for (int i = 0; i < 500; ++i) {
    WriteBatch b;
    b.PutWithExpiry(test::NumberedKey("ttl", i), "short-lived", clock.NowUnixMillis() + 1000);
    b.Put(test::NumberedKey("k", i), std::string(100, 'v'));
    ASSERT_TRUE(db.Write({}, b).ok());
  }
  ASSERT_TRUE(db.CompactRange(std::nullopt, std::nullopt).ok());
  auto snapshot = db.GetSnapshot();
  ASSERT_TRUE(snapshot.ok());
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(db.Delete({}, test::NumberedKey("k", i)).ok());
  // The snapshot still sees the values: they stay, beside their tombstones.
  ASSERT_TRUE(db.CompactRange(std::nullopt, std::nullopt).ok());
  EXPECT_GT(TablesInLevels(db.GetStats()), 0u);
  snapshot->reset();  // released
  clock.Advance(std::chrono::seconds(2));
  // Every table is at the bottom now and nothing is above it: only the rewrite of the bottom
  // level can drop the values, tombstones and expired entries.
  ASSERT_TRUE(db.CompactRange(std::nullopt, std::nullopt).ok());
  const Stats after = db.GetStats();
  EXPECT_EQ(TablesInLevels(after), 0u);
  std::string v;
  EXPECT_TRUE(db.Get(test::NumberedKey("k", 3), &v).IsNotFound());
  EXPECT_TRUE(db.Get(test::NumberedKey("ttl", 3), &v).IsNotFound());
}

// A reader holding the Version a compaction replaced keeps the compaction's inputs alive; once
// it is gone, Close deletes them (found by the ext4 power-cut test: Check after a clean close
// named a compacted table as a stray).
TEST(LsmBackgroundTest, CloseDeletesTablesAnOldReaderKeptAlive) {
  auto fs = NewMemFileSystem(std::size_t{64} << 20);
  Options o;
  o.file_system = fs.get();
  o.level0_compaction_trigger = 20;  // only CompactRange compacts
  o.level0_slowdown_trigger = 20;
  o.level0_stop_trigger = 30;
  {
    auto db = DB::Open("/db", o);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    for (int round = 0; round < 2; ++round) {
      for (int i = 0; i < 50; ++i) ASSERT_TRUE((*db)->Put({}, test::NumberedKey("k", i), "v").ok());
      ASSERT_TRUE((*db)->Flush().ok());
    }
    const std::set<std::string> before = test::FilesEndingWith(fs.get(), "/db", ".sst");
    ASSERT_EQ(before.size(), 2u);
    auto it = (*db)->NewIterator({});  // pins the Version with the two level-0 tables
    ASSERT_TRUE(it.ok());
    ASSERT_TRUE((*db)->CompactRange(std::nullopt, std::nullopt).ok());
    it->reset();
    for (const std::string& name : before) {
      EXPECT_EQ(test::FilesEndingWith(fs.get(), "/db", ".sst").count(name), 1u)
          << name << " was deleted while a reader could still use it";
    }
    ASSERT_TRUE((*db)->Close().ok());
  }
  auto problems = Check("/db", o);
  ASSERT_TRUE(problems.ok()) << problems.status().ToString();
  EXPECT_TRUE(problems->empty()) << problems->front();
}

}  // namespace
}  // namespace larder::lsm
