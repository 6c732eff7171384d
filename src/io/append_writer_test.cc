// AppendWriter over the POSIX and in-memory file systems, buffered and direct.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "io/file_system_test_util.h"
#include "larder/file_system.h"
#include "larder/file_system_wrapper.h"
#include "testing/fault_injection_file_system.h"

namespace larder {
namespace {

std::string ReadAll(FileSystem* fs, const std::string& path) {
  auto f = fs->Open(path, {.read_only = true});
  if (!f.ok()) return "<" + f.status().ToString() + ">";
  std::string out(static_cast<std::size_t>((*f)->Size().value_or(0)), '\0');
  auto n = (*f)->ReadAt(0, {reinterpret_cast<std::uint8_t*>(out.data()), out.size()});
  out.resize(n.value_or(0));
  return out;
}

std::string RandomString(std::mt19937& rng, std::size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>('a' + rng() % 26);
  return s;
}

// (in-memory?, direct I/O?)
class AppendWriterTest : public ::testing::TestWithParam<std::tuple<bool, bool>> {
 protected:
  bool direct() const { return std::get<1>(GetParam()); }
  std::string Path(const std::string& name) { return files_.Path(name); }
  AppendWriterOptions Options(std::size_t buffer) {
    return {.buffer_size = buffer, .direct_io = direct()};
  }

  test::TestFileSystem files_{std::get<0>(GetParam())};
  FileSystem* fs_ = files_.fs();
};

TEST_P(AppendWriterTest, AppendsInOrderThroughASmallBuffer) {
  auto w = fs_->NewAppendWriter(Path("log"), Options(5000));
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  AppendWriter& writer = **w;
  std::mt19937 rng(5);
  std::string want;
  for (int i = 0; i < 200; ++i) {
    // Pieces from 0 bytes to several buffers' worth.
    const std::string piece = RandomString(rng, i % 50 == 0 ? 12000 : rng() % 300);
    ASSERT_TRUE(writer.Append(piece).ok());
    want += piece;
    ASSERT_EQ(writer.size(), want.size());
    if (i % 37 == 0) {
      ASSERT_TRUE(writer.Flush().ok());
      EXPECT_LT(writer.buffered(), direct() ? 4096u * 2 : 1u);
      EXPECT_EQ(ReadAll(fs_, Path("log")).substr(0, want.size()), want) << "after flush " << i;
    }
    if (i % 91 == 0) {
      ASSERT_TRUE(writer.Sync().ok());
    }
  }
  if (direct()) {
    ASSERT_TRUE(writer.Flush().ok());
    auto size = fs_->FileSize(Path("log"));
    EXPECT_EQ(*size % 512, 0u) << "padded to whole blocks until Close";
    EXPECT_GE(*size, want.size());
  }
  ASSERT_TRUE(writer.Close().ok());
  EXPECT_EQ(*fs_->FileSize(Path("log")), want.size());
  EXPECT_TRUE(ReadAll(fs_, Path("log")) == want);
  EXPECT_EQ(writer.Append("late").code(), Code::kInvalidArgument);
  EXPECT_EQ(writer.Close().code(), Code::kInvalidArgument);
}

TEST_P(AppendWriterTest, ReopenAppendsAfterTheExistingContent) {
  std::string want;
  for (int round = 0; round < 4; ++round) {
    auto w = fs_->NewAppendWriter(Path("log"), Options(4096));
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    EXPECT_EQ((*w)->size(), want.size());
    // Odd sizes, so that under direct I/O each reopen starts inside a block.
    const std::string piece(1000 + 333 * round, static_cast<char>('a' + round));
    ASSERT_TRUE((*w)->Append(piece).ok());
    want += piece;
    ASSERT_TRUE((*w)->Close().ok());
  }
  EXPECT_TRUE(ReadAll(fs_, Path("log")) == want);
  // The destructor flushes too.
  {
    auto w = fs_->NewAppendWriter(Path("log"), Options(4096));
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Append("tail").ok());
  }
  EXPECT_TRUE(ReadAll(fs_, Path("log")) == want + "tail");
}

TEST_P(AppendWriterTest, ExclusiveAndTruncate) {
  {
    auto w = fs_->NewAppendWriter(Path("x"), {.exclusive = true, .direct_io = direct()});
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    ASSERT_TRUE((*w)->Append("old content").ok());
    ASSERT_TRUE((*w)->Close().ok());
  }
  auto again = fs_->NewAppendWriter(Path("x"), {.exclusive = true});
  EXPECT_EQ(again.status().code(), Code::kAlreadyExists);
  auto w = fs_->NewAppendWriter(Path("x"), {.truncate = true, .direct_io = direct()});
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->size(), 0u);
  ASSERT_TRUE((*w)->Append("new").ok());
  ASSERT_TRUE((*w)->Close().ok());
  EXPECT_EQ(ReadAll(fs_, Path("x")), "new");
}

