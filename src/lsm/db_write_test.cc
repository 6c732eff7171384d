// Tests of the LSM engine's write path (db_write.cc) that need a thread held mid-call.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "larder/clock.h"
#include "larder/lsm/db.h"
#include "lsm/db_test_util.h"
#include "lsm/filename.h"
#include "lsm/log_reader.h"
#include "testing/fault_injection_file_system.h"
#include "tests/util/gate_file_system.h"
#include "tests/util/kv_model.h"

namespace larder::lsm {
namespace {

// SyncWrites needs the writer role only to write out the log's buffer: while its fsync waits
// for the disk, other writers go on; and it still makes every write before it durable.
TEST(LsmWriteTest, WritersGoOnWhileSyncWritesWaitsForTheDisk) {
  FaultInjectionFileSystem fault;
  test::GateFileSystem fs(&fault);
  Options o;
  o.file_system = &fs;
  auto db = DB::Open("/w", o);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE((*db)->Put({.sync = false}, test::NumberedKey("before", i), "v").ok());
  }
  fs.Hold(test::GateFileSystem::Call::kSync, test::FilesEndingWith(&fault, "/w", ".vlog"));
  std::future<Status> sync = std::async(std::launch::async, [&] { return (*db)->SyncWrites(); });
  ASSERT_TRUE(fs.WaitUntilHolding()) << "SyncWrites did not sync the log";
  std::future<Status> writes = std::async(std::launch::async, [&] {
    for (int i = 0; i < 50; ++i) {
      LARDER_RETURN_IF_ERROR((*db)->Put({.sync = false}, test::NumberedKey("during", i), "v"));
    }
    return Status::Ok();
  });
  // A bound that only turns "the writers wait for the fsync" (a hang here) into a failure.
  const bool went_on = writes.wait_for(std::chrono::seconds(60)) == std::future_status::ready;
  fs.Release();
  EXPECT_TRUE(went_on) << "writers waited for SyncWrites' fsync";
  EXPECT_TRUE(writes.get().ok());
  ASSERT_TRUE(sync.get().ok());

  fault.CrashAfter(0);  // the process dies: the destructor's close can change nothing
  db->reset();
  const auto crashed = fault.Save();
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    fault.Restore(*crashed);
    fault.PowerLoss(seed);
    auto again = DB::Open("/w", o);
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    std::string v;
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE((*again)->Get(test::NumberedKey("before", i), &v).ok()) << seed << " " << i;
    }
    ASSERT_TRUE((*again)->Close().ok());
  }
}

