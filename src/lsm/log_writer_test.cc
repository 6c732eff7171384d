#include "lsm/log_writer.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "base/coding.h"
#include "larder/file_system.h"
#include "lsm/log_reader.h"
#include "lsm/vlog_pointer.h"
#include "lsm/write_batch_internal.h"
#include "testing/fault_injection_file_system.h"
#include "tests/util/temp_dir.h"

namespace larder::lsm {
namespace {

std::unique_ptr<LogWriter> OpenLog(FileSystem* fs, const std::string& path,
                                   std::size_t buffer = 64 << 10) {
  auto w = fs->NewAppendWriter(path, {.buffer_size = buffer});
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  return std::make_unique<LogWriter>(std::move(*w));
}

// Every record of the file at `path`, in order; *end receives why reading stopped.
std::vector<std::pair<LogRecordType, std::string>> ReadAll(FileSystem* fs, const std::string& path,
                                                           LogReader::End* end) {
  std::vector<std::pair<LogRecordType, std::string>> out;
  auto f = fs->Open(path, {.read_only = true});
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  LogReader reader(f->get(), 0, *(*f)->Size());
  LogRecordType type;
  std::string_view payload;
  while (reader.ReadRecord(&type, &payload)) out.emplace_back(type, std::string(payload));
  *end = reader.end();
  return out;
}

TEST(LsmLogWriterTest, ManyRecordsThroughATinyBuffer) {
  auto fs = NewMemFileSystem(std::size_t{1} << 26);
  auto log = OpenLog(fs.get(), "/log", 16);
  std::vector<std::string> payloads;
  std::uint64_t expect_offset = 0;
  for (int i = 0; i < 5000; ++i) {
    payloads.push_back(
        std::string(static_cast<std::size_t>(i % 97), static_cast<char>('a' + i % 26)));
    std::uint64_t offset = ~0ull;
    ASSERT_TRUE(log->AddRecord(LogRecordType::kBatch, payloads.back(), &offset).ok());
    EXPECT_EQ(offset, expect_offset);
    expect_offset += kLogHeaderSize + payloads.back().size();
    EXPECT_EQ(log->size(), expect_offset);
    if (i % 100 == 0) {
      ASSERT_TRUE(log->Flush().ok());
    }
  }
  ASSERT_TRUE(log->Sync().ok());
  ASSERT_TRUE(log->Close().ok());
  LogReader::End end;
  const auto got = ReadAll(fs.get(), "/log", &end);
  EXPECT_EQ(end, LogReader::End::kEndOfFile);
  ASSERT_EQ(got.size(), payloads.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].second, payloads[i]) << i;
}

// A log on the real file system, reopened for appending after a clean close and after a torn
// tail truncated by recovery.
TEST(LsmLogWriterTest, ReopenAppendsAfterTheLastIntactRecord) {
  test::TempDir dir;
  FileSystem* fs = DefaultFileSystem();
  const std::string path = dir.File("000001.vlog");
  {
    auto log = OpenLog(fs, path);
    ASSERT_TRUE(log->AddRecord(LogRecordType::kBatch, "one").ok());
    ASSERT_TRUE(log->AddRecord(LogRecordType::kBatch, "two").ok());
    ASSERT_TRUE(log->Sync().ok());
    ASSERT_TRUE(log->Close().ok());
  }
  {
    // A torn append: half a record at the end.
    auto f = fs->Open(path, {});
    ASSERT_TRUE(f.ok());
    const std::uint64_t size = *(*f)->Size();
    ASSERT_TRUE(
        (*f)->WriteAt(size, {reinterpret_cast<const std::uint8_t*>("\x11\x22\x33\x44\x50"), 5})
            .ok());
  }
  {
    auto f = fs->Open(path, {});
    ASSERT_TRUE(f.ok());
    LogReader reader(f->get(), 0, *(*f)->Size());
    LogRecordType type;
    std::string_view payload;
    int n = 0;
    while (reader.ReadRecord(&type, &payload)) ++n;
    EXPECT_EQ(n, 2);
    EXPECT_EQ(reader.end(), LogReader::End::kTornTail);
    ASSERT_TRUE((*f)->Truncate(reader.end_offset()).ok());
  }
  {
    auto log = OpenLog(fs, path);
    EXPECT_EQ(log->size(), 2 * (kLogHeaderSize + 3));
    ASSERT_TRUE(log->AddRecord(LogRecordType::kValue, "three").ok());
    ASSERT_TRUE(log->Close().ok());
  }
  LogReader::End end;
  const auto got = ReadAll(fs, path, &end);
  EXPECT_EQ(end, LogReader::End::kEndOfFile);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[2].first, LogRecordType::kValue);
  EXPECT_EQ(got[2].second, "three");
}

