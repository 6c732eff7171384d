#include "larder/bolt/db.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "base/coding.h"
#include "larder/file_system.h"
#include "tests/util/temp_dir.h"

namespace larder::bolt {
namespace {

class BoltDBTest : public ::testing::Test {
 protected:
  std::unique_ptr<DB> OpenDB(Options o = {}) {
    o.file_system = fs_.get();
    auto db = DB::Open(path_, o);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(*db) : nullptr;
  }
  std::string ReadFile() {
    auto f = fs_->Open(path_, {});
    std::string out(*(*f)->Size(), '\0');
    (void)(*f)->ReadAt(0, {reinterpret_cast<std::uint8_t*>(out.data()), out.size()});
    return out;
  }
  void WriteFile(const std::string& bytes) {
    auto f = fs_->Open(path_, {.create = true});
    ASSERT_TRUE((*f)->Truncate(0).ok());
    ASSERT_TRUE((*f)->WriteAt(0, AsBytes(bytes)).ok());
  }

  std::unique_ptr<FileSystem> fs_ = NewMemFileSystem(std::size_t{1} << 30);
  std::string path_ = "/test.db";
};

TEST_F(BoltDBTest, NewFileLayoutIsBbolts) {
  auto db = OpenDB({.page_size = 4096});
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->Close().ok());
  std::string f = ReadFile();
  ASSERT_EQ(f.size(), 4u * 4096);
  // Meta 0 magic at offset 16, stored little-endian.
  EXPECT_EQ(std::memcmp(f.data() + 16, "\xed\xda\x0c\xed", 4), 0);
  EXPECT_EQ(static_cast<unsigned char>(f[2 * 4096 + 8]), 0x10);  // freelist page
  EXPECT_EQ(static_cast<unsigned char>(f[3 * 4096 + 8]), 0x02);  // empty root leaf
}

TEST_F(BoltDBTest, PutGetAcrossReopen) {
  {
    auto db = OpenDB();
    ASSERT_TRUE(db->Update([](Tx& tx) -> Status {
                    LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucket("widgets"));
                    LARDER_RETURN_IF_ERROR(b.Put("foo", "bar"));
                    return b.Put("empty", "");
                  }).ok());
  }
  auto db = OpenDB();
  ASSERT_TRUE(db->View([](Tx& tx) -> Status {
                  LARDER_ASSIGN_OR_RETURN(Bucket b, tx.GetBucket("widgets"));
                  auto v = b.Get("foo");
                  EXPECT_TRUE(v.ok());
                  EXPECT_EQ(*v, "bar");
                  auto e = b.Get("empty");
                  EXPECT_TRUE(e.ok());
                  EXPECT_EQ(e->size(), 0u);
                  EXPECT_TRUE(b.Get("missing").status().IsNotFound());
                  return Status::Ok();
                }).ok());
}

// A write transaction's memory is kept for the next ones up to Options::arena_cache_bytes,
// and ReleaseCachedMemory frees it.
TEST_F(BoltDBTest, WriteTransactionMemoryIsKeptUpToItsLimitAndReleased) {
  const auto write_many = [](DB& db) {
    return db.Update([](Tx& tx) -> Status {
      LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucketIfNotExists("b"));
      for (int i = 0; i < 5000; ++i) {
        LARDER_RETURN_IF_ERROR(b.Put("key" + std::to_string(i), std::string(200, 'v')));
      }
      return Status::Ok();
    });
  };
  auto db = OpenDB();
  EXPECT_EQ(db->Stats().arena_cache_bytes, 0u);
  ASSERT_TRUE(write_many(*db).ok());
  const std::uint64_t kept = db->Stats().arena_cache_bytes;
  EXPECT_GT(kept, 1000u * 200);       // the values' copies and the pages written
  ASSERT_TRUE(write_many(*db).ok());  // reuses it
  EXPECT_GE(db->Stats().arena_cache_bytes, kept);
  db->ReleaseCachedMemory();
  EXPECT_EQ(db->Stats().arena_cache_bytes, 0u);
  ASSERT_TRUE(db->Close().ok());

  auto none = OpenDB({.arena_cache_bytes = 0});
  ASSERT_TRUE(write_many(*none).ok());
  EXPECT_EQ(none->Stats().arena_cache_bytes, 0u);
  ASSERT_TRUE(none->Close().ok());

  constexpr std::size_t kCap = 256 << 10;
  auto capped = OpenDB({.arena_cache_bytes = kCap});
  ASSERT_TRUE(write_many(*capped).ok());
  EXPECT_GT(capped->Stats().arena_cache_bytes, 0u);
  EXPECT_LE(capped->Stats().arena_cache_bytes, kCap);
}