// A SyncWrites that finds a sync running which covers every byte of the log waits for it
// instead of starting its own: group commit of SyncWrites calls.
TEST(LsmWriteTest, SyncWritesJoinsARunningSyncThatCoversIt) {
  auto mem = NewMemFileSystem(std::size_t{64} << 20);
  test::GateFileSystem fs(mem.get());
  Options o;
  o.file_system = &fs;
  auto db = DB::Open("/w", o);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE((*db)->Put({.sync = false}, "a", "1").ok());
  fs.Hold(test::GateFileSystem::Call::kSync, test::FilesEndingWith(mem.get(), "/w", ".vlog"));
  std::future<Status> first = std::async(std::launch::async, [&] { return (*db)->SyncWrites(); });
  ASSERT_TRUE(fs.WaitUntilHolding());
  std::future<Status> second = std::async(std::launch::async, [&] { return (*db)->SyncWrites(); });
  // Bounded polls: a failure, never a hang.
  for (int i = 0; i < 60000 && (*db)->GetStats().sync_writes_joined == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const Stats joined = (*db)->GetStats();
  EXPECT_EQ(joined.sync_writes_joined, 1u);
  EXPECT_EQ(joined.sync_writes_syncs, 1u);
  EXPECT_EQ(fs.holding(), 1);  // the second call started no fsync of its own
  fs.Release();
  EXPECT_TRUE(first.get().ok());
  EXPECT_TRUE(second.get().ok());
  // Something new to sync: a sync of its own.
  ASSERT_TRUE((*db)->Put({.sync = false}, "b", "2").ok());
  ASSERT_TRUE((*db)->SyncWrites().ok());
  EXPECT_EQ((*db)->GetStats().sync_writes_syncs, 2u);
}

// Each value log's records end and file size, by log number.
std::map<std::uint64_t, std::pair<LogReader::End, std::uint64_t>> LogEnds(FileSystem* fs,
                                                                          const std::string& dir) {
  std::map<std::uint64_t, std::pair<LogReader::End, std::uint64_t>> ends;
  auto names = fs->ListDir(dir);
  EXPECT_TRUE(names.ok());
  if (!names.ok()) return ends;
  for (const std::string& name : *names) {
    std::uint64_t number;
    FileType type;
    if (!ParseFileName(name, &number, &type) || type != FileType::kVlog) continue;
    auto file = fs->Open(dir + "/" + name, {.read_only = true});
    EXPECT_TRUE(file.ok());
    const std::uint64_t size = *(*file)->Size();
    LogReader reader(file->get(), 0, size);
    LogRecordType t;
    std::string_view payload;
    while (reader.ReadRecord(&t, &payload)) {
    }
    ends[number] = {reader.end(), size - reader.end_offset()};
  }
  return ends;
}

// The log being written is extended ahead of its records (zeros after them, which the reader
// takes for a torn tail); every finished log, and at Close the last one too, ends exactly
// after its last record, also after a power loss; the values read back throughout.
TEST(LsmWriteTest, ValueLogsArePreallocatedWhileOpenAndCutBackWhenFinished) {
  for (const std::uint64_t preallocate : {std::uint64_t{0}, std::uint64_t{1} << 20}) {
    SCOPED_TRACE(preallocate);
    FaultInjectionFileSystem fs;
    Options o;
    o.file_system = &fs;
    o.write_buffer_size = 256 << 10;
    o.log_preallocate_bytes = preallocate;
    auto db = DB::Open("/w", o);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    std::map<std::string, std::string> model;
    for (int i = 0; i < 200; ++i) {
      const std::string key = test::NumberedKey("k", i % 150);
      const std::string value(5000 + i, static_cast<char>('a' + i % 26));
      ASSERT_TRUE((*db)->Put({.sync = i % 3 == 0}, key, value).ok());
      model[key] = value;
    }
    auto ends = LogEnds(&fs, "/w");
    ASSERT_GE(ends.size(), 3u) << "no memtable switch";
    for (const auto& [number, end] : ends) {
      const bool open_log = number == ends.rbegin()->first;
      if (open_log && preallocate > 0) {
        EXPECT_EQ(end.first, LogReader::End::kTornTail) << "zeros after the records";
        EXPECT_GE(end.second, 4096u) << "log " << number << " not preallocated";
      } else {
        EXPECT_EQ(end.first, LogReader::End::kEndOfFile) << "log " << number;
        EXPECT_EQ(end.second, 0u) << "log " << number;
      }
    }
    std::string got;
    for (const auto& [key, value] : model) {
      ASSERT_TRUE((*db)->Get({}, key, &got).ok()) << key;
      ASSERT_EQ(got, value) << key;
    }
    ASSERT_TRUE((*db)->Close().ok());
    db->reset();
    for (std::uint64_t seed = 0; seed < 5; ++seed) {
      auto saved = fs.Save();
      fs.PowerLoss(seed);
      for (const auto& [number, end] : LogEnds(&fs, "/w")) {
        EXPECT_EQ(end.first, LogReader::End::kEndOfFile) << "log " << number << " seed " << seed;
      }
      fs.Restore(*saved);
    }
    auto reopened = DB::Open("/w", o);
    ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
    for (const auto& [key, value] : model) {
      ASSERT_TRUE((*reopened)->Get({}, key, &got).ok()) << key;
      ASSERT_EQ(got, value) << key;
    }
  }
}

// Level 0 at its slowdown trigger (a compaction held reading its inputs): small writes pass
// without waiting, a burst waits for its bytes at slowdown_write_rate, and once level 0 is back
// under the trigger nothing more waits. stall_micros counts the pauses the pacer asked for; the
// ManualClock makes them exact and instant.
TEST(LsmWriteTest, TheSlowdownPacesBytesNotWriteGroups) {
  auto mem = NewMemFileSystem(std::size_t{64} << 20);
  test::GateFileSystem fs(mem.get());
  ManualClock clock;
  Options o;
  o.file_system = &fs;
  o.clock = &clock;
  ASSERT_NO_FATAL_FAILURE(db_test::WriteTwoOverlappingLevel0Tables(o, "/p", "t", 100));
  // Reopened with both triggers at 2: the compaction it starts is held reading a table.
  fs.Hold(test::GateFileSystem::Call::kRead, test::FilesEndingWith(mem.get(), "/p", ".sst"));
  o.level0_compaction_trigger = 2;
  o.level0_slowdown_trigger = 2;
  o.slowdown_write_rate = std::uint64_t{1} << 20;  // 1 MiB/s
  auto db = DB::Open("/p", o);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE(fs.WaitUntilHolding()) << "no compaction read a table";
  ASSERT_EQ((*db)->GetStats().levels[0].tables, 2);

  // 20 small writes: about 30 bytes each, 0.6 ms at the rate, inside the 1 ms allowance.
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE((*db)->Put({}, test::NumberedKey("small", i), "v").ok());
  }
  EXPECT_EQ((*db)->GetStats().stall_micros, 0u) << "small writes waited";

  // 100 writes of 2 KiB: about 195 ms of bytes; all but the last write's and the allowance
  // are waited for.
  const std::string value(2048, 'b');
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE((*db)->Put({}, test::NumberedKey("big", i), value).ok());
  }
  const std::uint64_t burst_micros = std::uint64_t{100} * 2048 * 1'000'000 / (1 << 20);
  const std::uint64_t stalled = (*db)->GetStats().stall_micros;
  EXPECT_GE(stalled, burst_micros - 2 * 2000 - 1000);
  EXPECT_LE(stalled, burst_micros + 2000);

  // The compaction finishes; level 0 falls under the trigger and the debt is forgotten.
  fs.Release();
  for (int i = 0; i < 6000 && (*db)->GetStats().levels[0].tables >= 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_LT((*db)->GetStats().levels[0].tables, 2) << "the compaction did not finish";
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE((*db)->Put({}, test::NumberedKey("after", i), value).ok());
  }
  EXPECT_EQ((*db)->GetStats().stall_micros, stalled) << "writes waited under the trigger";
  std::string got;
  ASSERT_TRUE((*db)->Get({}, test::NumberedKey("big", 99), &got).ok());
  EXPECT_EQ(got, value);
}

TEST(LsmWriteTest, AZeroSlowdownRateIsRefused) {
  Options o;
  o.in_memory = true;
  o.slowdown_write_rate = 0;
  const Status s = DB::Open("/db", o).status();
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.ToString().find("slowdown_write_rate"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace larder::lsm
