// The same contract tests run against the POSIX and the in-memory FileSystem.
#include "larder/file_system.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/util/temp_dir.h"

namespace larder {
namespace {

std::span<const std::uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

class FileSystemTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) {
      mem_ = NewMemFileSystem(1 << 24);
      fs_ = mem_.get();
      dir_ = "/mem";
    } else {
      fs_ = DefaultFileSystem();
      dir_ = tmp_.path();
    }
  }
  std::string Path(const std::string& name) { return dir_ + "/" + name; }

  test::TempDir tmp_;
  std::unique_ptr<FileSystem> mem_;
  FileSystem* fs_ = nullptr;
  std::string dir_;
};

TEST_P(FileSystemTest, WriteReadSizeTruncate) {
  auto f = fs_->Open(Path("a"), {.create = true});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  File& file = **f;
  ASSERT_TRUE(file.WriteAt(0, Bytes("hello")).ok());
  ASSERT_TRUE(file.WriteAt(10, Bytes("world")).ok());
  EXPECT_EQ(*file.Size(), 15u);
  std::uint8_t buf[32] = {};
  auto n = file.ReadAt(0, buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 15u);
  EXPECT_EQ(std::memcmp(buf, "hello\0\0\0\0\0world", 15), 0);
  ASSERT_TRUE(file.Truncate(3).ok());
  EXPECT_EQ(*file.Size(), 3u);
  ASSERT_TRUE(file.Truncate(8).ok());
  n = file.ReadAt(0, buf);
  EXPECT_EQ(*n, 8u);
  EXPECT_EQ(std::memcmp(buf, "hel\0\0\0\0\0", 8), 0) << "growing must zero-fill";
  EXPECT_TRUE(file.Sync().ok());
  EXPECT_TRUE(file.SyncAll().ok());
}

TEST_P(FileSystemTest, MapSeesLaterWrites) {
  auto f = fs_->Open(Path("m"), {.create = true});
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Truncate(8192).ok());
  auto region = (*f)->Map(1 << 16);
  ASSERT_TRUE(region.ok()) << region.status().ToString();
  ASSERT_TRUE((*f)->WriteAt(4096, Bytes("mapped")).ok());
  EXPECT_EQ(std::memcmp((*region)->data() + 4096, "mapped", 6), 0);
  f->reset();  // the mapping outlives the handle
  EXPECT_EQ(std::memcmp((*region)->data() + 4096, "mapped", 6), 0);
}

TEST_P(FileSystemTest, MissingFileIsNotFound) {
  auto f = fs_->Open(Path("missing"), {});
  EXPECT_TRUE(f.status().IsNotFound()) << f.status().ToString();
  EXPECT_FALSE(*fs_->Exists(Path("missing")));
  EXPECT_TRUE(fs_->Remove(Path("missing")).IsNotFound());
}

TEST_P(FileSystemTest, ExclusiveLockConflicts) {
  auto a = fs_->Open(Path("l"), {.create = true});
  auto b = fs_->Open(Path("l"), {});
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->TryLock(LockMode::kExclusive).ok());
  EXPECT_EQ((*b)->TryLock(LockMode::kShared).code(), Code::kBusy);
  ASSERT_TRUE((*a)->Unlock().ok());
  EXPECT_TRUE((*b)->TryLock(LockMode::kShared).ok());
  EXPECT_TRUE((*a)->TryLock(LockMode::kShared).ok());
  auto c = fs_->Open(Path("l"), {});
  EXPECT_EQ((*c)->TryLock(LockMode::kExclusive).code(), Code::kBusy);
}

TEST_P(FileSystemTest, RenameRemoveList) {
  {
    auto f = fs_->Open(Path("x"), {.create = true});
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->WriteAt(0, Bytes("1")).ok());
  }
  ASSERT_TRUE(fs_->Rename(Path("x"), Path("y")).ok());
  EXPECT_FALSE(*fs_->Exists(Path("x")));
  EXPECT_TRUE(*fs_->Exists(Path("y")));
  auto names = fs_->ListDir(dir_);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, std::vector<std::string>{"y"});
  EXPECT_TRUE(fs_->SyncDir(dir_).ok());
  EXPECT_TRUE(fs_->Remove(Path("y")).ok());
}

TEST_P(FileSystemTest, ReadOnlyRefusesWrites) {
  { ASSERT_TRUE(fs_->Open(Path("r"), {.create = true}).ok()); }
  auto f = fs_->Open(Path("r"), {.read_only = true});
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE((*f)->WriteAt(0, Bytes("no")).ok());
}

TEST_P(FileSystemTest, WriteAtVEqualsOneWriteOfTheConcatenation) {
  auto f = fs_->Open(Path("v"), {.create = true});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  // More pieces than one pwritev takes (IOV_MAX 1024), of varied sizes, some empty.
  std::vector<std::string> pieces;
  std::string want;
  for (int i = 0; i < 2500; ++i) {
    std::string p(static_cast<std::size_t>(i % 7 == 0 ? 0 : 1 + (i * 37) % 300), '\0');
    for (std::size_t j = 0; j < p.size(); ++j) p[j] = static_cast<char>('a' + (i + j) % 26);
    want += p;
    pieces.push_back(std::move(p));
  }
  std::vector<std::span<const std::uint8_t>> spans;
  for (const std::string& p : pieces) spans.push_back(Bytes(p));
  ASSERT_TRUE((*f)->WriteAtV(100, spans).ok());
  EXPECT_EQ(*(*f)->Size(), 100 + want.size());
  std::string got(want.size(), '\0');
  auto n = (*f)->ReadAt(100, {reinterpret_cast<std::uint8_t*>(got.data()), got.size()});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, want.size());
  EXPECT_TRUE(got == want) << "vectored write differs from the concatenation";
  // No pieces, or only empty ones: nothing happens.
  ASSERT_TRUE((*f)->WriteAtV(0, {}).ok());
  std::vector<std::span<const std::uint8_t>> empty(3);
  ASSERT_TRUE((*f)->WriteAtV(1 << 20, empty).ok());
  EXPECT_EQ(*(*f)->Size(), 100 + want.size());
}

INSTANTIATE_TEST_SUITE_P(Posix, FileSystemTest, ::testing::Values(false));
INSTANTIATE_TEST_SUITE_P(Mem, FileSystemTest, ::testing::Values(true));

TEST(MemFileSystemTest, LimitIsNoSpace) {
  auto fs = NewMemFileSystem(1 << 16);
  auto f = fs->Open("/big", {.create = true});
  ASSERT_TRUE(f.ok());
  std::string chunk(1 << 16, 'x');
  EXPECT_TRUE((*f)->WriteAt(0, Bytes(chunk)).ok());
  EXPECT_EQ((*f)->WriteAt(1, Bytes(chunk)).code(), Code::kNoSpace);
}

TEST(DirNameTest, Cases) {
  EXPECT_EQ(DirName("a/b/c.db"), "a/b");
  EXPECT_EQ(DirName("c.db"), ".");
  EXPECT_EQ(DirName("/c.db"), "/");
}

}  // namespace
}  // namespace larder
