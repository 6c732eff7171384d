// The same contract tests run against the POSIX and the in-memory FileSystem.
#include "larder/file_system.h"

#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "base/coding.h"
#include "io/file_system_test_util.h"

namespace larder {
namespace {

class FileSystemTest : public ::testing::TestWithParam<bool> {
 protected:
  std::string Path(const std::string& name) { return files_.Path(name); }

  test::TestFileSystem files_{GetParam()};  // true: in memory
  FileSystem* fs_ = files_.fs();
  std::string dir_ = files_.dir();
};

TEST_P(FileSystemTest, WriteReadSizeTruncate) {
  auto f = fs_->Open(Path("a"), {.create = true});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  File& file = **f;
  ASSERT_TRUE(file.WriteAt(0, AsBytes("hello")).ok());
  ASSERT_TRUE(file.WriteAt(10, AsBytes("world")).ok());
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
  ASSERT_TRUE((*f)->WriteAt(4096, AsBytes("mapped")).ok());
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
    ASSERT_TRUE((*f)->WriteAt(0, AsBytes("1")).ok());
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

TEST_P(FileSystemTest, LinkGivesAFileASecondName) {
  {
    auto f = fs_->Open(Path("x"), {.create = true});
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->WriteAt(0, AsBytes("linked")).ok());
  }
  ASSERT_TRUE(fs_->Link(Path("x"), Path("y")).ok());
  EXPECT_EQ(fs_->Link(Path("x"), Path("y")).code(), Code::kAlreadyExists);
  EXPECT_EQ(fs_->Link(Path("missing"), Path("z")).code(), Code::kNotFound);
  ASSERT_TRUE(fs_->Remove(Path("x")).ok());  // the data lives on under the other name
  std::string content;
  ASSERT_TRUE(ReadWholeFile(fs_, Path("y"), &content).ok());
  EXPECT_EQ(content, "linked");
  EXPECT_EQ(*fs_->ListDir(dir_), std::vector<std::string>{"y"});
}

TEST_P(FileSystemTest, ReadOnlyRefusesWrites) {
  { ASSERT_TRUE(fs_->Open(Path("r"), {.create = true}).ok()); }
  auto f = fs_->Open(Path("r"), {.read_only = true});
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE((*f)->WriteAt(0, AsBytes("no")).ok());
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
  for (const std::string& p : pieces) spans.push_back(AsBytes(p));
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

TEST_P(FileSystemTest, ExclusiveCreateFailsWhenTheFileExists) {
  {
    auto f = fs_->Open(Path("e"), {.create = true, .exclusive = true});
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    ASSERT_TRUE((*f)->WriteAt(0, AsBytes("first")).ok());
  }
  auto again = fs_->Open(Path("e"), {.create = true, .exclusive = true});
  EXPECT_EQ(again.status().code(), Code::kAlreadyExists) << again.status().ToString();
  // Without `create`, `exclusive` is ignored; a plain create opens the existing file.
  EXPECT_TRUE(fs_->Open(Path("e"), {.exclusive = true}).ok());
  auto plain = fs_->Open(Path("e"), {.create = true});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*(*plain)->Size(), 5u) << "the failed exclusive create must not truncate";
}

TEST_P(FileSystemTest, FileSize) {
  {
    auto f = fs_->Open(Path("s"), {.create = true});
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->WriteAt(0, AsBytes("12345")).ok());
  }
  auto size = fs_->FileSize(Path("s"));
  ASSERT_TRUE(size.ok()) << size.status().ToString();
  EXPECT_EQ(*size, 5u);
  EXPECT_TRUE(fs_->FileSize(Path("none")).status().IsNotFound());
  ASSERT_TRUE(fs_->CreateDirs(Path("d")).ok());
  EXPECT_EQ(fs_->FileSize(Path("d")).status().code(), Code::kInvalidArgument);
}

TEST_P(FileSystemTest, RemoveDirOnlyWhenEmpty) {
  ASSERT_TRUE(fs_->CreateDirs(Path("sub/inner")).ok());
  EXPECT_TRUE(*fs_->Exists(Path("sub/inner")));
  EXPECT_EQ(*fs_->ListDir(Path("sub")), std::vector<std::string>{"inner"});
  EXPECT_EQ(fs_->RemoveDir(Path("sub")).code(), Code::kInvalidArgument) << "not empty";
  ASSERT_TRUE(fs_->RemoveDir(Path("sub/inner")).ok());
  EXPECT_FALSE(*fs_->Exists(Path("sub/inner")));
  EXPECT_TRUE(fs_->RemoveDir(Path("sub/inner")).IsNotFound());
  EXPECT_TRUE(fs_->ListDir(Path("sub"))->empty());
  { ASSERT_TRUE(fs_->Open(Path("sub/f"), {.create = true}).ok()); }
  EXPECT_EQ(fs_->RemoveDir(Path("sub")).code(), Code::kInvalidArgument) << "holds a file";
  EXPECT_EQ(fs_->RemoveDir(Path("sub/f")).code(), Code::kInvalidArgument) << "not a directory";
  ASSERT_TRUE(fs_->Remove(Path("sub/f")).ok());
  ASSERT_TRUE(fs_->RemoveDir(Path("sub")).ok());
  EXPECT_FALSE(*fs_->Exists(Path("sub")));
}

TEST_P(FileSystemTest, PreallocateKeepsTheSize) {
  auto f = fs_->Open(Path("p"), {.create = true});
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->WriteAt(0, AsBytes("0123456789")).ok());
  ASSERT_TRUE((*f)->Preallocate(0, 1 << 20).ok());
  ASSERT_TRUE((*f)->Preallocate(1 << 20, 0).ok());
  EXPECT_EQ(*(*f)->Size(), 10u);
  std::uint8_t buf[32];
  EXPECT_EQ(*(*f)->ReadAt(0, buf), 10u) << "reads stop at the size, not the reservation";
  ASSERT_TRUE((*f)->WriteAt(4096, AsBytes("x")).ok());
  EXPECT_EQ(*(*f)->Size(), 4097u);
  auto ro = fs_->Open(Path("p"), {.read_only = true});
  ASSERT_TRUE(ro.ok());
  EXPECT_FALSE((*ro)->Preallocate(0, 4096).ok());
}

