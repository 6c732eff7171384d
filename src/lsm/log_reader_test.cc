#include "lsm/log_reader.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "base/coding.h"
#include "larder/file_system.h"
#include "lsm/log_writer.h"
#include "lsm/vlog_pointer.h"
#include "lsm/write_batch_internal.h"
#include "testing/fault_injection_file_system.h"

namespace larder::lsm {
namespace {

struct Rec {
  LogRecordType type;
  std::string payload;
  std::uint64_t offset = 0;
};

// A log file in memory: written through LogWriter, damaged by the test, read back.
class LsmLogReaderTest : public ::testing::Test {
 protected:
  void Write(const std::vector<Rec>& recs, std::size_t buffer = 4096) {
    auto w = fs_->NewAppendWriter("/log", {.buffer_size = buffer, .truncate = true});
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    LogWriter log(std::move(*w));
    written_ = recs;
    for (Rec& r : written_) ASSERT_TRUE(log.AddRecord(r.type, r.payload, &r.offset).ok());
    ASSERT_TRUE(log.Close().ok());
    bytes_ = Contents();
  }
  std::string Contents() {
    auto f = fs_->Open("/log", {.read_only = true});
    EXPECT_TRUE(f.ok());
    std::string s(static_cast<std::size_t>(*(*f)->Size()), '\0');
    EXPECT_TRUE((*f)->ReadAt(0, {reinterpret_cast<std::uint8_t*>(s.data()), s.size()}).ok());
    return s;
  }
  void Replace(std::string_view bytes) {
    auto f = fs_->Open("/log", {.create = true});
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Truncate(0).ok());
    ASSERT_TRUE((*f)->WriteAt(0, AsBytes(bytes)).ok());
  }
  // Reads the file from `from`; returns the records read and the reader's verdict.
  std::vector<Rec> Read(LogReader::End* end, std::uint64_t* end_offset, std::uint64_t from = 0) {
    std::vector<Rec> got;
    auto f = fs_->Open("/log", {.read_only = true});
    EXPECT_TRUE(f.ok());
    LogReader reader(f->get(), from, *(*f)->Size());
    Rec r;
    std::string_view payload;
    while (reader.ReadRecord(&r.type, &payload, &r.offset)) {
      r.payload = std::string(payload);
      got.push_back(r);
    }
    EXPECT_NE(reader.end(), LogReader::End::kNone);
    EXPECT_EQ(reader.status().ok(), reader.end() == LogReader::End::kEndOfFile)
        << reader.status().ToString();
    if (reader.end() != LogReader::End::kEndOfFile) {
      EXPECT_NE(reader.status().ToString().find("/log"), std::string::npos);
    }
    *end = reader.end();
    *end_offset = reader.end_offset();
    return got;
  }
  // Reads the damaged file and checks that it gives exactly the first `intact` records written,
  // and stops after them with `want` (kNone: any kind).
  void ExpectPrefix(std::size_t intact, LogReader::End want, const std::string& what) {
    SCOPED_TRACE(what);
    LogReader::End end;
    std::uint64_t end_offset;
    const std::vector<Rec> got = Read(&end, &end_offset);
    ASSERT_EQ(got.size(), intact);
    for (std::size_t i = 0; i < intact; ++i) {
      EXPECT_EQ(got[i].type, written_[i].type) << i;
      EXPECT_EQ(got[i].payload, written_[i].payload) << i;
      EXPECT_EQ(got[i].offset, written_[i].offset) << i;
    }
    EXPECT_EQ(end_offset, intact < written_.size() ? written_[intact].offset : bytes_.size());
    if (want != LogReader::End::kNone) {
      EXPECT_EQ(LogEndName(end), LogEndName(want));
    }
  }
  // The index of the record holding byte `pos` of the file.
  std::size_t RecordAt(std::size_t pos) const {
    std::size_t i = 0;
    while (i + 1 < written_.size() && written_[i + 1].offset <= pos) ++i;
    return i;
  }
  static std::vector<Rec> SmallRecords() {
    return {{LogRecordType::kBatch, "first"},
            {LogRecordType::kValue, ""},
            {LogRecordType::kValue, std::string(40, 'v')},
            {LogRecordType::kBatch, "last one"}};
  }

