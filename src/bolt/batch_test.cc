// DB::Batch's gathering (batch.cc, BatchQueue in db_impl.h).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "bolt/db_impl.h"
#include "larder/bolt/db.h"
#include "larder/file_system.h"

namespace larder::bolt {
namespace {

using namespace std::chrono_literals;

TEST(BatchGatherWindowTest, HalfTheLastCommitWithinBounds) {
  EXPECT_EQ(internal::BatchGatherWindow(0s), internal::kBatchGatherMin);
  EXPECT_EQ(internal::BatchGatherWindow(100us), internal::kBatchGatherMin);
  EXPECT_EQ(internal::BatchGatherWindow(1200us), 600us);
  EXPECT_EQ(internal::BatchGatherWindow(3ms), 1500us);
  EXPECT_EQ(internal::BatchGatherWindow(50ms), internal::kBatchGatherMax);
}

// A file system whose data syncs take `delay`, like a disk's fdatasync.
class SlowSyncFileSystem final : public FileSystem {
 public:
  explicit SlowSyncFileSystem(std::chrono::microseconds delay) : delay_(delay) {}
  Result<std::unique_ptr<File>> Open(const std::string& path, const OpenOptions& o) override {
    LARDER_ASSIGN_OR_RETURN(auto f, base_->Open(path, o));
    return std::unique_ptr<File>(new SlowFile(std::move(f), delay_));
  }
  Result<bool> Exists(const std::string& path) override { return base_->Exists(path); }
  Status Remove(const std::string& path) override { return base_->Remove(path); }
  Status Rename(const std::string& from, const std::string& to) override {
    return base_->Rename(from, to);
  }
  Status SyncDir(const std::string& dir) override { return base_->SyncDir(dir); }
  Status CreateDirs(const std::string& dir) override { return base_->CreateDirs(dir); }
  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    return base_->ListDir(dir);
  }

 private:
  class SlowFile final : public File {
   public:
    SlowFile(std::unique_ptr<File> f, std::chrono::microseconds delay)
        : f_(std::move(f)), delay_(delay) {}
    Result<std::size_t> ReadAt(std::uint64_t off, std::span<std::uint8_t> buf) override {
      return f_->ReadAt(off, buf);
    }
    Status WriteAt(std::uint64_t off, std::span<const std::uint8_t> data) override {
      return f_->WriteAt(off, data);
    }
    Status Sync() override {
      std::this_thread::sleep_for(delay_);
      return f_->Sync();
    }
    Status SyncAll() override { return f_->SyncAll(); }
    Status Truncate(std::uint64_t size) override { return f_->Truncate(size); }
    Result<std::uint64_t> Size() override { return f_->Size(); }
    Result<std::shared_ptr<const MappedRegion>> Map(std::size_t length) override {
      return f_->Map(length);
    }
    Status TryLock(LockMode mode) override { return f_->TryLock(mode); }
    Status Unlock() override { return f_->Unlock(); }
    const std::string& path() const override { return f_->path(); }

   private:
    std::unique_ptr<File> f_;
    std::chrono::microseconds delay_;
  };

  std::unique_ptr<FileSystem> base_ = NewMemFileSystem(std::size_t{1} << 30);
  std::chrono::microseconds delay_;
};

// Eight writers looping on Batch against a disk whose syncs take 2 ms: a commit (two syncs)
// takes over 4 ms, so the leader waits up to 2 ms, ample time for the other seven to come back
// even on a loaded 2-core machine. Groups then hold most writers: far fewer commits than calls.
// (The recorded bench run, on a loaded VM with the earlier fixed 200 µs window, saw groups of
// about 5 of 8.)
TEST(BatchTest, GroupsGatherTheActiveWriters) {
  SlowSyncFileSystem fs(2ms);
  Options o;
  o.file_system = &fs;
  auto opened = DB::Open("/batch.db", o);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<DB> db = std::move(*opened);
  ASSERT_TRUE(db->Update([](Tx& tx) { return tx.CreateBucket("b").status(); }).ok());
  const std::uint64_t commits_before = db->Stats().write_tx_n;
  constexpr int kWriters = 8, kCalls = 30;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kCalls; ++i) {
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
  const std::uint64_t commits = db->Stats().write_tx_n - commits_before;
  // 240 calls; groups of 8 would take 30 commits. Allow stragglers, not groups of ~5 (48).
  // Under ThreadSanitizer threads wake too slowly for any bound on the group size to hold
  // (mean groups of 3.5 were seen); there the test checks only for races and lost calls.
#ifndef __SANITIZE_THREAD__
  EXPECT_LE(commits, 45u) << "mean group " << 240.0 / static_cast<double>(commits);
#else
  EXPECT_LT(commits, 240u);
#endif
  ASSERT_TRUE(db->View([](Tx& tx) -> Status {
                  LARDER_ASSIGN_OR_RETURN(Bucket b, tx.GetBucket("b"));
                  LARDER_ASSIGN_OR_RETURN(BucketStats st, b.Stats());
                  EXPECT_EQ(st.key_n, kWriters * kCalls);
                  return Status::Ok();
                }).ok());
}

// A lone caller does not wait for writers that have gone: after a burst of eight, one writer's
// commits are not each held up by a full window.
TEST(BatchTest, LoneCallerAfterABurstDoesNotWaitEachTime) {
  SlowSyncFileSystem fs(2ms);
  Options o;
  o.file_system = &fs;
  auto opened = DB::Open("/batch.db", o);
  ASSERT_TRUE(opened.ok());
  std::unique_ptr<DB> db = std::move(*opened);
  ASSERT_TRUE(db->Update([](Tx& tx) { return tx.CreateBucket("b").status(); }).ok());
  auto put = [&](const std::string& k) {
    return db->Batch([&](Tx& tx) -> Status {
      LARDER_ASSIGN_OR_RETURN(Bucket b, tx.GetBucket("b"));
      return b.Put(k, "v");
    });
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < 8; ++w) {
    threads.emplace_back([&, w] { EXPECT_TRUE(put("burst" + std::to_string(w)).ok()); });
  }
  for (auto& t : threads) t.join();
  // One writer alone: 20 Batch calls against 20 plain Updates (two 2 ms syncs each). Waiting
  // the 2 ms window on every call would add 40 ms; only the first may wait (the burst's count).
  auto timed = [](auto&& fn) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    return std::chrono::steady_clock::now() - t0;
  };
  const auto updates = timed([&] {
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(db->Update([&](Tx& tx) -> Status {
                      LARDER_ASSIGN_OR_RETURN(Bucket b, tx.GetBucket("b"));
                      return b.Put("update" + std::to_string(i), "v");
                    }).ok());
    }
  });
  const std::uint64_t before = db->Stats().write_tx_n;
  const auto batches = timed([&] {
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(put("alone" + std::to_string(i)).ok());
  });
  EXPECT_EQ(db->Stats().write_tx_n - before, 20u);
  EXPECT_LT(batches - updates, 20ms) << "each lone call waited for the burst's writers";
}

}  // namespace
}  // namespace larder::bolt