TEST(LsmLogWriterTest, WriteErrorsAreSticky) {
  FaultInjectionFileSystem fs;
  auto log = OpenLog(&fs, "/log", 64);
  fs.FailNth(FaultInjectionFileSystem::Op::kWrite, 1, /*persistent=*/false);
  ASSERT_TRUE(log->AddRecord(LogRecordType::kBatch, "a").ok());  // buffered
  EXPECT_FALSE(log->Flush().ok());
  EXPECT_FALSE(log->AddRecord(LogRecordType::kBatch, "b").ok());
  EXPECT_FALSE(log->Sync().ok());
  EXPECT_EQ(fs.injected_faults(), 1u);
}

// A batch with values on both sides of the threshold: the large ones become kValue records
// before the batch, which points to them; ReadValue finds each.
TEST(LsmLogWriterTest, AddBatchRecordMovesLargeValuesOut) {
  auto fs = NewMemFileSystem(std::size_t{1} << 26);
  auto log = OpenLog(fs.get(), "/000007.vlog", 128);
  const std::string big(5000, 'B'), big2(100, 'C');
  WriteBatch batch;
  batch.Put("small", "s");
  batch.Put("big", big);
  batch.Delete("gone");
  batch.PutWithExpiry("big2", big2, 777);
  batch.PutWithExpiry("small2", "t", 888);
  batch.DeleteRange("a", "b");
  WriteBatchInternal::SetSequence(&batch, 100);

  WriteBatch scratch;
  const WriteBatch* stored = nullptr;
  std::uint64_t batch_offset = 0;
  ASSERT_TRUE(AddBatchRecord(log.get(), 7, batch, 100, &scratch, &stored, &batch_offset).ok());
  EXPECT_EQ(stored, &scratch);
  EXPECT_EQ(WriteBatchInternal::Sequence(scratch), 100u);
  EXPECT_EQ(scratch.Count(), batch.Count());
  EXPECT_EQ(batch_offset, 2 * kLogHeaderSize + big.size() + big2.size());
  // A batch without large values is written as it is.
  WriteBatch plain;
  plain.Put("k", "v");
  const WriteBatch* stored_plain = nullptr;
  ASSERT_TRUE(AddBatchRecord(log.get(), 7, plain, 100, &scratch, &stored_plain).ok());
  EXPECT_EQ(stored_plain, &plain);
  ASSERT_TRUE(log->Close().ok());

  LogReader::End end;
  const auto got = ReadAll(fs.get(), "/000007.vlog", &end);
  EXPECT_EQ(end, LogReader::End::kEndOfFile);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0], std::make_pair(LogRecordType::kValue, big));
  EXPECT_EQ(got[1], std::make_pair(LogRecordType::kValue, big2));
  EXPECT_EQ(got[2].first, LogRecordType::kBatch);
  EXPECT_EQ(got[2].second, WriteBatchInternal::Contents(scratch));
  EXPECT_EQ(got[3].second, WriteBatchInternal::Contents(plain));

  auto file = fs->Open("/000007.vlog", {.read_only = true});
  ASSERT_TRUE(file.ok());
  std::vector<std::string> seen;
  ASSERT_TRUE(WriteBatchInternal::ForEach(got[2].second, [&](const WriteBatchEntry& e) {
                std::string line = fmt::format("{} {}", static_cast<int>(e.type), e.key);
                std::string_view v = e.value;
                if (e.type == ValueType::kExpiringPointer || e.type == ValueType::kExpiringValue) {
                  line +=
                      fmt::format(" @{}", LoadU64(reinterpret_cast<const std::uint8_t*>(v.data())));
                  v.remove_prefix(8);
                }
                if (e.type == ValueType::kValuePointer || e.type == ValueType::kExpiringPointer) {
                  VlogPointer ptr;
                  EXPECT_TRUE(ptr.Decode(v));
                  EXPECT_EQ(ptr.file_number, 7u);
                  std::string value;
                  Status s = ReadValue(**file, ptr, &value);
                  EXPECT_TRUE(s.ok()) << s.ToString();
                  line += fmt::format(" ->{}{}", value.size(), value.substr(0, 1));
                } else {
                  line += fmt::format(" {}", v);
                }
                seen.push_back(line);
                return Status::Ok();
              }).ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"1 small s", "2 big ->5000B", "0 gone ",
                                            "5 big2 @777 ->100C", "4 small2 @888 t", "3 a b"}));
}