  std::unique_ptr<FileSystem> fs_ = NewMemFileSystem(std::size_t{1} << 26);
  std::vector<Rec> written_;
  std::string bytes_;
};

TEST_F(LsmLogReaderTest, EmptyFileIsACleanEnd) {
  Write({});
  ExpectPrefix(0, LogReader::End::kEndOfFile, "empty");
}

TEST_F(LsmLogReaderTest, RoundTripsRecordsAndOffsets) {
  Write(SmallRecords());
  EXPECT_EQ(written_[0].offset, 0u);
  EXPECT_EQ(written_[1].offset, kLogHeaderSize + 5);
  ExpectPrefix(written_.size(), LogReader::End::kEndOfFile, "intact");
  // From a record boundary in the middle.
  LogReader::End end;
  std::uint64_t end_offset;
  const std::vector<Rec> got = Read(&end, &end_offset, written_[2].offset);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].payload, written_[2].payload);
  EXPECT_EQ(end, LogReader::End::kEndOfFile);
}

TEST_F(LsmLogReaderTest, HeaderLayoutIsTheDocumentedOne) {
  Write({{LogRecordType::kValue, "abc"}});
  ASSERT_EQ(bytes_.size(), kLogHeaderSize + 3);
  const auto* p = reinterpret_cast<const std::uint8_t*>(bytes_.data());
  EXPECT_EQ(LoadU32(p + 4), 3u);
  EXPECT_EQ(p[8], 2);
  const std::uint32_t crc =
      crc32c::Value({reinterpret_cast<const std::uint8_t*>("\x03\x00\x00\x00\x02"
                                                           "abc"),
                     8});
  EXPECT_EQ(LoadU32(p), crc32c::Mask(crc));
  EXPECT_EQ(bytes_.substr(kLogHeaderSize), "abc");
}

TEST_F(LsmLogReaderTest, LargeRecordsSpanTheReadChunk) {
  std::mt19937 rnd(7);
  std::vector<Rec> recs;
  for (std::size_t n : {std::size_t{300} << 10, std::size_t{10}, std::size_t{3} << 20,
                        std::size_t{256} << 10, std::size_t{1}}) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(rnd());
    recs.push_back({LogRecordType::kValue, s});
  }
  Write(recs, 1000);
  ExpectPrefix(recs.size(), LogReader::End::kEndOfFile, "large");
}

TEST_F(LsmLogReaderTest, TruncationAtEveryByteKeepsTheIntactPrefix) {
  Write(SmallRecords());
  for (std::size_t n = 0; n <= bytes_.size(); ++n) {
    Replace(std::string_view(bytes_).substr(0, n));
    std::size_t intact = 0;
    while (intact < written_.size() &&
           written_[intact].offset + kLogHeaderSize + written_[intact].payload.size() <= n) {
      ++intact;
    }
    const bool boundary = intact == written_.size() || written_[intact].offset == n;
    const std::uint64_t keep = intact < written_.size() ? written_[intact].offset : n;
    SCOPED_TRACE(n);
    LogReader::End end;
    std::uint64_t end_offset;
    const std::vector<Rec> got = Read(&end, &end_offset);
    EXPECT_EQ(got.size(), intact);
    EXPECT_EQ(end_offset, keep);
    EXPECT_EQ(LogEndName(end),
              LogEndName(boundary ? LogReader::End::kEndOfFile : LogReader::End::kTornTail));
  }
}

TEST_F(LsmLogReaderTest, ZerosAtTheTailAreATornWrite) {
  Write(SmallRecords());
  for (std::size_t zeros : {1, 8, 9, 10, 4096, 300000}) {
    Replace(bytes_ + std::string(zeros, '\0'));
    LogReader::End end;
    std::uint64_t end_offset;
    EXPECT_EQ(Read(&end, &end_offset).size(), written_.size()) << zeros;
    EXPECT_EQ(end, LogReader::End::kTornTail) << zeros;
    EXPECT_EQ(end_offset, bytes_.size());
  }
  // The last record zeroed (a flush that never reached the disk).
  std::string damaged = bytes_;
  std::fill(damaged.begin() + static_cast<std::ptrdiff_t>(written_.back().offset), damaged.end(),
            '\0');
  Replace(damaged);
  ExpectPrefix(written_.size() - 1, LogReader::End::kTornTail, "last record zeroed");
}

