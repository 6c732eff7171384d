// Read transactions registered in reader slots (reader_table.h) and recycled per slot
// (DBImpl::BeginRead / RecycleReader): what readers see, and when the writer may reuse pages.
#include "bolt/reader_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <string>
#include <thread>
#include <vector>

#include "larder/bolt/db.h"
#include "larder/file_system.h"

namespace larder::bolt {
namespace {

using internal::ReaderTable;
using internal::Snapshot;

TEST(ReaderTableTest, SlotsRegisterTheCurrentSnapshotUntilReleased) {
  ReaderTable table;
  Snapshot a, b;
  table.Publish(&a);
  Snapshot* got = nullptr;
  const int s0 = table.Acquire(&got);
  ASSERT_NE(s0, ReaderTable::kNoSlot);
  EXPECT_EQ(got, &a);
  table.Publish(&b);
  const int s1 = table.Acquire(&got);
  ASSERT_NE(s1, ReaderTable::kNoSlot);
  EXPECT_NE(s1, s0);
  EXPECT_EQ(got, &b);
  std::vector<const Snapshot*> held;
  table.CollectHeld(&held);
  ASSERT_EQ(held.size(), 2u);
  EXPECT_NE(std::find(held.begin(), held.end(), &a), held.end());
  EXPECT_NE(std::find(held.begin(), held.end(), &b), held.end());
  EXPECT_EQ(table.InUse(), 2u);
  table.Release(s0);
  held.clear();
  table.CollectHeld(&held);
  EXPECT_EQ(held, std::vector<const Snapshot*>{&b});
  table.Release(s1);
  EXPECT_EQ(table.InUse(), 0u);
  EXPECT_EQ(table.Begun(), 2u);
  // This thread gets its last slot back first.
  EXPECT_EQ(table.Acquire(&got), s1);
  table.Release(s1);
}

TEST(ReaderTableTest, ClosedAndFullAreReportedApart) {
  ReaderTable table;
  Snapshot a;
  Snapshot* got = &a;
  EXPECT_EQ(table.Acquire(&got), ReaderTable::kNoSlot);
  EXPECT_EQ(got, nullptr) << "closed: no snapshot";
  table.Publish(&a);
  std::vector<int> slots;
  for (std::size_t i = 0; i < ReaderTable::kSlots; ++i) {
    slots.push_back(table.Acquire(&got));
    ASSERT_NE(slots.back(), ReaderTable::kNoSlot) << i;
  }
  EXPECT_EQ(table.Acquire(&got), ReaderTable::kNoSlot);
  EXPECT_EQ(got, &a) << "full: the caller falls back on the snapshot it names";
  table.Release(slots[5]);
  EXPECT_EQ(table.Acquire(&got), slots[5]) << "a released slot is reused";
}

class ReaderSlotsDBTest : public ::testing::Test {
 protected:
  std::unique_ptr<DB> Open(std::size_t initial_mmap_size = 0) {
    Options o;
    o.file_system = fs_.get();
    o.initial_mmap_size = initial_mmap_size;
    o.no_sync = true;
    auto db = DB::Open("/r.db", o);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(*db) : nullptr;
  }
  // Writes `keys` keys whose values all hold `version`; every commit rewrites every leaf, so it
  // frees (as pending) every page the previous version used.
  static Status WriteVersion(DB& db, int keys, int version) {
    return db.Update([&](Tx& tx) -> Status {
      LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucketIfNotExists("b"));
      for (int i = 0; i < keys; ++i) {
        LARDER_RETURN_IF_ERROR(b.Put(Key(i), std::to_string(version) + std::string(90, 'v')));
      }
      return Status::Ok();
    });
  }
  static std::string Key(int i) {
    std::string k = "key" + std::to_string(i);
    return std::string(10 - k.size(), '0') + k;
  }
  // The version every key of `tx`'s snapshot holds, or -1 if they disagree or a read fails.
  static int VersionOf(Tx& tx, int keys) {
    auto b = tx.GetBucket("b");
    if (!b.ok()) return -1;
    int version = -2;
    for (int i = 0; i < keys; ++i) {
      auto v = b->Get(Key(i));
      if (!v.ok() || v->size() < 90) return -1;
      int got = -1;
      const std::string_view digits = v->substr(0, v->size() - 90);
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), got);
      if (ec != std::errc() || end != digits.data() + digits.size()) return -1;
      if (version != -2 && got != version) return -1;
      version = got;
    }
    return version;
  }

  std::unique_ptr<FileSystem> fs_ = NewMemFileSystem(std::size_t{1} << 30);
};

