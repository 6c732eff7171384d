// Options::table_cut_prefix_length through the whole engine: a flush writes one table per
// prefix, level 0 counts flushes rather than tables, and a key space shaped like the durable
// queue's partitions (docs/formats/queue.md: a meta record `M`, payloads `P<seq>` and ready
// entries `R<seq>` written at their tops at once, and deleted at their heads) moves down
// without rewrites.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "larder/file_system.h"
#include "larder/lsm/db.h"
#include "tests/util/kv_model.h"

namespace larder::lsm {
namespace {

Options CutOptions(FileSystem* fs, std::size_t cut_prefix_length) {
  Options o;
  o.file_system = fs;
  o.write_buffer_size = 64 << 10;
  o.target_file_size = 64 << 10;
  o.max_bytes_for_level_base = 256 << 10;
  o.level0_compaction_trigger = 4;
  o.table_cut_prefix_length = cut_prefix_length;
  return o;
}

std::string BigEndian(std::uint64_t n) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i, n >>= 8) s[static_cast<std::size_t>(i)] = static_cast<char>(n);
  return s;
}

void ExpectChecksClean(const std::string& dir, const Options& options) {
  auto problems = Check(dir, options);
  ASSERT_TRUE(problems.ok()) << problems.status().ToString();
  for (const std::string& p : *problems) ADD_FAILURE() << p;
}