TEST_F(LsmLogReaderTest, ZerosOrGarbageInTheMiddleStopThere) {
  Write(SmallRecords());
  std::string damaged = bytes_;
  const auto at = static_cast<std::ptrdiff_t>(written_[1].offset);
  std::fill(damaged.begin() + at, damaged.begin() + at + kLogHeaderSize, '\0');
  Replace(damaged);
  ExpectPrefix(1, LogReader::End::kCorruption, "zeroed header in the middle");

  damaged = bytes_;
  for (std::size_t i = written_[2].offset; i < written_[3].offset; ++i) {
    damaged[i] = static_cast<char>(0xa5 ^ i);
  }
  Replace(damaged);
  ExpectPrefix(2, LogReader::End::kCorruption, "garbage in the middle");

  damaged = bytes_;
  StoreU32(reinterpret_cast<std::uint8_t*>(damaged.data()) + written_[1].offset + 4,
           kMaxRecordSize + 1);
  Replace(damaged);
  ExpectPrefix(1, LogReader::End::kCorruption, "impossible length");

  damaged = bytes_;
  damaged[written_[2].offset + 8] = 7;
  Replace(damaged);
  ExpectPrefix(2, LogReader::End::kCorruption, "unknown type");
}

// Every single-bit flip anywhere: the reader returns exactly the records before the damaged
// one, never the damaged one or any after it.
TEST_F(LsmLogReaderTest, EveryBitFlipStopsAtTheDamagedRecord) {
  Write(SmallRecords());
  for (std::size_t i = 0; i < bytes_.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = bytes_;
      damaged[i] = static_cast<char>(damaged[i] ^ (1 << bit));
      Replace(damaged);
      const std::size_t rec = RecordAt(i);
      // A flip in the payload is a checksum mismatch: torn when it is the last record.
      const bool in_payload = i >= written_[rec].offset + kLogHeaderSize;
      const LogReader::End want = !in_payload
                                      ? LogReader::End::kNone
                                      : (rec + 1 == written_.size() ? LogReader::End::kTornTail
                                                                    : LogReader::End::kCorruption);
      ExpectPrefix(rec, want, "flip byte " + std::to_string(i) + " bit " + std::to_string(bit));
    }
  }
}

TEST_F(LsmLogReaderTest, ReadErrorsAreReported) {
  FaultInjectionFileSystem fifs;
  {
    auto w = fifs.NewAppendWriter("/log");
    ASSERT_TRUE(w.ok());
    LogWriter log(std::move(*w));
    ASSERT_TRUE(log.AddRecord(LogRecordType::kBatch, "x").ok());
    ASSERT_TRUE(log.Close().ok());
  }
  auto f = fifs.Open("/log", {.read_only = true});
  ASSERT_TRUE(f.ok());
  fifs.FailNth(FaultInjectionFileSystem::Op::kRead, 1, /*persistent=*/true);
  LogReader reader(f->get(), 0, *(*f)->Size());
  LogRecordType type;
  std::string_view payload;
  EXPECT_FALSE(reader.ReadRecord(&type, &payload));
  EXPECT_EQ(reader.end(), LogReader::End::kIOError);
  EXPECT_TRUE(reader.status().IsIOError()) << reader.status().ToString();
  EXPECT_EQ(reader.end_offset(), 0u);
  EXPECT_GT(fifs.injected_faults(), 0u);
}

// Random records written in random groups through a small buffer, then damaged at a random
// byte: the reader gives back exactly the records before the damaged one (a model of what was
// written), with their offsets.
TEST_F(LsmLogReaderTest, RandomModel) {
  std::mt19937 rnd(42);
  for (int round = 0; round < 60; ++round) {
    std::vector<Rec> recs(1 + rnd() % 40);
    for (Rec& r : recs) {
      r.type = rnd() % 2 ? LogRecordType::kBatch : LogRecordType::kValue;
      const std::size_t n = rnd() % 8 == 0 ? rnd() % 5000 : rnd() % 120;
      r.payload.resize(n);
      for (char& c : r.payload) c = static_cast<char>(rnd());
    }
    Write(recs, 1 + rnd() % 700);
    ExpectPrefix(recs.size(), LogReader::End::kEndOfFile, "round " + std::to_string(round));
    std::string damaged = bytes_;
    const std::size_t pos = rnd() % damaged.size();
    switch (rnd() % 3) {
      case 0:  // truncate
        damaged.resize(pos);
        break;
      case 1:  // flip a byte
        damaged[pos] = static_cast<char>(damaged[pos] ^ (1 + rnd() % 255));
        break;
      default:  // zero from pos to the end
        std::fill(damaged.begin() + static_cast<std::ptrdiff_t>(pos), damaged.end(), '\0');
        break;
    }
    Replace(damaged);
    std::size_t intact = RecordAt(pos);
    // A truncation exactly at a record boundary keeps the records before it.
    ExpectPrefix(intact, LogReader::End::kNone, "damaged round " + std::to_string(round));
  }
}