TEST_F(BoltDBTest, LimitsAndErrors) {
  auto db = OpenDB();
  ASSERT_TRUE(db->Update([](Tx& tx) -> Status {
                  LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucket("b"));
                  EXPECT_TRUE(b.Put("", "v").IsInvalidArgument());
                  EXPECT_TRUE(b.Put(std::string(kMaxKeySize + 1, 'k'), "v").IsInvalidArgument());
                  EXPECT_TRUE(b.Put(std::string(kMaxKeySize, 'k'), "v").ok());
                  EXPECT_EQ(tx.CreateBucket("b").status().code(), Code::kAlreadyExists);
                  EXPECT_TRUE(tx.CreateBucket("").status().IsInvalidArgument());
                  EXPECT_TRUE(b.CreateBucket("sub").ok());
                  EXPECT_EQ(b.Put("sub", "x").code(), Code::kIncompatible);
                  EXPECT_EQ(b.Get("sub").status().code(), Code::kIncompatible);
                  EXPECT_EQ(b.Delete("sub").code(), Code::kIncompatible);
                  EXPECT_EQ(b.CreateBucket(std::string(kMaxKeySize, 'k')).status().code(),
                            Code::kIncompatible);
                  EXPECT_TRUE(tx.DeleteBucket("nope").IsNotFound());
                  return Status::Ok();
                }).ok());
  ASSERT_TRUE(db->View([](Tx& tx) -> Status {
                  LARDER_ASSIGN_OR_RETURN(Bucket b, tx.GetBucket("b"));
                  EXPECT_EQ(b.Put("k", "v").code(), Code::kReadOnly);
                  EXPECT_EQ(tx.CreateBucket("x").status().code(), Code::kReadOnly);
                  EXPECT_EQ(tx.Commit().code(), Code::kReadOnly);
                  return Status::Ok();
                }).ok());
}

TEST_F(BoltDBTest, FailedUpdateRollsBack) {
  auto db = OpenDB();
  Status s = db->Update([](Tx& tx) -> Status {
    LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucket("b"));
    LARDER_RETURN_IF_ERROR(b.Put("k", "v"));
    return Status::InvalidArgument("caller gave up");
  });
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_TRUE(db->View([](Tx& tx) -> Status {
                  EXPECT_TRUE(tx.GetBucket("b").status().IsNotFound());
                  return Status::Ok();
                }).ok());
}

