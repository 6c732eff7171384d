#include "lsm/value_log_reader.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "larder/file_system.h"
#include "lsm/filename.h"
#include "lsm/log_format.h"
#include "lsm/log_writer.h"
#include "testing/fault_injection_file_system.h"
#include "tests/util/temp_dir.h"

namespace larder::lsm {
namespace {

// (mapping on, on the POSIX file system rather than the in-memory one)
class ValueLogReaderTest : public ::testing::TestWithParam<std::tuple<bool, bool>> {
 protected:
  ValueLogReaderTest() {
    if (std::get<1>(GetParam())) {
      fs_ = DefaultFileSystem();
      dir_ = tmp_.path();
    } else {
      mem_ = NewMemFileSystem(std::size_t{1} << 24);
      fs_ = mem_.get();
      dir_ = "/db";
      EXPECT_TRUE(fs_->CreateDirs(dir_).ok());
    }
    // A hint far below the log's final size, so that reads past the mapping remap it.
    reader_ = std::make_unique<ValueLogReader>(dir_, fs_, std::get<0>(GetParam()), 64);
    auto w = fs_->NewAppendWriter(VlogFileName(dir_, 7), {.buffer_size = 4096});
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    log_ = std::make_unique<LogWriter>(std::move(*w));
  }

  // Appends `value` as a kValue record (flushed, as the DB does before a pointer is readable).
  std::string Append(const std::string& value) {
    VlogPointer p{7, 0, static_cast<std::uint32_t>(value.size())};
    EXPECT_TRUE(log_->AddRecord(LogRecordType::kBatch, "b").ok());
    EXPECT_TRUE(log_->AddRecord(LogRecordType::kValue, value, &p.offset).ok());
    EXPECT_TRUE(log_->Flush().ok());
    return Encode(p);
  }
  static std::string Encode(const VlogPointer& p) {
    std::string s;
    p.EncodeTo(&s);
    return s;
  }
  Status Resolve(const VlogPointer& p, std::string* out) {
    return reader_->Resolve(Encode(p), out);
  }