// Writes the seed corpus of fuzz/fuzz_lsm_log.cc into fuzz/corpus/lsm_log (run by hand with
// --gtest_also_run_disabled_tests --gtest_filter='*WriteFuzzCorpus').
TEST_F(LsmLogReaderTest, DISABLED_WriteFuzzCorpus) {
  const std::string dir = std::string(LARDER_SOURCE_DIR) + "/fuzz/corpus/lsm_log/";
  FileSystem* disk = DefaultFileSystem();
  const auto save = [&](const std::string& name, std::string_view bytes) {
    auto f = disk->Open(dir + name, {.create = true});
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    ASSERT_TRUE((*f)->Truncate(0).ok());
    ASSERT_TRUE((*f)->WriteAt(0, AsBytes(bytes)).ok());
  };
  // A clean log: plain batches and one whose large values moved into value records.
  {
    auto w = fs_->NewAppendWriter("/log", {.truncate = true});
    ASSERT_TRUE(w.ok());
    LogWriter log(std::move(*w));
    WriteBatch a;
    a.Put("apple", "red");
    a.Delete("banana");
    a.DeleteRange("c", "d");
    a.PutWithExpiry("eel", "slippery", 1700000000000);
    WriteBatchInternal::SetSequence(&a, 1);
    WriteBatch b;
    b.Put("big", std::string(300, 'B'));
    b.PutWithExpiry("bigttl", std::string(200, 'T'), 42);
    b.Put("small", "s");
    WriteBatchInternal::SetSequence(&b, 5);
    WriteBatch scratch;
    const WriteBatch* stored;
    ASSERT_TRUE(AddBatchRecord(&log, 1, a, 100, &scratch, &stored).ok());
    ASSERT_TRUE(AddBatchRecord(&log, 1, b, 100, &scratch, &stored).ok());
    ASSERT_TRUE(
        log.AddRecord(LogRecordType::kBatch, WriteBatchInternal::Contents(WriteBatch())).ok());
    ASSERT_TRUE(log.Close().ok());
  }
  const std::string clean = Contents();
  save("clean", clean);
  save("empty", "");
  save("truncated", std::string_view(clean).substr(0, clean.size() - 7));
  save("zero_tail", clean + std::string(100, '\0'));
  std::string flipped = clean;
  flipped[20] = static_cast<char>(flipped[20] ^ 4);
  save("flipped", flipped);
  // Intact records holding malformed batches and a pointer to nowhere.
  {
    auto w = fs_->NewAppendWriter("/log", {.truncate = true});
    ASSERT_TRUE(w.ok());
    LogWriter log(std::move(*w));
    std::string header;
    PutFixed64(&header, 9);
    PutFixed32(&header, 2);
    ASSERT_TRUE(log.AddRecord(LogRecordType::kBatch, header + "\x01\x01k\x05v").ok());
    WriteBatch p;
    std::string ptr;
    VlogPointer{1, 5000, 70}.EncodeTo(&ptr);
    WriteBatchInternal::AppendEntry(&p, ValueType::kValuePointer, "p", ptr);
    ptr.clear();
    VlogPointer{1, 0, 3}.EncodeTo(&ptr);
    WriteBatchInternal::AppendEntry(&p, ValueType::kValuePointer, "q", ptr);
    ASSERT_TRUE(log.AddRecord(LogRecordType::kBatch, WriteBatchInternal::Contents(p)).ok());
    ASSERT_TRUE(log.Close().ok());
  }
  save("bad_batches", Contents());
  // Synced appends (each after the first starts with a sync mark), intact and with the first
  // batch damaged: recovery's scan finds the mark that covers it.
  {
    auto w = fs_->NewAppendWriter("/log", {.truncate = true});
    ASSERT_TRUE(w.ok());
    LogWriter log(std::move(*w));
    WriteBatch scratch;
    const WriteBatch* stored;
    for (int i = 0; i < 3; ++i) {
      WriteBatch b;
      b.Put("k" + std::to_string(i), std::string(static_cast<std::size_t>(20 + i * 150), 'v'));
      WriteBatchInternal::SetSequence(&b, static_cast<SequenceNumber>(10 + i));
      ASSERT_TRUE(AddBatchRecord(&log, 1, b, 100, &scratch, &stored).ok());
      ASSERT_TRUE(log.Sync().ok());
    }
    ASSERT_TRUE(log.Close().ok());
  }
  const std::string synced = Contents();
  save("synced", synced);
  std::string synced_damaged = synced;
  synced_damaged[kLogHeaderSize + 3] = static_cast<char>(synced_damaged[kLogHeaderSize + 3] ^ 1);
  save("synced_damaged", synced_damaged);
}

}  // namespace
}  // namespace larder::lsm