// More readers than slots: the rest are counted under the mutex. Both kinds keep their
// snapshot's pages from reuse, and free them when they end.
TEST_F(ReaderSlotsDBTest, ReadersBeyondTheSlotsKeepTheirSnapshot) {
  auto db = Open();
  constexpr int kKeys = 300;
  ASSERT_TRUE(WriteVersion(*db, kKeys, 1).ok());
  const std::size_t n = ReaderTable::kSlots + 5;
  std::vector<std::unique_ptr<Tx>> readers;
  for (std::size_t i = 0; i < n; ++i) {
    auto tx = db->Begin(false);
    ASSERT_TRUE(tx.ok()) << tx.status().ToString();
    readers.push_back(std::move(*tx));
  }
  EXPECT_EQ(db->Stats().open_read_tx, n);
  for (int v = 2; v <= 6; ++v) ASSERT_TRUE(WriteVersion(*db, kKeys, v).ok());
  // Nothing the old snapshot uses was reused: every reader, in a slot or not, sees version 1.
  const DBStats held = db->Stats();
  EXPECT_GT(held.pending_page_n, 0u);
  for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(VersionOf(*readers[i], kKeys), 1) << i;
  // The last readers in (counted under the mutex) end first; the slot holders still pin.
  while (readers.size() > ReaderTable::kSlots) readers.pop_back();
  ASSERT_TRUE(WriteVersion(*db, kKeys, 7).ok());
  EXPECT_EQ(VersionOf(*readers.front(), kKeys), 1);
  EXPECT_GE(db->Stats().pending_page_n, held.pending_page_n);
  readers.clear();
  EXPECT_EQ(db->Stats().open_read_tx, 0u);
  EXPECT_GE(db->Stats().read_tx_n, n);
  // With no reader left, the next writer frees what earlier commits left pending.
  ASSERT_TRUE(WriteVersion(*db, kKeys, 8).ok());
  const DBStats after = db->Stats();
  EXPECT_LT(after.pending_page_n, held.pending_page_n);
  EXPECT_GT(after.free_page_n, 0u);
  auto tx = db->Begin(false);
  ASSERT_TRUE(tx.ok());
  EXPECT_EQ(VersionOf(**tx, kKeys), 8);
}

// Freed pages are reused once no reader holds them: the file stops growing under repeated
// rewrites while readers come and go between commits.
TEST_F(ReaderSlotsDBTest, PagesAreReusedAfterReadersEnd) {
  auto db = Open();
  constexpr int kKeys = 300;
  ASSERT_TRUE(WriteVersion(*db, kKeys, 0).ok());
  std::uint64_t size_after_warmup = 0;
  for (int v = 1; v <= 40; ++v) {
    {
      auto tx = db->Begin(false);
      ASSERT_TRUE(tx.ok());
      ASSERT_EQ(VersionOf(**tx, kKeys), v - 1);
    }
    ASSERT_TRUE(WriteVersion(*db, kKeys, v).ok());
    if (v == 10) size_after_warmup = (*db->Begin(false))->Size();
  }
  EXPECT_EQ((*db->Begin(false))->Size(), size_after_warmup);
}