TEST_P(FileSystemTest, AccessHintsChangeNoBytes) {
  {
    auto f = fs_->Open(Path("h"), {.create = true});
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->WriteAt(0, AsBytes(std::string(10000, 'h'))).ok());
  }
  for (AccessPattern p :
       {AccessPattern::kNormal, AccessPattern::kSequential, AccessPattern::kRandom}) {
    auto f = fs_->Open(Path("h"), {.access = p});
    ASSERT_TRUE(f.ok());
    std::uint8_t buf[100];
    ASSERT_EQ(*(*f)->ReadAt(9950, buf), 50u);
    EXPECT_EQ(buf[49], 'h');
    auto region = (*f)->Map(16384);
    ASSERT_TRUE(region.ok());
    EXPECT_EQ((*region)->data()[9999], 'h');
    for (AccessPattern q :
         {AccessPattern::kNormal, AccessPattern::kSequential, AccessPattern::kRandom}) {
      ASSERT_TRUE((*f)->Advise(q).ok());
      auto again = (*f)->Map(16384);
      ASSERT_TRUE(again.ok());
      EXPECT_EQ((*again)->data()[5000], 'h');
    }
  }
}

TEST_P(FileSystemTest, DirectIoNeedsAlignment) {
  auto f = fs_->Open(Path("direct"), {.create = true, .direct_io = true});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  File& file = **f;
  // The in-memory file system always honours direct I/O; /tmp here is ext4, which does too.
  ASSERT_TRUE(file.direct_io()) << "direct I/O expected on " << dir_;
  const std::size_t a = file.alignment();
  EXPECT_GE(a, 512u);
  EXPECT_EQ(a & (a - 1), 0u) << "a power of two";
  AlignedBuffer buf(a, 2 * a);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(buf.data()) % a, 0u);
  EXPECT_EQ(buf.capacity(), 2 * a);
  for (std::size_t i = 0; i < buf.capacity(); ++i) buf.data()[i] = static_cast<std::uint8_t>(i);
  ASSERT_TRUE(file.WriteAt(a, buf.span()).ok());
  EXPECT_EQ(*file.Size(), 3 * a);
  AlignedBuffer back(a, a);
  ASSERT_EQ(*file.ReadAt(2 * a, back.span()), a);
  EXPECT_EQ(std::memcmp(back.data(), buf.data() + a, a), 0);
  // Unaligned offset, length or address: refused.
  EXPECT_FALSE(file.WriteAt(1, buf.span().first(a)).ok());
  EXPECT_FALSE(file.WriteAt(0, buf.span().first(a - 1)).ok());
  EXPECT_FALSE(file.ReadAt(0, back.span().first(100)).ok());
  // An unaligned buffer address: refused by the in-memory file system; the kernel's rule
  // (STATX_DIOALIGN's memory alignment) varies with the device, so not checked on disk.
  if (GetParam()) {
    EXPECT_EQ(file.WriteAt(0, buf.span().subspan(1, a)).code(), Code::kInvalidArgument);
  }
  // Truncate and Size are unrestricted.
  ASSERT_TRUE(file.Truncate(a + 3).ok());
  EXPECT_EQ(*file.Size(), a + 3);
  auto plain = fs_->Open(Path("direct"), {});
  EXPECT_FALSE((*plain)->direct_io());
  EXPECT_EQ((*plain)->alignment(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Posix, FileSystemTest, ::testing::Values(false));
INSTANTIATE_TEST_SUITE_P(Mem, FileSystemTest, ::testing::Values(true));

TEST(MemFileSystemTest, LimitIsNoSpace) {
  auto fs = NewMemFileSystem(1 << 16);
  auto f = fs->Open("/big", {.create = true});
  ASSERT_TRUE(f.ok());
  std::string chunk(1 << 16, 'x');
  EXPECT_TRUE((*f)->WriteAt(0, AsBytes(chunk)).ok());
  EXPECT_EQ((*f)->WriteAt(1, AsBytes(chunk)).code(), Code::kNoSpace);
}

TEST(MemFileSystemTest, PreallocatePastTheLimitIsNoSpace) {
  auto fs = NewMemFileSystem(1 << 16);
  auto f = fs->Open("/p", {.create = true});
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE((*f)->Preallocate(0, 1 << 16).ok());
  EXPECT_EQ((*f)->Preallocate(1, 1 << 16).code(), Code::kNoSpace);
}

// Where the file system refuses O_DIRECT (EINVAL: tmpfs before Linux 6.6, some FUSE and
// network file systems) the file opens buffered, with alignment 1. Where it accepts it (tmpfs
// since 6.6, without a STATX_DIOALIGN answer) the conservative 4096 is reported. Either way
// aligned direct I/O through an AlignedBuffer works.
TEST(PosixFileSystemTest, DirectIoOnTmpfs) {
  struct statfs st;
  if (::statfs("/dev/shm", &st) != 0 || st.f_type != TMPFS_MAGIC) {
    GTEST_SKIP() << "no tmpfs at /dev/shm";
  }
  char tmpl[] = "/dev/shm/larder-direct-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string path = std::string(tmpl) + "/f";
  FileSystem* fs = DefaultFileSystem();
  {
    auto f = fs->Open(path, {.create = true, .exclusive = true, .direct_io = true});
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    const std::size_t a = (*f)->alignment();
    EXPECT_EQ(a, (*f)->direct_io() ? 4096u : 1u);
    AlignedBuffer buf(a, 8192);
    std::memset(buf.data(), 'z', buf.capacity());
    ASSERT_TRUE((*f)->WriteAt(8192, buf.span()).ok());
    EXPECT_EQ(*fs->FileSize(path), 16384u);
    auto again = fs->Open(path, {.create = true, .exclusive = true, .direct_io = true});
    EXPECT_EQ(again.status().code(), Code::kAlreadyExists);
  }
  EXPECT_TRUE(fs->Remove(path).ok());
  EXPECT_TRUE(fs->RemoveDir(tmpl).ok());
}

// The kB of a mapping's pages present in this process's page tables (/proc/self/smaps "Rss").
std::size_t MappedKb(const void* addr) {
  std::FILE* f = std::fopen("/proc/self/smaps", "r");
  if (f == nullptr) return 0;
  char line[512];
  bool in_region = false;
  std::size_t kb = 0;
  const auto want = reinterpret_cast<std::uintptr_t>(addr);
  while (std::fgets(line, sizeof line, f) != nullptr) {
    unsigned long start = 0, end = 0;
    if (std::sscanf(line, "%lx-%lx ", &start, &end) == 2 && std::strchr(line, ':') != nullptr &&
        std::strchr(line, '-') < std::strchr(line, ' ')) {
      in_region = start == want;
    } else if (in_region && std::sscanf(line, "Rss: %zu kB", &kb) == 1) {
      break;
    }
  }
  std::fclose(f);
  return kb;
}

// Populate puts a mapping's pages in the page tables without reading them (so the first reads
// take no page fault); a range outside the view is refused; the in-memory file system has
// nothing to populate.
TEST(PosixFileSystemTest, PopulateMapsPagesAheadOfReads) {
  for (const bool in_memory : {false, true}) {
    test::TestFileSystem files(in_memory);
    auto f = files.fs()->Open(files.Path("f"), {.create = true});
    ASSERT_TRUE(f.ok());
    const std::string data(std::size_t{1} << 20, 'p');
    ASSERT_TRUE((*f)->WriteAt(0, AsBytes(data)).ok());
    auto region = (*f)->Map(data.size());
    ASSERT_TRUE(region.ok());
    EXPECT_FALSE((*region)->Populate(data.size() - 10, 20)) << "past the view";
    if (in_memory) {
      EXPECT_FALSE((*region)->Populate(0, data.size()));
      continue;
    }
    EXPECT_EQ(MappedKb((*region)->data()), 0u) << "nothing touched yet";
    if (!(*region)->Populate(4096 + 100, data.size() - 8192)) {
      GTEST_SKIP() << "MADV_POPULATE_READ unsupported (Linux before 5.14)";
    }
    EXPECT_GE(MappedKb((*region)->data()), 1024u - 8u);
    EXPECT_EQ((*region)->data()[5000], 'p');
  }
}

TEST(AlignedBufferTest, RoundsAndAligns) {
  AlignedBuffer empty;
  EXPECT_EQ(empty.data(), nullptr);
  EXPECT_EQ(empty.capacity(), 0u);
  AlignedBuffer b(4096, 5000);
  EXPECT_EQ(b.capacity(), 8192u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b.data()) % 4096, 0u);
  AlignedBuffer moved = std::move(b);
  EXPECT_EQ(moved.capacity(), 8192u);
  EXPECT_EQ(AlignedBuffer::RoundUp(0, 512), 0u);
  EXPECT_EQ(AlignedBuffer::RoundUp(1, 512), 512u);
  EXPECT_EQ(AlignedBuffer::RoundUp(512, 512), 512u);
  EXPECT_EQ(AlignedBuffer::RoundDown(1023, 512), 512u);
}

TEST(DirNameTest, Cases) {
  EXPECT_EQ(DirName("a/b/c.db"), "a/b");
  EXPECT_EQ(DirName("c.db"), ".");
  EXPECT_EQ(DirName("/c.db"), "/");
}

}  // namespace
}  // namespace larder