  test::TempDir tmp_;
  std::unique_ptr<FileSystem> mem_;
  FileSystem* fs_ = nullptr;
  std::string dir_;
  std::unique_ptr<ValueLogReader> reader_;
  std::unique_ptr<LogWriter> log_;
};

TEST_P(ValueLogReaderTest, ReadsEveryValueOfALogThatGrowsUnderIt) {
  std::vector<std::pair<std::string, std::string>> written;  // pointer, value
  std::string out;
  for (int i = 0; i < 200; ++i) {
    std::string value(static_cast<std::size_t>(1 + (i * 131) % 5000),
                      static_cast<char>('a' + i % 26));
    written.emplace_back(Append(value), value);
    // The newest value (past any earlier mapping) and an old one, both after each append.
    ASSERT_TRUE(reader_->Resolve(written.back().first, &out).ok()) << i;
    ASSERT_EQ(out, written.back().second) << i;
    const auto& old = written[static_cast<std::size_t>(i * 7) % written.size()];
    ASSERT_TRUE(reader_->Resolve(old.first, &out).ok()) << i;
    ASSERT_EQ(out, old.second) << i;
  }
  // Forgotten (the log deleted by collection), then read again: reopened.
  reader_->Forget(7);
  ASSERT_TRUE(reader_->Resolve(written[3].first, &out).ok());
  EXPECT_EQ(out, written[3].second);
}

TEST_P(ValueLogReaderTest, BadPointersAreCorruptionNamingTheLog) {
  VlogPointer good;
  ASSERT_TRUE(good.Decode(Append("value!")));
  std::string out;
  ASSERT_TRUE(Resolve(good, &out).ok());
  EXPECT_EQ(out, "value!");
  const auto expect_corrupt = [&](VlogPointer p, std::string_view what) {
    Status s = Resolve(p, &out);
    EXPECT_TRUE(s.IsCorruption()) << what << ": " << s.ToString();
    const std::string log = VlogFileName(dir_, p.file_number);
    EXPECT_NE(s.ToString().find(log), std::string::npos) << what << ": " << s.ToString();
  };
  expect_corrupt({7, good.offset, 5}, "wrong length");
  expect_corrupt({7, good.offset, 600}, "record runs past the end");
  expect_corrupt({7, good.offset + 1, 6}, "not a record boundary");
  expect_corrupt({7, 0, 1}, "a batch record");
  expect_corrupt({7, good.offset + 100000, 6}, "offset past the end");
  expect_corrupt({7, ~std::uint64_t{0} - 3, 6}, "offset that would overflow");
  expect_corrupt({7, good.offset, kMaxRecordSize + 1}, "impossible length");
  expect_corrupt({8, 0, 6}, "a missing log");
  EXPECT_TRUE(reader_->Resolve("\xff", &out).IsCorruption()) << "malformed pointer";
  // A flipped payload byte, written after the first read mapped the log.
  auto f = fs_->Open(VlogFileName(dir_, 7), {});
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->WriteAt(good.offset + kLogHeaderSize + 2,
                            {reinterpret_cast<const std::uint8_t*>("X"), 1})
                  .ok());
  expect_corrupt(good, "checksum");
}

// Which path a read takes, told by failing the file system's reads or its mappings.
TEST(ValueLogReaderPathTest, MappedReadsMakeNoReadCallsAndFailedMappingsFallBackToThem) {
  FaultInjectionFileSystem fs;
  ASSERT_TRUE(fs.CreateDirs("/db").ok());
  auto w = fs.NewAppendWriter(VlogFileName("/db", 3), {});
  ASSERT_TRUE(w.ok());
  LogWriter log(std::move(*w));
  VlogPointer p{3, 0, 5};
  ASSERT_TRUE(log.AddRecord(LogRecordType::kValue, "hello", &p.offset).ok());
  ASSERT_TRUE(log.Flush().ok());
  std::string ptr;
  p.EncodeTo(&ptr);
  std::string out;

  fs.FailNth(FaultInjectionFileSystem::Op::kRead, 1, /*persistent=*/true);
  ValueLogReader mapped("/db", &fs, /*mmap=*/true, 64);
  ASSERT_TRUE(mapped.Resolve(ptr, &out).ok());
  EXPECT_EQ(out, "hello");
  ValueLogReader reading("/db", &fs, /*mmap=*/false, 64);
  EXPECT_TRUE(reading.Resolve(ptr, &out).IsIOError());

  fs.ClearFaults();
  fs.FailNth(FaultInjectionFileSystem::Op::kMap, 1, /*persistent=*/true);
  ValueLogReader unmappable("/db", &fs, /*mmap=*/true, 64);
  ASSERT_TRUE(unmappable.Resolve(ptr, &out).ok());
  EXPECT_EQ(out, "hello");
  EXPECT_GT(fs.injected_faults(), 1u);  // the read above and the mapping here failed
}

// The open log is preallocated (zeros past its records, cut off when it is finished): reads map
// it only up to the bytes NoteOpenLog says were flushed. A record past those is read with
// ReadAt (told here by failing reads), so no mapping ever covers the zeros that the cut
// removes; once the log is no longer the open one, its (cut) file size bounds it.
TEST(ValueLogReaderPathTest, TheOpenLogIsMappedOnlyUpToItsFlushedBytes) {
  FaultInjectionFileSystem fs;
  ASSERT_TRUE(fs.CreateDirs("/db").ok());
  auto w = fs.NewAppendWriter(VlogFileName("/db", 3), {.preallocate_bytes = 1 << 20});
  ASSERT_TRUE(w.ok());
  LogWriter log(std::move(*w));
  VlogPointer p{3, 0, 5};
  ASSERT_TRUE(log.AddRecord(LogRecordType::kValue, "hello", &p.offset).ok());
  ASSERT_TRUE(log.Flush().ok());
  const std::uint64_t flushed = log.size();
  ASSERT_GT(*fs.FileSize(VlogFileName("/db", 3)), flushed + 4096) << "not preallocated";
  ValueLogReader reader("/db", &fs, /*mmap=*/true, 64);
  reader.NoteOpenLog(3, flushed);
  std::string ptr, zeros_ptr, out;
  p.EncodeTo(&ptr);
  VlogPointer{3, flushed + 100, 5}.EncodeTo(&zeros_ptr);  // in the preallocated zeros

  fs.FailNth(FaultInjectionFileSystem::Op::kRead, 1, /*persistent=*/true);
  ASSERT_TRUE(reader.Resolve(ptr, &out).ok()) << "mapped";
  EXPECT_EQ(out, "hello");
  EXPECT_TRUE(reader.Resolve(zeros_ptr, &out).IsIOError()) << "read, not mapped";
  fs.ClearFaults();
  EXPECT_TRUE(reader.Resolve(zeros_ptr, &out).IsCorruption());

  // Finished: cut back, then another log is the open one. The file's size bounds log 3 now.
  ASSERT_TRUE(log.Close().ok());
  EXPECT_EQ(*fs.FileSize(VlogFileName("/db", 3)), flushed);
  reader.NoteOpenLog(4, 0);
  const Status past = reader.Resolve(zeros_ptr, &out);
  EXPECT_TRUE(past.IsCorruption()) << past.ToString();
  ASSERT_TRUE(reader.Resolve(ptr, &out).ok());
  EXPECT_EQ(out, "hello");
}

INSTANTIATE_TEST_SUITE_P(MappedOrRead, ValueLogReaderTest,
                         ::testing::Combine(::testing::Bool(), ::testing::Bool()),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param) ? "Mapped" : "Read") +
                                  (std::get<1>(info.param) ? "Posix" : "Memory");
                         });

}  // namespace
}  // namespace larder::lsm
