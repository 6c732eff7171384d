// WaitForLock (the lock wait of DB::Open, RawFile and BackupFile) and CopyRange.
#include "bolt/file_ops.h"

#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

#include "larder/bolt/db.h"
#include "larder/bolt/raw_file.h"
#include "larder/clock.h"
#include "larder/file_system_wrapper.h"

namespace larder::bolt {
namespace {

class FileOpsTest : public ::testing::Test {
 protected:
  std::unique_ptr<File> OpenFile(const std::string& path = "/f") {
    auto f = fs_->Open(path, {.create = true});
    EXPECT_TRUE(f.ok()) << f.status().ToString();
    return std::move(*f);
  }
  std::unique_ptr<FileSystem> fs_ = NewMemFileSystem(1 << 22);
};

TEST_F(FileOpsTest, WaitForLockTimesOutWhileAnotherHolderConflicts) {
  auto holder = OpenFile(), waiter = OpenFile();
  ASSERT_TRUE(holder->TryLock(LockMode::kExclusive).ok());
  Status s = WaitForLock(*waiter, LockMode::kShared, std::chrono::milliseconds(1));
  EXPECT_EQ(s.code(), Code::kBusy) << s.ToString();
  EXPECT_NE(s.message().find("/f is locked by another process"), std::string::npos) << s.message();
  ASSERT_TRUE(holder->Unlock().ok());
  EXPECT_TRUE(WaitForLock(*waiter, LockMode::kShared, std::chrono::milliseconds(1)).ok());
  // Shared holders do not conflict with each other, but do with an exclusive one.
  EXPECT_TRUE(WaitForLock(*holder, LockMode::kShared, std::chrono::milliseconds(1)).ok());
  EXPECT_EQ(WaitForLock(*OpenFile(), LockMode::kExclusive, std::chrono::milliseconds(1)).code(),
            Code::kBusy);
}

// A File that counts its TryLock calls.
class CountingFile : public FileWrapper {
 public:
  using FileWrapper::FileWrapper;
  Status TryLock(LockMode mode) override {
    ++tries;
    return FileWrapper::TryLock(mode);
  }
  int tries = 0;
};

TEST_F(FileOpsTest, WaitForLockRetriesEveryIntervalUntilTheTimeout) {
  auto holder = OpenFile();
  ASSERT_TRUE(holder->TryLock(LockMode::kShared).ok());
  CountingFile waiter(OpenFile());
  ManualClock clock;  // each sleep advances it
  Status s = WaitForLock(waiter, LockMode::kExclusive, std::chrono::seconds(10), &clock);
  EXPECT_EQ(s.code(), Code::kBusy) << s.ToString();
  EXPECT_EQ(waiter.tries, 201) << "at 0, 50 ms, ..., 10 s";
  EXPECT_EQ(clock.NowNanos(), 10'000'000'000u);
}

TEST_F(FileOpsTest, WaitForLockWithoutTimeoutWaitsForTheRelease) {
  auto holder = OpenFile(), waiter = OpenFile();
  ASSERT_TRUE(holder->TryLock(LockMode::kExclusive).ok());
  std::thread release([&] {
    std::this_thread::sleep_for(2 * kLockRetryInterval);
    ASSERT_TRUE(holder->Unlock().ok());
  });
  EXPECT_TRUE(WaitForLock(*waiter, LockMode::kExclusive, std::chrono::nanoseconds(0)).ok());
  release.join();
}

TEST_F(FileOpsTest, EveryOpenPathWaitsWithTheSameRule) {
  {
    auto db = DB::Open("/db", {.file_system = fs_.get()});
    ASSERT_TRUE(db.ok()) << db.status().ToString();
  }
  auto holder = OpenFile("/db");
  ASSERT_TRUE(holder->TryLock(LockMode::kExclusive).ok());
  auto db = DB::Open(
      "/db",
      {.read_only = true, .lock_timeout = std::chrono::milliseconds(1), .file_system = fs_.get()});
  EXPECT_EQ(db.status().code(), Code::kBusy) << db.status().ToString();
  auto raw = RawFile::Open("/db", {.lock_timeout = std::chrono::milliseconds(1), .fs = fs_.get()});
  EXPECT_EQ(raw.status().code(), Code::kBusy) << raw.status().ToString();
  EXPECT_EQ(raw.status().message(), db.status().message());
}

TEST_F(FileOpsTest, CopyRangeCopiesTheRangeAndReportsProgress) {
  auto src = OpenFile("/src"), dst = OpenFile("/dst");
  std::vector<std::uint8_t> bytes((3 << 20) + 5);
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i * 7);
  ASSERT_TRUE(src->WriteAt(0, bytes).ok());
  std::vector<std::uint64_t> seen;
  Status s = CopyRange(*src, *dst, 100, bytes.size(), [&](std::uint64_t done, std::uint64_t end) {
    EXPECT_EQ(end, bytes.size());
    seen.push_back(done);
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(*dst->Size(), bytes.size());
  std::vector<std::uint8_t> back(bytes.size() - 100);
  ASSERT_TRUE(dst->ReadAt(100, back).ok());
  EXPECT_TRUE(std::equal(back.begin(), back.end(), bytes.begin() + 100));
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), bytes.size());
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
}

TEST_F(FileOpsTest, CopyRangeOfASourceThatEndsTooSoonIsCorruption) {
  auto src = OpenFile("/src"), dst = OpenFile("/dst");
  ASSERT_TRUE(src->WriteAt(0, std::vector<std::uint8_t>(1000, 1)).ok());
  Status s = CopyRange(*src, *dst, 0, 4096, nullptr);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_TRUE(CopyRange(*src, *dst, 10, 10, nullptr).ok()) << "an empty range copies nothing";
}

}  // namespace
}  // namespace larder::bolt