// With preallocate_bytes the file stays ahead of the appends (zeros past them), by steps that
// follow the bytes appended within [64 KiB, preallocate_bytes]; Close cuts it back to the
// appended bytes exactly.
TEST_P(AppendWriterTest, PreallocatesAheadAndCutsBackAtClose) {
  constexpr std::uint64_t kMax = 256 << 10;
  AppendWriterOptions options = Options(4096);
  options.preallocate_bytes = kMax;
  auto w = fs_->NewAppendWriter(Path("log"), options);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  std::mt19937 rng(11);
  std::string want;
  std::uint64_t extended = 0;  // appends that found the file already longer than them
  for (int i = 0; i < 400; ++i) {
    const std::string piece = RandomString(rng, rng() % 3000);
    ASSERT_TRUE((*w)->Append(piece).ok());
    want += piece;
    ASSERT_TRUE((*w)->Flush().ok());
    const std::uint64_t size = *fs_->FileSize(Path("log"));
    ASSERT_GE(size, want.size());
    // The step is the bytes appended so far, at least 64 KiB, at most kMax; rounded to a page,
    // plus a direct-I/O block of padding.
    EXPECT_LE(size, want.size() + std::max<std::uint64_t>(want.size(), 64 << 10) + 2 * 4096);
    EXPECT_LE(size, want.size() + kMax + 2 * 4096);
    if (size > want.size() + 4096) ++extended;
    if (i % 50 == 0) {
      const std::string all = ReadAll(fs_, Path("log"));
      ASSERT_EQ(all.substr(0, want.size()), want);
      EXPECT_EQ(all.find_first_not_of('\0', want.size()), std::string::npos) << "zeros after";
      ASSERT_TRUE((*w)->Sync().ok());
    }
  }
  EXPECT_GT(extended, 350u) << "the file was not kept ahead of the appends";
  ASSERT_TRUE((*w)->Close().ok());
  EXPECT_EQ(*fs_->FileSize(Path("log")), want.size());
  EXPECT_TRUE(ReadAll(fs_, Path("log")) == want);
}

INSTANTIATE_TEST_SUITE_P(Files, AppendWriterTest,
                         ::testing::Combine(::testing::Bool(), ::testing::Bool()));

// A file whose writes fail after the first `ok_writes`.
class FailingFile final : public FileWrapper {
 public:
  FailingFile(std::unique_ptr<File> f, int ok_writes)
      : FileWrapper(std::move(f)), ok_writes_(ok_writes) {}
  Status WriteAt(std::uint64_t offset, std::span<const std::uint8_t> data) override {
    ++writes;
    if (ok_writes_-- <= 0) return Status::IOError("injected");
    return FileWrapper::WriteAt(offset, data);
  }
  int writes = 0;

 private:
  int ok_writes_;
};

TEST(AppendWriterErrorTest, AWriteErrorIsSticky) {
  auto fs = NewMemFileSystem(1 << 20);
  auto f = fs->Open("/log", {.create = true});
  ASSERT_TRUE(f.ok());
  auto failing = std::make_unique<FailingFile>(std::move(*f), 1);
  FailingFile* file = failing.get();
  auto w = AppendWriter::Create(std::move(failing), 0, {.buffer_size = 100});
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Append(std::string(150, 'a')).ok());  // one buffer written
  EXPECT_EQ(file->writes, 1);
  EXPECT_TRUE((*w)->Append(std::string(200, 'b')).IsIOError());  // the second buffer fails
  const int writes = file->writes;
  EXPECT_TRUE((*w)->Append("c").IsIOError());
  EXPECT_TRUE((*w)->Flush().IsIOError());
  EXPECT_TRUE((*w)->Sync().IsIOError());
  EXPECT_EQ(file->writes, writes) << "no write after the first failure";
  EXPECT_TRUE((*w)->Close().IsIOError());
}

// The buffer grows as appends fill it, but the file is written only when buffer_size bytes are
// gathered (or on Flush): as many writes as with the whole buffer allocated up front.
TEST(AppendWriterGrowthTest, WritesOnlyWholeBuffers) {
  constexpr std::size_t kBuffer = std::size_t{256} << 10;
  auto fs = NewMemFileSystem(1 << 24);
  std::mt19937 rng(11);
  for (const std::size_t piece : {100, 4096, 5000, 700000}) {
    SCOPED_TRACE(piece);
    auto f = fs->Open("/log" + std::to_string(piece), {.create = true});
    ASSERT_TRUE(f.ok());
    auto counting = std::make_unique<FailingFile>(std::move(*f), 1 << 30);
    FailingFile* file = counting.get();
    auto w = AppendWriter::Create(std::move(counting), 0, {.buffer_size = kBuffer});
    ASSERT_TRUE(w.ok());
    std::string want;
    while (want.size() < 1400000) {
      const std::string s = RandomString(rng, piece);
      ASSERT_TRUE((*w)->Append(s).ok());
      want += s;
      ASSERT_EQ(file->writes, static_cast<int>(want.size() / kBuffer)) << want.size();
      ASSERT_EQ((*w)->buffered(), want.size() % kBuffer);
    }
    ASSERT_TRUE((*w)->Flush().ok());
    EXPECT_EQ(file->writes, static_cast<int>(want.size() / kBuffer) + 1);
    ASSERT_TRUE((*w)->Close().ok());  // releases `file`
    EXPECT_TRUE(ReadAll(fs.get(), "/log" + std::to_string(piece)) == want);
  }
}

