// FileSystemWrapper and FileWrapper forward every call; a derived double changes only what it
// overrides.
#include "larder/file_system_wrapper.h"

#include <gtest/gtest.h>

#include <string>

#include "base/coding.h"

namespace larder {
namespace {

// Counts Sync calls and fails WriteAt past a limit; everything else is forwarded.
class CountingFile final : public FileWrapper {
 public:
  CountingFile(std::unique_ptr<File> target, int* syncs)
      : FileWrapper(std::move(target)), syncs_(syncs) {}
  Status Sync() override {
    ++*syncs_;
    return FileWrapper::Sync();
  }
  Status WriteAt(std::uint64_t offset, std::span<const std::uint8_t> data) override {
    if (offset + data.size() > 100) return Status::NoSpace("limit");
    return FileWrapper::WriteAt(offset, data);
  }

 private:
  int* syncs_;
};

class CountingFileSystem final : public FileSystemWrapper {
 public:
  using FileSystemWrapper::FileSystemWrapper;
  Result<std::unique_ptr<File>> Open(const std::string& path, const OpenOptions& o) override {
    LARDER_ASSIGN_OR_RETURN(auto f, FileSystemWrapper::Open(path, o));
    return std::unique_ptr<File>(std::make_unique<CountingFile>(std::move(f), &syncs));
  }
  int syncs = 0;
};

TEST(FileSystemWrapperTest, ForwardsWhatItDoesNotOverride) {
  auto base = NewMemFileSystem(1 << 20);
  CountingFileSystem fs(base.get());
  EXPECT_EQ(fs.target(), base.get());
  ASSERT_TRUE(fs.CreateDirs("/d").ok());
  auto f = fs.Open("/d/a", {.create = true});
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->WriteAt(0, AsBytes("hello")).ok());
  EXPECT_EQ((*f)->WriteAt(98, AsBytes("xyz")).code(), Code::kNoSpace);
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE((*f)->Sync().ok());
  EXPECT_EQ(fs.syncs, 2);
  EXPECT_EQ(*(*f)->Size(), 5u);
  EXPECT_EQ((*f)->path(), "/d/a");
  // The base sees the write: the wrapper forwards, it does not copy.
  auto raw = base->Open("/d/a", {.read_only = true});
  ASSERT_TRUE(raw.ok());
  std::uint8_t buf[5];
  ASSERT_EQ(*(*raw)->ReadAt(0, buf), 5u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), 5), "hello");
  EXPECT_TRUE(*fs.Exists("/d/a"));
  ASSERT_TRUE(fs.Rename("/d/a", "/d/b").ok());
  EXPECT_EQ(*fs.ListDir("/d"), std::vector<std::string>{"b"});
  ASSERT_TRUE(fs.SyncDir("/d").ok());
  ASSERT_TRUE(fs.Remove("/d/b").ok());
  EXPECT_FALSE(*base->Exists("/d/b"));
}

}  // namespace
}  // namespace larder
