// BackupFile's decisions, made deterministic: the source lives on an in-memory file system and
// a writer (the engine, holding the exclusive lock) commits from inside the backup's own reads
// of data pages, i.e. exactly between its two reads of the meta pages.
#include "larder/bolt/backup.h"

#include <functional>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "larder/bolt/db.h"
#include "larder/file_system.h"
#include "larder/file_system_wrapper.h"

namespace larder::bolt {
namespace {

// A File that calls `*hook` before each read of a data page (offset >= `data_offset`).
class HookedFile : public FileWrapper {
 public:
  HookedFile(std::unique_ptr<File> base, std::uint64_t data_offset, std::function<void()>* hook)
      : FileWrapper(std::move(base)), data_offset_(data_offset), hook_(hook) {}
  Result<std::size_t> ReadAt(std::uint64_t offset, std::span<std::uint8_t> buf) override {
    if (offset >= data_offset_ && *hook_) (*hook_)();
    return FileWrapper::ReadAt(offset, buf);
  }

 private:
  std::uint64_t data_offset_;
  std::function<void()>* hook_;
};

// Hooks the reads of `source`; everything else goes to `base` as it is.
class HookedFileSystem : public FileSystemWrapper {
 public:
  HookedFileSystem(FileSystem* base, std::string source, std::uint64_t data_offset)
      : FileSystemWrapper(base), source_(std::move(source)), data_offset_(data_offset) {}
  std::function<void()> hook;

  Result<std::unique_ptr<File>> Open(const std::string& path, const OpenOptions& options) override {
    LARDER_ASSIGN_OR_RETURN(auto f, FileSystemWrapper::Open(path, options));
    if (path != source_) return f;
    return std::unique_ptr<File>(new HookedFile(std::move(f), data_offset_, &hook));
  }

 private:
  std::string source_;
  std::uint64_t data_offset_;
};

class HotBackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options o;
    o.file_system = mem_.get();
    o.page_size = 4096;
    o.no_sync = true;
    auto db = DB::Open("/src.db", o);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    writer_ = std::move(*db);
    for (int i = 0; i < 3; ++i) ASSERT_NO_FATAL_FAILURE(Commit());
  }

  // One writer commit: key n, and "last" = n.
  void Commit() {
    ++commits_;
    Status s = writer_->Update([&](Tx& tx) -> Status {
      LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucketIfNotExists("b"));
      LARDER_RETURN_IF_ERROR(b.Put("k" + std::to_string(commits_), std::string(500, 'x')));
      return b.Put("last", std::to_string(commits_));
    });
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // The copy's "last" key (-1 when unreadable); BackupFile has already checked it.
  int LastInCopy(const std::string& path) {
    auto db = DB::Open(path, {.read_only = true, .file_system = mem_.get()});
    if (!db.ok()) return -1;
    int last = -1;
    (void)(*db)->View([&](Tx& tx) -> Status {
      LARDER_ASSIGN_OR_RETURN(Bucket b, tx.GetBucket("b"));
      LARDER_ASSIGN_OR_RETURN(std::string_view v, b.Get("last"));
      last = std::stoi(std::string(v));
      return Status::Ok();
    });
    return last;
  }

  std::unique_ptr<FileSystem> mem_ = NewMemFileSystem(64 << 20);
  HookedFileSystem hooked_{mem_.get(), "/src.db", 2 * 4096};
  std::unique_ptr<DB> writer_;
  int commits_ = 0;
};

TEST_F(HotBackupTest, RetriesWhenACommitLandsDuringTheCopy) {
  // Both ways of copying: staged in memory (small files) and chunk by chunk (limit 0).
  for (std::uint64_t limit : {std::uint64_t{64} << 20, std::uint64_t{0}}) {
    SCOPED_TRACE(limit);
    int copies = 0;
    hooked_.hook = [&] {
      if (++copies == 1) Commit();  // only during the first attempt's copy
    };
    BackupOptions options;
    options.fs = &hooked_;
    options.attempts = 5;
    options.staged_copy_limit = limit;
    const std::string dst = "/copy-" + std::to_string(limit) + ".db";
    const int want = commits_ + 1;  // the state after the commit made during attempt 1
    Result<BackupInfo> info = BackupFile("/src.db", dst, options);
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_TRUE(info->lock_free);
    EXPECT_EQ(info->attempts, 2);
    EXPECT_EQ(LastInCopy(dst), want);
    EXPECT_FALSE(*mem_->Exists(dst + ".larder-backup"));
  }
}

TEST_F(HotBackupTest, GivesUpAfterTheAttemptsWhileTheWriterHoldsTheLock) {
  hooked_.hook = [&] { Commit(); };  // a commit during every copy
  BackupOptions options;
  options.fs = &hooked_;
  options.attempts = 3;
  options.lock_timeout = std::chrono::milliseconds(100);
  Result<BackupInfo> info = BackupFile("/src.db", "/copy.db", options);
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), Code::kBusy);
  EXPECT_NE(info.status().message().find("each of 3 lock-free copy attempts"), std::string::npos)
      << info.status().ToString();
  EXPECT_FALSE(*mem_->Exists("/copy.db"));
  EXPECT_FALSE(*mem_->Exists("/copy.db.larder-backup"));
}

TEST_F(HotBackupTest, TakesTheSharedLockWhenNoWriterHoldsTheFile) {
  ASSERT_TRUE(writer_->Close().ok());
  BackupOptions options;
  options.fs = &hooked_;
  Result<BackupInfo> info = BackupFile("/src.db", "/copy.db", options);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_FALSE(info->lock_free);
  EXPECT_EQ(info->attempts, 0);
  EXPECT_EQ(LastInCopy("/copy.db"), 3);
  // Never overwrites.
  info = BackupFile("/src.db", "/copy.db", options);
  EXPECT_EQ(info.status().code(), Code::kAlreadyExists);
}

}  // namespace
}  // namespace larder::bolt