TEST_F(BoltDBTest, CursorMovesAndSeeks) {
  auto db = OpenDB({.page_size = 1024});
  ASSERT_TRUE(db->Update([](Tx& tx) -> Status {
                  LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucket("b"));
                  for (int i = 0; i < 1000; i += 2) {
                    char k[16];
                    std::snprintf(k, sizeof k, "key%05d", i);
                    LARDER_RETURN_IF_ERROR(b.Put(k, std::string(50, 'v')));
                  }
                  return Status::Ok();
                }).ok());
  ASSERT_TRUE(db->View([](Tx& tx) -> Status {
                  LARDER_ASSIGN_OR_RETURN(Bucket b, tx.GetBucket("b"));
                  Cursor c = b.NewCursor();
                  int n = 0;
                  std::string prev;
                  for (c.First(); c.Valid(); c.Next(), ++n) {
                    EXPECT_LT(prev, std::string(c.key()));
                    prev = c.key();
                  }
                  EXPECT_EQ(n, 500);
                  n = 0;
                  for (c.Last(); c.Valid(); c.Prev()) ++n;
                  EXPECT_EQ(n, 500);
                  c.Seek("key00501");
                  EXPECT_TRUE(c.Valid());
                  EXPECT_EQ(c.key(), "key00502");
                  c.Prev();
                  EXPECT_EQ(c.key(), "key00500");
                  c.Seek("key99999");
                  EXPECT_FALSE(c.Valid());
                  c.Seek("");
                  EXPECT_EQ(c.key(), "key00000");
                  return c.status();
                }).ok());
}

TEST_F(BoltDBTest, DeleteWhileIteratingSkipsNothing) {
  auto db = OpenDB({.page_size = 1024});
  ASSERT_TRUE(db->Update([](Tx& tx) -> Status {
                  LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucket("b"));
                  for (int i = 0; i < 600; ++i)
                    LARDER_RETURN_IF_ERROR(b.Put(std::to_string(1000 + i), "v"));
                  Cursor c = b.NewCursor();
                  int visited = 0;
                  for (c.First(); c.Valid(); c.Next()) {
                    ++visited;
                    LARDER_RETURN_IF_ERROR(c.Delete());
                  }
                  EXPECT_EQ(visited, 600);
                  c.First();
                  EXPECT_FALSE(c.Valid());
                  return c.status();
                }).ok());
  auto tx = db->Begin(false);
  EXPECT_TRUE((*tx)->Check().empty());
}

TEST_F(BoltDBTest, ReadersKeepTheirSnapshot) {
  auto db = OpenDB();
  ASSERT_TRUE(db->Update([](Tx& tx) { return tx.CreateBucket("b").status(); }).ok());
  auto reader = db->Begin(false);
  ASSERT_TRUE(reader.ok());
  // The same thread writes while holding a reader: no deadlock, even across remaps.
  for (int t = 0; t < 20; ++t) {
    ASSERT_TRUE(db->Update([t](Tx& tx) -> Status {
                    LARDER_ASSIGN_OR_RETURN(Bucket b, tx.GetBucket("b"));
                    for (int i = 0; i < 500; ++i) {
                      LARDER_RETURN_IF_ERROR(
                          b.Put(std::to_string(t * 1000 + i), std::string(200, 'x')));
                    }
                    return Status::Ok();
                  }).ok());
  }
  auto b = (*reader)->GetBucket("b");
  ASSERT_TRUE(b.ok());
  Cursor c = b->NewCursor();
  c.First();
  EXPECT_FALSE(c.Valid()) << "the old snapshot had an empty bucket";
  EXPECT_GT(db->Stats().remap_n, 0u);
}