// Records the WriteBack hints it is given.
class WriteBackRecordingFile final : public FileWrapper {
 public:
  using FileWrapper::FileWrapper;
  Status WriteBack(std::uint64_t offset, std::uint64_t length) override {
    ranges.emplace_back(offset, length);
    return FileWrapper::WriteBack(offset, length);
  }
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
};

// With writeback_bytes, the written bytes get their writeback started in contiguous ranges of
// at least that size, from the append offset on, and only bytes already written; without it,
// never.
TEST(AppendWriterWriteBackTest, StartsWritebackOfEveryWrittenStretch) {
  auto fs = NewMemFileSystem(1 << 24);
  for (const std::uint64_t every : {0u, 10000u}) {
    auto f = fs->Open("/log", {.create = true});
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->WriteAt(0, {reinterpret_cast<const std::uint8_t*>("head"), 4}).ok());
    auto recording = std::make_unique<WriteBackRecordingFile>(std::move(*f));
    WriteBackRecordingFile* file = recording.get();
    auto w = AppendWriter::Create(std::move(recording), 4,
                                  {.buffer_size = 3000, .writeback_bytes = every});
    ASSERT_TRUE(w.ok());
    std::mt19937 rng(3);
    for (int i = 0; i < 300; ++i) {
      ASSERT_TRUE((*w)->Append(RandomString(rng, rng() % 700)).ok());
      if (i % 50 == 0) {
        ASSERT_TRUE((*w)->Flush().ok());
      }
    }
    ASSERT_TRUE((*w)->Flush().ok());
    if (every == 0) {
      EXPECT_TRUE(file->ranges.empty());
      continue;
    }
    ASSERT_GT(file->ranges.size(), 5u);
    std::uint64_t next = 4;
    for (const auto& [offset, length] : file->ranges) {
      EXPECT_EQ(offset, next);
      EXPECT_GE(length, every);
      next = offset + length;
    }
    EXPECT_LE(next, (*w)->size());
    EXPECT_GT(next + every, (*w)->size()) << "a whole stretch was left without writeback";
  }
}

// The cut at Close is durable: a power loss after it never brings back the preallocated
// zeros (a finished log with a zero tail would read as damaged before its successor). And
// where space cannot be reserved, the writer appends as if preallocation were off.
TEST(AppendWriterPreallocateTest, TheCutSurvivesAPowerLossAndFailuresTurnItOff) {
  for (const bool fail_preallocate : {false, true}) {
    SCOPED_TRACE(fail_preallocate ? "Preallocate fails" : "Preallocate works");
    FaultInjectionFileSystem fs;
    ASSERT_TRUE(fs.CreateDirs("/d").ok());
    ASSERT_TRUE(fs.SyncDir("/d").ok());
    if (fail_preallocate) {
      fs.FailNth(FaultInjectionFileSystem::Op::kPreallocate, 1, /*persistent=*/true, 28);
    }
    auto w = fs.NewAppendWriter("/d/log", {.buffer_size = 1000, .preallocate_bytes = 1 << 20});
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(fs.SyncDir("/d").ok());
    const std::string data(5000, 'v');
    ASSERT_TRUE((*w)->Append(data).ok());
    ASSERT_TRUE((*w)->Sync().ok());
    EXPECT_EQ(*fs.FileSize("/d/log") > data.size(), !fail_preallocate);
    ASSERT_TRUE((*w)->Close().ok());
    w->reset();
    EXPECT_EQ(*fs.FileSize("/d/log"), data.size());
    for (std::uint64_t seed = 0; seed < 20; ++seed) {
      auto saved = fs.Save();
      fs.PowerLoss(seed);
      EXPECT_EQ(*fs.FileSize("/d/log"), data.size()) << "seed " << seed;
      EXPECT_EQ(ReadAll(&fs, "/d/log"), data);
      fs.Restore(*saved);
    }
    EXPECT_EQ(fs.injected_faults() > 0, fail_preallocate);
  }
}

}  // namespace
}  // namespace larder