// A recycled reader (same slot, same snapshot) keeps its opened buckets; after a commit it must
// see the new snapshot, including buckets and keys that did not exist before.
TEST_F(ReaderSlotsDBTest, RecycledReadersSeeTheNewSnapshot) {
  // A map large enough that no commit below remaps (a remap drops the recycled TxImpls).
  auto db = Open(std::size_t{4} << 20);
  ASSERT_TRUE(WriteVersion(*db, 10, 1).ok());
  const std::uint64_t remaps = db->Stats().remap_n;
  for (int round = 0; round < 3; ++round) {
    auto tx = db->Begin(false);
    ASSERT_TRUE(tx.ok());
    EXPECT_EQ(VersionOf(**tx, 10), 1);
    EXPECT_TRUE((*tx)->GetBucket("later").status().IsNotFound());
  }
  ASSERT_TRUE(db->Update([](Tx& tx) -> Status {
                  LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucket("later"));
                  return b.Put("k", "v");
                }).ok());
  ASSERT_TRUE(WriteVersion(*db, 10, 2).ok());
  ASSERT_EQ(db->Stats().remap_n, remaps) << "the test needs the recycled TxImpl kept";
  auto tx = db->Begin(false);
  ASSERT_TRUE(tx.ok());
  EXPECT_EQ(VersionOf(**tx, 10), 2);
  auto later = (*tx)->GetBucket("later");
  ASSERT_TRUE(later.ok()) << later.status().ToString();
  auto v = later->Get("k");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, "v");
  // A Tx rolled back but not yet destroyed stays closed even while later readers run.
  auto first = db->Begin(false);
  ASSERT_TRUE(first.ok());
  Bucket b = *(*first)->GetBucket("b");
  ASSERT_TRUE((*first)->Rollback().ok());
  auto second = db->Begin(false);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(b.Get(Key(0)).status().code(), Code::kTxClosed);
  EXPECT_EQ(VersionOf(**second, 10), 2);
}

TEST_F(ReaderSlotsDBTest, BeginAfterCloseFails) {
  auto db = Open();
  ASSERT_TRUE(WriteVersion(*db, 10, 1).ok());
  { auto tx = db->Begin(false); }  // leaves a recycled TxImpl in a slot
  ASSERT_TRUE(db->Close().ok());
  EXPECT_EQ(db->Begin(false).status().code(), Code::kInvalidArgument);
}

// An ended read transaction may be destroyed after its DB (its TxImpl goes back to the reader
// table it co-owns, which then deletes it). ASan reports a use after free or a leak otherwise.
TEST_F(ReaderSlotsDBTest, AnEndedReadTransactionMayOutliveItsDB) {
  auto db = Open();
  ASSERT_TRUE(WriteVersion(*db, 10, 1).ok());
  { auto recycled = db->Begin(false); }  // one TxImpl kept in a slot when the DB goes
  auto tx = db->Begin(false);
  ASSERT_TRUE(tx.ok());
  EXPECT_EQ(VersionOf(**tx, 10), 1);
  ASSERT_TRUE((*tx)->Rollback().ok());
  db.reset();
  EXPECT_EQ((*tx)->id(), 2u);
  tx->reset();
}

// Readers begin and end on many threads (more than there are slots, so some go through the
// mutex) while the writer rewrites every page on each commit and reuses what it may: a reader
// whose pages were reused under it would see mixed versions or a damaged page.
TEST_F(ReaderSlotsDBTest, ConcurrentReadersWhileCommitsReusePages) {
  auto db = Open();
  constexpr int kKeys = 200;
  ASSERT_TRUE(WriteVersion(*db, kKeys, 0).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::atomic<std::uint64_t> reads{0};
  std::vector<std::thread> threads;
  const int kThreads = 6;
  for (int r = 0; r < kThreads; ++r) {
    threads.emplace_back([&, r] {
      // Thread 0 also holds many readers at once so that the slots run out now and then.
      std::vector<std::unique_ptr<Tx>> held;
      while (!stop) {
        auto tx = db->Begin(false);
        if (!tx.ok() || VersionOf(**tx, kKeys) < 0) ++bad;
        ++reads;
        if (r == 0) {
          held.push_back(std::move(*tx));
          if (held.size() > ReaderTable::kSlots) {
            for (auto& h : held) {
              if (VersionOf(*h, kKeys) < 0) ++bad;
            }
            held.clear();
          }
        }
      }
    });
  }
  for (int v = 1; v <= 150; ++v) ASSERT_TRUE(WriteVersion(*db, kKeys, v).ok());
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(reads.load(), 0u);
  EXPECT_EQ(db->Stats().open_read_tx, 0u);
  EXPECT_GT(db->Stats().free_page_n + db->Stats().pending_page_n, 0u);
}

}  // namespace
}  // namespace larder::bolt