TEST_F(BoltDBTest, ConcurrentReadersSeeConsistentSnapshots) {
  auto db = OpenDB();
  ASSERT_TRUE(db->Update([](Tx& tx) -> Status {
                  LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucket("b"));
                  return b.Put("count", "0");
                }).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!stop) {
        Status s = db->View([&](Tx& tx) -> Status {
          // Invariant kept by every commit: "count" equals the number of other keys.
          LARDER_ASSIGN_OR_RETURN(Bucket b, tx.GetBucket("b"));
          LARDER_ASSIGN_OR_RETURN(std::string_view count, b.Get("count"));
          int n = 0;
          Cursor c = b.NewCursor();
          for (c.First(); c.Valid(); c.Next()) ++n;
          if (std::to_string(n - 1) != count) ++bad;
          return c.status();
        });
        if (!s.ok()) ++bad;
      }
    });
  }
  for (int t = 1; t <= 200; ++t) {
    ASSERT_TRUE(db->Update([t](Tx& tx) -> Status {
                    LARDER_ASSIGN_OR_RETURN(Bucket b, tx.GetBucket("b"));
                    LARDER_RETURN_IF_ERROR(b.Put("k" + std::to_string(t), std::string(300, 'v')));
                    return b.Put("count", std::to_string(t));
                  }).ok());
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST_F(BoltDBTest, BatchSharesCommits) {
  auto db = OpenDB();
  ASSERT_TRUE(db->Update([](Tx& tx) { return tx.CreateBucket("b").status(); }).ok());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int w = 0; w < 8; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < 50; ++i) {
        Status s = db->Batch([&](Tx& tx) -> Status {
          LARDER_ASSIGN_OR_RETURN(Bucket b, tx.GetBucket("b"));
          return b.Put(std::to_string(w) + "-" + std::to_string(i), "v");
        });
        if (!s.ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(db->Stats().write_tx_n, 401u);
  ASSERT_TRUE(db->View([](Tx& tx) -> Status {
                  LARDER_ASSIGN_OR_RETURN(Bucket b, tx.GetBucket("b"));
                  LARDER_ASSIGN_OR_RETURN(BucketStats st, b.Stats());
                  EXPECT_EQ(st.key_n, 400);
                  return Status::Ok();
                }).ok());
}

TEST_F(BoltDBTest, SecondWriterIsBusyUntilTimeout) {
  auto db = OpenDB();
  Options o;
  o.file_system = fs_.get();
  o.lock_timeout = std::chrono::milliseconds(100);
  auto second = DB::Open(path_, o);
  EXPECT_EQ(second.status().code(), Code::kBusy) << second.status().ToString();
}

TEST_F(BoltDBTest, MaxSizeRefusesGrowth) {
  auto db = OpenDB({.max_size = 64 * 1024});
  Status s = db->Update([](Tx& tx) -> Status {
    LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucket("b"));
    return b.Put("big", std::string(200 * 1024, 'x'));
  });
  EXPECT_EQ(s.code(), Code::kNoSpace) << s.ToString();
  ASSERT_TRUE(db->Update([](Tx& tx) { return tx.CreateBucket("small").status(); }).ok());
}

TEST_F(BoltDBTest, GarbageFileIsRejectedNotCrashed) {
  WriteFile(std::string(16384, 'G'));
  Options o;
  o.file_system = fs_.get();
  auto db = DB::Open(path_, o);
  EXPECT_EQ(db.status().code(), Code::kInvalidArgument) << db.status().ToString();
  EXPECT_NE(db.status().message().find("not a bolt database"), std::string_view::npos);
  WriteFile("tiny");
  db = DB::Open(path_, o);
  EXPECT_FALSE(db.ok());
}

TEST_F(BoltDBTest, FallsBackToOtherMetaAndReportsBothBad) {
  {
    auto db = OpenDB({.page_size = 4096});
    ASSERT_TRUE(db->Update([](Tx& tx) { return tx.CreateBucket("one").status(); }).ok());
    ASSERT_TRUE(db->Update([](Tx& tx) { return tx.CreateBucket("two").status(); }).ok());
  }
  std::string f = ReadFile();
  f[1 * 4096 + 64] ^= 0x1;  // txid of meta 1 (the newer one, txid 3): checksum now fails
  WriteFile(f);
  {
    auto db = OpenDB();
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->View([](Tx& tx) -> Status {
                    EXPECT_TRUE(tx.GetBucket("one").ok());
                    EXPECT_TRUE(tx.GetBucket("two").status().IsNotFound())
                        << "fell back one commit";
                    return Status::Ok();
                  }).ok());
  }
  f = ReadFile();
  f[0 * 4096 + 64] ^= 0x1;  // meta 1 is still damaged: now neither validates
  WriteFile(f);
  Options o;
  o.file_system = fs_.get();
  auto db = DB::Open(path_, o);
  EXPECT_TRUE(db.status().IsCorruption()) << db.status().ToString();
}