// Waits (a bounded poll: the bound only turns a hang into a failure) until level 0 holds
// fewer flushes than its compaction trigger.
bool WaitForLevel0BelowTrigger(DB* db, const Options& o) {
  for (int i = 0; i < 6000; ++i) {
    if (db->GetStats().level0_flushes < o.level0_compaction_trigger) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST(LsmTableCutTest, AFlushWritesOneTablePerPrefixAndLevelZeroCountsFlushes) {
  auto fs = NewMemFileSystem(std::size_t{64} << 20);
  auto db = DB::Open("/db", CutOptions(fs.get(), 1));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  // Three flushes of three prefixes each: nine tables, three flushes, below the trigger of 4.
  for (int flush = 0; flush < 3; ++flush) {
    for (const char* prefix : {"a", "b", "c"}) {
      ASSERT_TRUE((*db)->Put({}, test::NumberedKey(prefix, flush), "v").ok());
    }
    ASSERT_TRUE((*db)->Flush().ok());
  }
  Stats st = (*db)->GetStats();
  EXPECT_EQ(st.flushes, 3u);
  EXPECT_EQ(st.levels[0].tables, 9);
  EXPECT_EQ(st.level0_flushes, 3);
  EXPECT_EQ(st.compactions, 0u);

  // The fourth flush reaches the trigger: level 0 is compacted.
  ASSERT_TRUE((*db)->Put({}, "a-last", "v").ok());
  ASSERT_TRUE((*db)->Flush().ok());
  EXPECT_TRUE(WaitForLevel0BelowTrigger(db->get(), CutOptions(fs.get(), 1)));
  EXPECT_GT((*db)->GetStats().compactions, 0u);
  std::string v;
  for (int flush = 0; flush < 3; ++flush) {
    for (const char* prefix : {"a", "b", "c"}) {
      ASSERT_TRUE((*db)->Get(test::NumberedKey(prefix, flush), &v).ok()) << prefix << flush;
    }
  }
  ASSERT_TRUE((*db)->Close().ok());
  ExpectChecksClean("/db", CutOptions(fs.get(), 1));
}

TEST(LsmTableCutTest, ABoundedIteratorOpensOnlyTheLevelZeroTablesInItsBounds) {
  auto fs = NewMemFileSystem(std::size_t{64} << 20);
  const Options o = CutOptions(fs.get(), 1);
  {
    auto db = DB::Open("/db", o);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    for (const char* prefix : {"a", "b", "c"}) {
      for (int i = 0; i < 10; ++i) {
        ASSERT_TRUE((*db)->Put({}, test::NumberedKey(prefix, i), "v").ok());
      }
    }
    // A range deletion from a5 into b: its table (the a keys) lies outside [b, c), but the part
    // reaching into the bounds must still hide b0..b2.
    WriteBatch batch;
    batch.DeleteRange("a5", "b3");
    ASSERT_TRUE((*db)->Write({}, batch).ok());
    ASSERT_TRUE((*db)->Flush().ok());
    ASSERT_EQ((*db)->GetStats().levels[0].tables, 3);
    ASSERT_TRUE((*db)->Close().ok());
  }
  auto db = DB::Open("/db", o);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  const int open_before = (*db)->GetStats().open_tables;
  auto it = (*db)->NewIterator(kv::IteratorOptions{.lower_bound = "b", .upper_bound = "c"});
  ASSERT_TRUE(it.ok()) << it.status().ToString();
  std::vector<std::string> keys;
  for ((*it)->SeekToFirst(); (*it)->Valid(); (*it)->Next()) keys.emplace_back((*it)->key());
  ASSERT_TRUE((*it)->status().ok());
  EXPECT_EQ(keys, (std::vector<std::string>{"b3", "b4", "b5", "b6", "b7", "b8", "b9"}));
  // The b table, and the a table for its range deletion: not the c table.
  EXPECT_EQ((*db)->GetStats().open_tables - open_before, 2);
  it->reset();
  auto all = (*db)->NewIterator(kv::IteratorOptions{});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ((*db)->GetStats().open_tables, 3);
}

TEST(LsmTableCutTest, ARangeDeletionAcrossPrefixesHoldsThroughFlushesAndCompactions) {
  auto fs = NewMemFileSystem(std::size_t{64} << 20);
  const Options o = CutOptions(fs.get(), 1);  // two flushes stay below its trigger of 4
  auto db = DB::Open("/db", o);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto get = [&](const std::string& k) {
    std::string v;
    Status s = (*db)->Get(k, &v);
    return s.ok() ? v : s.IsNotFound() ? "NOT_FOUND" : s.ToString();
  };
  for (const char* prefix : {"a", "b", "c"}) {
    for (int i = 0; i < 10; ++i)
      ASSERT_TRUE((*db)->Put({}, test::NumberedKey(prefix, i), "v").ok());
  }
  ASSERT_TRUE((*db)->Flush().ok());
  // The next flush holds a0 and c9 around [a5, c5): its two tables each get their part.
  WriteBatch b;
  b.DeleteRange("a5", "c5");
  b.Put("a0", "new");
  b.Put("c9", "new");
  ASSERT_TRUE((*db)->Write({}, b).ok());
  ASSERT_TRUE((*db)->Flush().ok());
  EXPECT_EQ((*db)->GetStats().levels[0].tables, 5);
  EXPECT_EQ((*db)->GetStats().level0_flushes, 2);
  auto expect_state = [&](const char* when) {
    EXPECT_EQ(get("a0"), "new") << when;
    EXPECT_EQ(get("a4"), "v") << when;
    EXPECT_EQ(get("a5"), "NOT_FOUND") << when;
    EXPECT_EQ(get("b3"), "NOT_FOUND") << when;
    EXPECT_EQ(get("c4"), "NOT_FOUND") << when;
    EXPECT_EQ(get("c5"), "v") << when;
    EXPECT_EQ(get("c9"), "new") << when;
  };
  expect_state("after the flushes");
  ASSERT_TRUE((*db)->Close().ok());

  // Reopened with a trigger of 2: level 0 is compacted.
  Options compacting = o;
  compacting.level0_compaction_trigger = 2;
  db = DB::Open("/db", compacting);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE(WaitForLevel0BelowTrigger(db->get(), compacting));
  expect_state("after level 0's compaction");
  ASSERT_TRUE((*db)->CompactRange(std::nullopt, std::nullopt).ok());
  expect_state("after CompactRange");
  ASSERT_TRUE((*db)->Close().ok());
  ExpectChecksClean("/db", o);
}

// Produces `items` items into a queue-shaped key space, 100 per write; returns the bytes the
// engine wrote (log, tables, MANIFEST) per byte given to it, once every background step the
// fill started is done, and checks every record afterwards.
double QueueFillWriteAmplification(std::size_t cut_prefix_length, int items) {
  auto fs = NewMemFileSystem(std::size_t{512} << 20);
  const Options o = CutOptions(fs.get(), cut_prefix_length);
  auto db = DB::Open("/queue", o);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  if (!db.ok()) return 0;
  const std::string payload(100, 'p');
  for (int seq = 0; seq < items;) {
    WriteBatch batch;
    for (int i = 0; i < 100; ++i, ++seq) {
      batch.Put("P" + BigEndian(seq), payload);
      batch.Put("R" + BigEndian(seq), "entry");
    }
    batch.Put("M", std::to_string(seq));
    EXPECT_TRUE((*db)->Write({}, batch).ok());
  }
  EXPECT_TRUE((*db)->Flush().ok());
  EXPECT_TRUE(WaitForLevel0BelowTrigger(db->get(), o));
  const Stats st = (*db)->GetStats();
  EXPECT_TRUE((*db)->Close().ok());

  db = DB::Open("/queue", o);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  if (!db.ok()) return 0;
  auto iterator = (*db)->NewIterator(kv::IteratorOptions{});
  EXPECT_TRUE(iterator.ok()) << iterator.status().ToString();
  if (!iterator.ok()) return 0;
  kv::Iterator* it = iterator->get();
  int payloads = 0, entries = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view key = it->key();
    if (key[0] == 'P' && key == "P" + BigEndian(payloads)) ++payloads;
    if (key[0] == 'R' && key == "R" + BigEndian(entries)) ++entries;
  }
  EXPECT_TRUE(it->status().ok());
  EXPECT_EQ(payloads, items);
  EXPECT_EQ(entries, items);
  std::string meta;
  EXPECT_TRUE((*db)->Get("M", &meta).ok());
  EXPECT_EQ(meta, std::to_string(items));
  return static_cast<double>(st.disk_bytes_written) / static_cast<double>(st.user_bytes_written);
}

TEST(LsmTableCutTest, AQueueShapedFillWritesFarLessWithPrefixCuts) {
  const int items = 30000;  // about 4 MB given, 60 flushes, three levels
  const double uncut = QueueFillWriteAmplification(0, items);
  const double cut = QueueFillWriteAmplification(1, items);
  std::cerr << "bytes written per byte given: " << uncut << " without prefix cuts, " << cut
            << " with\n";
  // The log and the flush write each byte about once (2.0). Without cuts every flushed table
  // spans M..R, so each level-0 compaction rewrites the level-1 tables between, the old
  // payloads and entries included (3.6-3.7 measured); with cuts those tables move down as they
  // are (2.06).
  EXPECT_LT(cut, 2.3);
  EXPECT_GT(uncut, cut + 0.8);
}

// Bytes the engine wrote per byte given while a queue-shaped backlog of `backlog` items was
// consumed at its head as fast as it grew at its tail, for `steady` items.
double QueueSteadyStateWriteAmplification(int backlog, int steady) {
  auto fs = NewMemFileSystem(std::size_t{512} << 20);
  Options o = CutOptions(fs.get(), 1);
  // Level 1 large against the memtable, as in a queue partition (4 MiB against 256 MiB): the
  // backlog lies there, in many tables.
  o.max_bytes_for_level_base = 8 << 20;
  o.target_file_size = 256 << 10;
  auto db = DB::Open("/queue", o);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  if (!db.ok()) return 0;
  const std::string payload(100, 'p');
  int head = 0, tail = 0;
  auto step = [&](int add, int remove) {
    WriteBatch batch;
    for (int i = 0; i < remove; ++i, ++head) {
      batch.Delete("P" + BigEndian(head));
      batch.Delete("R" + BigEndian(head));
    }
    for (int i = 0; i < add; ++i, ++tail) {
      batch.Put("P" + BigEndian(tail), payload);
      batch.Put("R" + BigEndian(tail), "entry");
    }
    batch.Put("M", std::to_string(head) + "/" + std::to_string(tail));
    EXPECT_TRUE((*db)->Write({}, batch).ok());
  };
  while (tail < backlog) step(100, 0);
  EXPECT_TRUE((*db)->Flush().ok());
  EXPECT_TRUE(WaitForLevel0BelowTrigger(db->get(), o));
  const Stats before = (*db)->GetStats();
  while (head < steady) step(100, 100);
  EXPECT_TRUE((*db)->Flush().ok());
  EXPECT_TRUE(WaitForLevel0BelowTrigger(db->get(), o));
  const Stats after = (*db)->GetStats();
  std::string meta;
  EXPECT_TRUE((*db)->Get("M", &meta).ok());
  EXPECT_EQ(meta, std::to_string(head) + "/" + std::to_string(tail));
  std::string v;
  EXPECT_TRUE((*db)->Get("P" + BigEndian(head - 1), &v).IsNotFound());
  EXPECT_TRUE((*db)->Get("P" + BigEndian(head), &v).ok());
  EXPECT_TRUE((*db)->Close().ok());
  ExpectChecksClean("/queue", o);
  return static_cast<double>(after.disk_bytes_written - before.disk_bytes_written) /
         static_cast<double>(after.user_bytes_written - before.user_bytes_written);
}

TEST(LsmTableCutTest, ABacklogConsumedAtItsHeadIsNotRewrittenInBetween) {
  const double amplification = QueueSteadyStateWriteAmplification(30000, 30000);
  std::cerr << "bytes written per byte given, head and tail: " << amplification << "\n";
  // Each flush holds deletions at the head and new items at the tail. Cut where a whole
  // level-1 table lies between them, the head's tables merge only with the head's tables below
  // and the tail's move down as they are (2.5 here); uncut, each level-0 compaction rewrote
  // the level-1 backlog between (6.4).
  EXPECT_LT(amplification, 4.0);
}

TEST(LsmTableCutTest, TheCutLengthMayChangeBetweenOpens) {
  auto fs = NewMemFileSystem(std::size_t{64} << 20);
  for (std::size_t cut : {0, 2, 1, 0}) {
    auto db = DB::Open("/db", CutOptions(fs.get(), cut));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    for (int i = 0; i < 2000; ++i) {
      ASSERT_TRUE((*db)->Put({}, test::NumberedKey(cut == 2 ? "ab" : "ac", i), "v").ok());
    }
    ASSERT_TRUE((*db)->Close().ok());
  }
  auto db = DB::Open("/db", CutOptions(fs.get(), 1));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  std::string v;
  EXPECT_TRUE((*db)->Get(test::NumberedKey("ab", 1999), &v).ok());
  EXPECT_TRUE((*db)->Get(test::NumberedKey("ac", 1999), &v).ok());
  ASSERT_TRUE((*db)->Close().ok());
  ExpectChecksClean("/db", CutOptions(fs.get(), 1));
}

}  // namespace
}  // namespace larder::lsm
