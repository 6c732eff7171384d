// DB::Batch's gathering (batch.cc, BatchQueue in db_impl.h). The tests are deterministic: a
// file system double holds data syncs until the test lets them go, so the test knows which
// callers are queued while a commit is in flight; nothing is timed.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "bolt/db_impl.h"
#include "larder/bolt/db.h"
#include "larder/file_system.h"
#include "larder/file_system_wrapper.h"

#include "bolt/access.h"

namespace larder::bolt {
namespace {

using namespace std::chrono_literals;

// The group commit queue of `db` (white-box, through the test-only internal::Access).
internal::BatchQueue& QueueOf(DB& db) { return internal::Access::Impl(db).batch_queue(); }

// Callers queued in `db`'s Batch behind the current leader.
std::size_t Pending(DB& db) {
  internal::BatchQueue& q = QueueOf(db);
  MutexLock lock(&q.mu);
  return q.pending.size();
}

TEST(BatchGatherWindowTest, HalfTheLastCommitWithinBounds) {
  EXPECT_EQ(internal::BatchGatherWindow(0s), internal::kBatchGatherMin);
  EXPECT_EQ(internal::BatchGatherWindow(100us), internal::kBatchGatherMin);
  EXPECT_EQ(internal::BatchGatherWindow(1200us), 600us);
  EXPECT_EQ(internal::BatchGatherWindow(3ms), 1500us);
  EXPECT_EQ(internal::BatchGatherWindow(50ms), internal::kBatchGatherMax);
}

// A file system whose file syncs (Sync, SyncAll) wait while the gate is held.
class GatedSyncFileSystem final : public FileSystemWrapper {
 public:
  using FileSystemWrapper::FileSystemWrapper;

  Result<std::unique_ptr<File>> Open(const std::string& path, const OpenOptions& o) override {
    LARDER_ASSIGN_OR_RETURN(auto f, FileSystemWrapper::Open(path, o));
    return std::unique_ptr<File>(std::make_unique<GatedFile>(std::move(f), this));
  }

  void Hold() {
    std::lock_guard lock(mu_);
    open_ = false;
  }
  void Release() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  // Blocks until `n` syncs are waiting at the closed gate.
  void WaitForBlocked(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return blocked_ >= n; });
  }

 private:
  class GatedFile final : public FileWrapper {
   public:
    GatedFile(std::unique_ptr<File> f, GatedSyncFileSystem* fs)
        : FileWrapper(std::move(f)), fs_(fs) {}
    Status Sync() override {
      fs_->Pass();
      return FileWrapper::Sync();
    }
    Status SyncAll() override {
      fs_->Pass();
      return FileWrapper::SyncAll();
    }

   private:
    GatedSyncFileSystem* fs_;
  };

  void Pass() {
    std::unique_lock lock(mu_);
    ++blocked_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
    --blocked_;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = true;  // guarded by mu_
  int blocked_ = 0;   // guarded by mu_
};

class BatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options o;
    o.file_system = &fs_;
    auto opened = DB::Open("/batch.db", o);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    db_ = std::move(*opened);
    ASSERT_TRUE(db_->Update([](Tx& tx) { return tx.CreateBucket("b").status(); }).ok());
  }
  void TearDown() override { fs_.Release(); }

  Status Put(const std::string& key) {
    return db_->Batch([&](Tx& tx) -> Status {
      LARDER_ASSIGN_OR_RETURN(Bucket b, tx.GetBucket("b"));
      return b.Put(key, "v");
    });
  }
  std::uint64_t Keys() {
    std::uint64_t n = 0;
    EXPECT_TRUE(db_->View([&](Tx& tx) -> Status {
                     LARDER_ASSIGN_OR_RETURN(Bucket b, tx.GetBucket("b"));
                     LARDER_ASSIGN_OR_RETURN(BucketStats st, b.Stats());
                     n = static_cast<std::uint64_t>(st.key_n);
                     return Status::Ok();
                   })
                    .ok());
    return n;
  }
  std::uint64_t Commits() { return db_->Stats().write_tx_n; }

  // Runs `n` Batch calls on their own threads while a first caller's commit is held at the
  // gate, and returns once all `n` are queued behind it; the caller then opens the gate.
  std::vector<std::thread> QueueBehindAHeldCommit(int n) {
    std::vector<std::thread> threads;
    fs_.Hold();
    threads.emplace_back([this] { EXPECT_TRUE(Put("leader").ok()); });
    fs_.WaitForBlocked(1);  // the leader's commit is in flight
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([this, i] { EXPECT_TRUE(Put("queued" + std::to_string(i)).ok()); });
    }
    while (Pending(*db_) < static_cast<std::size_t>(n)) std::this_thread::yield();
    return threads;
  }

  std::unique_ptr<FileSystem> mem_ = NewMemFileSystem(std::size_t{1} << 30);
  GatedSyncFileSystem fs_{mem_.get()};
  std::unique_ptr<DB> db_;
};

