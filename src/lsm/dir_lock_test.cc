#include "lsm/dir_lock.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "lsm/filename.h"
#include "lsm/manifest_log.h"
#include "tests/util/temp_dir.h"

namespace larder::lsm {
namespace {

void ExpectExclusion(FileSystem* fs, const std::string& dir) {
  auto first = DirLock::Acquire(fs, dir, /*shared=*/false);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  std::string contents;
  ASSERT_TRUE(ReadWholeFile(fs, LockFileName(dir), &contents).ok());
  EXPECT_EQ(contents, std::to_string(::getpid()) + "\n");

  for (bool shared : {false, true}) {
    auto second = DirLock::Acquire(fs, dir, shared);
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.status().code(), Code::kBusy);
    EXPECT_EQ(second.status().message(),
              "Cannot acquire directory lock on \"" + dir + "\": held by process " +
                  std::to_string(::getpid()) +
                  ". Another process is using this directory; check for a running process or "
                  "use a different directory");
  }
  first->reset();  // released on destruction, and the pid is gone
  ASSERT_TRUE(ReadWholeFile(fs, LockFileName(dir), &contents).ok());
  EXPECT_EQ(contents, "");

  // Readers share; a writer waits for them all.
  auto r1 = DirLock::Acquire(fs, dir, true);
  auto r2 = DirLock::Acquire(fs, dir, true);
  ASSERT_TRUE(r1.ok() && r2.ok());
  auto w = DirLock::Acquire(fs, dir, false);
  ASSERT_EQ(w.status().code(), Code::kBusy);
  EXPECT_NE(w.status().ToString().find("held by process unknown"), std::string::npos)
      << w.status().ToString();
  r1->reset();
  EXPECT_EQ(DirLock::Acquire(fs, dir, false).status().code(), Code::kBusy);
  r2->reset();
  EXPECT_TRUE(DirLock::Acquire(fs, dir, false).ok());
}

TEST(LsmDirLockTest, TwoLocksConflictOnDisk) {
  test::TempDir dir;
  ExpectExclusion(DefaultFileSystem(), dir.path());
}

TEST(LsmDirLockTest, TwoLocksConflictInMemory) {
  auto fs = NewMemFileSystem(std::size_t{1} << 20);
  ASSERT_TRUE(fs->CreateDirs("/db").ok());
  ExpectExclusion(fs.get(), "/db");
}

TEST(LsmDirLockTest, MissingDirectoryIsAnError) {
  test::TempDir dir;
  auto lock = DirLock::Acquire(DefaultFileSystem(), dir.File("nowhere"), false);
  EXPECT_FALSE(lock.ok());
  EXPECT_NE(lock.status().code(), Code::kBusy);
}

}  // namespace
}  // namespace larder::lsm