TEST_F(BoltDBTest, BackupAndCompactProduceEqualDatabases) {
  auto db = OpenDB({.page_size = 4096});
  ASSERT_TRUE(db->Update([](Tx& tx) -> Status {
                  LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucket("b"));
                  LARDER_ASSIGN_OR_RETURN(Bucket n, b.CreateBucket("nested"));
                  LARDER_RETURN_IF_ERROR(n.SetSequence(42));
                  for (int i = 0; i < 3000; ++i)
                    LARDER_RETURN_IF_ERROR(b.Put(std::to_string(i), "value"));
                  return n.Put("a", "1");
                }).ok());
  ASSERT_TRUE(db->Update([](Tx& tx) -> Status {
                  LARDER_ASSIGN_OR_RETURN(Bucket b, tx.GetBucket("b"));
                  for (int i = 0; i < 2000; ++i)
                    LARDER_RETURN_IF_ERROR(b.Delete(std::to_string(i)));
                  return Status::Ok();
                }).ok());
  {
    auto tx = db->Begin(false);
    ASSERT_TRUE((*tx)->CopyFile("/backup.db", fs_.get()).ok());
  }
  Options o;
  o.file_system = fs_.get();
  auto backup = DB::Open("/backup.db", o);
  ASSERT_TRUE(backup.ok()) << backup.status().ToString();
  auto compacted = DB::Open("/compact.db", o);
  ASSERT_TRUE(Compact(**compacted, **backup, 1000).ok());
  for (DB* d : {backup->get(), compacted->get()}) {
    ASSERT_TRUE(d->View([](Tx& tx) -> Status {
                   EXPECT_TRUE(tx.Check().empty());
                   LARDER_ASSIGN_OR_RETURN(Bucket b, tx.GetBucket("b"));
                   LARDER_ASSIGN_OR_RETURN(BucketStats st, b.Stats());
                   EXPECT_EQ(st.key_n, 1002);  // 1000 keys, the sub-bucket entry, and its key
                   LARDER_ASSIGN_OR_RETURN(Bucket n, b.GetBucket("nested"));
                   EXPECT_EQ(n.Sequence(), 42u);
                   EXPECT_EQ(*n.Get("a"), "1");
                   return Status::Ok();
                 }).ok());
  }
  auto t1 = (*backup)->Begin(false);
  auto t2 = (*compacted)->Begin(false);
  EXPECT_LT((*t2)->Size(), (*t1)->Size());
}

TEST_F(BoltDBTest, ReadOnlyOpenNeverWrites) {
  { auto db = OpenDB(); }
  std::string before = ReadFile();
  auto db = OpenDB({.read_only = true});
  ASSERT_TRUE(db);
  EXPECT_EQ(db->Begin(true).status().code(), Code::kReadOnly);
  db.reset();
  EXPECT_EQ(ReadFile(), before);
  Options o;
  o.file_system = fs_.get();
  o.read_only = true;
  EXPECT_TRUE(DB::Open("/missing.db", o).status().IsNotFound());
}

TEST(BoltPosixTest, RealFileRoundTrip) {
  test::TempDir dir;
  {
    auto db = DB::Open(dir.File("a.db"));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE((*db)
                    ->Update([](Tx& tx) -> Status {
                      LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucket("b"));
                      for (int i = 0; i < 5000; ++i)
                        LARDER_RETURN_IF_ERROR(b.Put(std::to_string(i), "v"));
                      return Status::Ok();
                    })
                    .ok());
  }
  auto db = DB::Open(dir.File("a.db"));
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)
                  ->View([](Tx& tx) -> Status {
                    EXPECT_TRUE(tx.Check().empty());
                    LARDER_ASSIGN_OR_RETURN(Bucket b, tx.GetBucket("b"));
                    EXPECT_EQ(*b.Get("4999"), "v");
                    return Status::Ok();
                  })
                  .ok());
}

}  // namespace
}  // namespace larder::bolt