// Seven callers arrive while a commit is in flight: they commit together, in one transaction.
TEST_F(BatchTest, CallersQueuedDuringACommitShareTheNext) {
  const std::uint64_t before = Commits();
  std::vector<std::thread> threads = QueueBehindAHeldCommit(7);
  EXPECT_EQ(Commits(), before) << "the leader's commit is still held";
  fs_.Release();
  for (auto& t : threads) t.join();
  EXPECT_EQ(Commits() - before, 2u) << "the leader alone, then the seven queued callers";
  EXPECT_EQ(Keys(), 8u);
  internal::BatchQueue& q = QueueOf(*db_);
  MutexLock lock(&q.mu);
  EXPECT_EQ(q.last_writers, 7u) << "the second group's size, with nobody queued after it";
  EXPECT_FALSE(q.leader);
}

// A failing function does not take the others down: the group is retried one caller at a time
// and only the failing caller sees its error.
TEST_F(BatchTest, OneFailingCallerInAGroupFailsAlone) {
  fs_.Hold();
  std::thread leader([this] { EXPECT_TRUE(Put("leader").ok()); });
  fs_.WaitForBlocked(1);
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      Status s = db_->Batch([&](Tx& tx) -> Status {
        if (i == 2) return Status::InvalidArgument("caller 2 fails");
        LARDER_ASSIGN_OR_RETURN(Bucket b, tx.GetBucket("b"));
        return b.Put("k" + std::to_string(i), "v");
      });
      if (!s.ok()) {
        EXPECT_EQ(s.code(), Code::kInvalidArgument);
        ++failed;
      }
    });
  }
  while (Pending(*db_) < 4) std::this_thread::yield();
  fs_.Release();
  leader.join();
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 1);
  EXPECT_EQ(Keys(), 4u);  // the leader and the three callers that succeeded
}

// After a burst, one writer alone: its first call may wait for the burst's writers (the queue
// remembers seven), but that call resets the count to one, so no later lone call waits.
TEST_F(BatchTest, LoneCallerAfterABurstWaitsAtMostOnce) {
  std::vector<std::thread> threads = QueueBehindAHeldCommit(7);
  fs_.Release();
  for (auto& t : threads) t.join();
  internal::BatchQueue& q = QueueOf(*db_);
  {
    MutexLock lock(&q.mu);
    ASSERT_EQ(q.last_writers, 7u);
  }
  const std::uint64_t before = Commits();
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(Put("alone" + std::to_string(i)).ok());
    MutexLock lock(&q.mu);
    // The leader waits only while fewer than last_writers callers are queued: with one, a lone
    // caller finds its quorum at once.
    ASSERT_EQ(q.last_writers, 1u) << "call " << i;
  }
  EXPECT_EQ(Commits() - before, 20u);
  EXPECT_EQ(Keys(), 28u);
}

}  // namespace
}  // namespace larder::bolt
