// Group commit and the background syncer of the write-ahead log, with syncs counted by a
// FileSystemWrapper (no wall-clock assertions).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "larder/file_system_wrapper.h"
#include "server/wal.h"
#include "testing/fault_injection_file_system.h"

namespace larder::server {
namespace {

constexpr char kDir[] = "/db";

// Counts File::Sync calls; optionally holds every sync until `release` says so.
class CountingFs : public FileSystemWrapper {
 public:
  explicit CountingFs(FileSystem* target) : FileSystemWrapper(target) {}

  std::atomic<std::uint64_t> syncs{0};
  std::function<void()> before_sync;  // run before each Sync (set before use)

  Result<std::unique_ptr<File>> Open(const std::string& path, const OpenOptions& o) override {
    LARDER_ASSIGN_OR_RETURN(std::unique_ptr<File> f, FileSystemWrapper::Open(path, o));
    return std::unique_ptr<File>(new CountingFile(std::move(f), this));
  }

 private:
  class CountingFile : public FileWrapper {
   public:
    CountingFile(std::unique_ptr<File> f, CountingFs* fs) : FileWrapper(std::move(f)), fs_(fs) {}
    Status Sync() override {
      if (fs_->before_sync) fs_->before_sync();
      ++fs_->syncs;
      return FileWrapper::Sync();
    }

   private:
    CountingFs* fs_;
  };
};

kv::WriteBatch Batch(int thread, int i) {
  kv::WriteBatch b;
  b.Put("t" + std::to_string(thread) + "-" + std::to_string(i), std::string(20, 'v'));
  return b;
}

Result<std::unique_ptr<WriteAheadLog>> OpenLog(FileSystem* fs, AppendFsync mode,
                                               std::uint64_t sync_interval_ms = 0) {
  return WriteAheadLog::Open(fs, kDir, {.mode = mode, .sync_interval_ms = sync_interval_ms}, 0,
                             [](std::uint64_t, const kv::WriteBatch&) { return Status::Ok(); });
}

// Appends with `exec` held, as the keyspace appends under the server's execution lock.
Result<std::uint64_t> LockedAppend(WriteAheadLog& wal, std::mutex& exec,
                                   const kv::WriteBatch& batch) {
  std::lock_guard<std::mutex> l(exec);
  return wal.Append(batch);
}

// Every thread appends under one lock (the server's execution lock), releases it, and waits
// for durability: one fdatasync must serve many of them.
TEST(WalGroupCommitTest, OneSyncCoversEveryAppendBeforeIt) {
  constexpr int kThreads = 8;
  auto mem = NewMemFileSystem();
  CountingFs fs(mem.get());
  std::mutex gate_mu;
  std::condition_variable gate_cv;
  int appended = 0;
  // The first sync is held until every thread has appended: the syncs that follow cannot be
  // one per append whatever the scheduling.
  fs.before_sync = [&] {
    std::unique_lock<std::mutex> l(gate_mu);
    gate_cv.wait(l, [&] { return appended == kThreads; });
  };
  auto log = OpenLog(&fs, AppendFsync::kAlways);
  ASSERT_TRUE(log.ok());
  WriteAheadLog& wal = **log;
  std::mutex exec;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto seq = LockedAppend(wal, exec, Batch(t, 0));
      if (!seq.ok()) {
        ++failures;
        return;
      }
      {
        std::lock_guard<std::mutex> l(gate_mu);
        ++appended;
      }
      gate_cv.notify_all();
      if (!wal.WaitDurable(*seq).ok() || wal.stats().durable_seq < *seq) ++failures;
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(wal.stats().appends, std::uint64_t{kThreads});
  // The first sync covered the appends made before it began (at least one); the waiters it did
  // not cover shared the next one.
  EXPECT_GE(fs.syncs.load(), 1u);
  EXPECT_LE(fs.syncs.load(), 2u);
  EXPECT_EQ(fs.syncs.load(), wal.stats().syncs);
}

// Many threads, many rounds, under always: every WaitDurable returns with its record durable,
// and a power loss afterwards loses none of them.
TEST(WalGroupCommitTest, AcknowledgedAppendsSurvivePowerLoss) {
  constexpr int kThreads = 6;
  constexpr int kRounds = 150;
  FaultInjectionFileSystem fault;
  CountingFs fs(&fault);
  std::set<std::string> acked;
  {
    auto log = OpenLog(&fs, AppendFsync::kAlways);
    ASSERT_TRUE(log.ok());
    WriteAheadLog& wal = **log;
    std::mutex exec;
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kRounds; ++i) {
          auto seq = LockedAppend(wal, exec, Batch(t, i));
          if (!seq.ok() || !wal.WaitDurable(*seq).ok() || wal.stats().durable_seq < *seq) {
            ++failures;
            return;
          }
          std::lock_guard<std::mutex> l(exec);
          acked.insert("t" + std::to_string(t) + "-" + std::to_string(i));
        }
      });
    }
    for (std::thread& th : threads) th.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(wal.stats().appends, std::uint64_t{kThreads * kRounds});
    EXPECT_LE(fs.syncs.load(), std::uint64_t{kThreads * kRounds});
    std::cerr << "group commit: " << kThreads * kRounds << " appends, " << fs.syncs.load()
              << " fdatasyncs\n";
  }
  fault.PowerLoss(3);
  std::set<std::string> recovered;
  auto log = WriteAheadLog::Open(&fault, kDir, {.sync_interval_ms = 0}, 0,
                                 [&](std::uint64_t, const kv::WriteBatch& b) {
                                   for (const auto& e : b) recovered.insert(std::string(e.key));
                                   return Status::Ok();
                                 });
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(recovered, acked);
}

// everysec: WaitDurable does not sync; the background thread does, soon.
TEST(WalBackgroundSyncTest, EverySecSyncsInTheBackground) {
  FaultInjectionFileSystem fault;
  CountingFs fs(&fault);
  {
    auto log = OpenLog(&fs, AppendFsync::kEverySec, /*sync_interval_ms=*/5);
    ASSERT_TRUE(log.ok());
    WriteAheadLog& wal = **log;
    for (int i = 0; i < 3; ++i) {
      auto seq = wal.Append(Batch(0, i));
      ASSERT_TRUE(seq.ok());
      ASSERT_TRUE(wal.WaitDurable(*seq).ok());
    }
    // Poll (bounded, generous) until the syncer has covered everything; no timing is asserted.
    for (int i = 0; i < 20000 && wal.stats().durable_seq < 3; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_EQ(wal.stats().durable_seq, 3u);
    EXPECT_GE(fs.syncs.load(), 1u);
  }
  fault.PowerLoss(11);
  int recovered = 0;
  auto log = WriteAheadLog::Open(&fault, kDir, {.sync_interval_ms = 0}, 0,
                                 [&](std::uint64_t, const kv::WriteBatch&) {
                                   ++recovered;
                                   return Status::Ok();
                                 });
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(recovered, 3);
}

}  // namespace
}  // namespace larder::server