TEST(LsmVlogPointerTest, ReadValueChecksTheRecord) {
  auto fs = NewMemFileSystem(std::size_t{1} << 26);
  auto log = OpenLog(fs.get(), "/000003.vlog");
  VlogPointer ptr{3, 0, 6};
  ASSERT_TRUE(log->AddRecord(LogRecordType::kBatch, "batch!").ok());
  ASSERT_TRUE(log->AddRecord(LogRecordType::kValue, "value!", &ptr.offset).ok());
  ASSERT_TRUE(log->Close().ok());
  auto f = fs->Open("/000003.vlog", {});
  ASSERT_TRUE(f.ok());
  std::string out;
  ASSERT_TRUE(ReadValue(**f, ptr, &out).ok());
  EXPECT_EQ(out, "value!");

  const auto expect_corrupt = [&](VlogPointer p, std::string_view what) {
    Status s = ReadValue(**f, p, &out);
    EXPECT_TRUE(s.IsCorruption()) << what << ": " << s.ToString();
    EXPECT_NE(s.ToString().find("/000003.vlog"), std::string::npos) << s.ToString();
    EXPECT_NE(s.ToString().find("offset " + std::to_string(p.offset)), std::string::npos);
  };
  expect_corrupt({3, 0, 6}, "a batch record");
  expect_corrupt({3, ptr.offset, 5}, "wrong length");
  expect_corrupt({3, ptr.offset, 600}, "past the end");
  expect_corrupt({3, ptr.offset + 1, 6}, "not a record boundary");
  expect_corrupt({3, ptr.offset, kMaxRecordSize + 1}, "impossible length");
  expect_corrupt({3, ptr.offset, kMaxRecordSize}, "larger than the file: never allocated");
  // A flipped payload byte.
  const std::uint64_t at = ptr.offset + kLogHeaderSize + 2;
  ASSERT_TRUE((*f)->WriteAt(at, {reinterpret_cast<const std::uint8_t*>("X"), 1}).ok());
  expect_corrupt(ptr, "checksum");
}

// Throughput of AddRecord+Flush for 116-byte batches (one write(2) per record, and per group of
// 64), printed, never asserted: measure with a Release build.
TEST(LsmLogWriterTest, ThroughputOf116ByteBatches) {
  test::TempDir dir;
  const std::string payload(116, 'x');
  for (int group : {1, 64}) {
    auto log = OpenLog(DefaultFileSystem(), dir.File("bench" + std::to_string(group) + ".vlog"));
    constexpr int kRecords = 50000;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kRecords; ++i) {
      ASSERT_TRUE(log->AddRecord(LogRecordType::kBatch, payload).ok());
      if ((i + 1) % group == 0) {
        ASSERT_TRUE(log->Flush().ok());
      }
    }
    ASSERT_TRUE(log->Flush().ok());
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double mb = static_cast<double>(kRecords) * static_cast<double>(payload.size()) / 1e6;
    std::fprintf(stderr, "116-byte batches, flush every %d: %.1f MB/s payload, %.0f records/s\n",
                 group, mb / secs, kRecords / secs);
    EXPECT_EQ(log->size(), kRecords * (kLogHeaderSize + payload.size()));
    ASSERT_TRUE(log->Close().ok());
  }
}

}  // namespace
}  // namespace larder::lsm
