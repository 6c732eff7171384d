#include "lsm/log_replay.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "larder/file_system.h"
#include "lsm/log_writer.h"
#include "lsm/vlog_pointer.h"
#include "lsm/write_batch_internal.h"
#include "testing/fault_injection_file_system.h"

namespace larder::lsm {
namespace {

// A value log on a MemFileSystem, written by the test and replayed.
class LsmLogReplayTest : public ::testing::Test {
 protected:
  LsmLogReplayTest() {
    auto w = fs_->NewAppendWriter("/000004.vlog", {.buffer_size = 256});
    EXPECT_TRUE(w.ok());
    log_ = std::make_unique<LogWriter>(std::move(*w));
  }
  // Writes a batch of `n` puts at `seq` (every third value large) and returns its bytes as
  // stored.
  std::string AddBatch(SequenceNumber seq, int n) {
    WriteBatch b;
    for (int i = 0; i < n; ++i) {
      std::string key = "k";
      key += std::to_string(seq + static_cast<SequenceNumber>(i));
      b.Put(key, std::string(i % 3 == 0 ? 500 : 5, static_cast<char>('a' + i)));
    }
    WriteBatchInternal::SetSequence(&b, seq);
    WriteBatch scratch;
    const WriteBatch* stored = nullptr;
    EXPECT_TRUE(AddBatchRecord(log_.get(), 4, b, 100, &scratch, &stored).ok());
    return std::string(WriteBatchInternal::Contents(*stored));
  }
  struct Replayed {
    std::vector<std::string> batches;
    LogReader::End end;
    std::uint64_t end_offset;
    SequenceNumber last_sequence;
    std::uint64_t entries;
    Status status;
  };
  Replayed Replay() {
    EXPECT_TRUE(log_->Flush().ok());
    auto f = fs_->Open("/000004.vlog", {.read_only = true});
    EXPECT_TRUE(f.ok());
    LogReplayer r(f->get(), 4, *(*f)->Size());
    Replayed out;
    std::string_view batch;
    while (r.NextBatch(&batch)) out.batches.emplace_back(batch);
    out.end = r.end();
    out.end_offset = r.end_offset();
    out.last_sequence = r.last_sequence();
    out.entries = r.entries();
    out.status = r.status();
    EXPECT_EQ(r.batches(), out.batches.size());
    return out;
  }

  std::unique_ptr<FileSystem> fs_ = NewMemFileSystem(std::size_t{1} << 26);
  std::unique_ptr<LogWriter> log_;
};

TEST_F(LsmLogReplayTest, ReturnsEveryBatchOfACleanLog) {
  const std::string a = AddBatch(1, 4), b = AddBatch(5, 1), c = AddBatch(6, 7);
  const Replayed r = Replay();
  EXPECT_EQ(r.batches, (std::vector<std::string>{a, b, c}));
  EXPECT_EQ(r.end, LogReader::End::kEndOfFile);
  EXPECT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.end_offset, log_->size());
  EXPECT_EQ(r.last_sequence, 12u);
  EXPECT_EQ(r.entries, 12u);
}

TEST_F(LsmLogReplayTest, ValuesWithoutTheirBatchAreCutOff) {
  const std::string a = AddBatch(1, 2);
  const std::uint64_t after_a = log_->size();
  ASSERT_TRUE(log_->AddRecord(LogRecordType::kValue, std::string(300, 'x')).ok());
  const Replayed r = Replay();
  EXPECT_EQ(r.batches, std::vector<std::string>{a});
  EXPECT_EQ(r.end, LogReader::End::kTornTail);
  EXPECT_EQ(r.end_offset, after_a);
  EXPECT_TRUE(r.status.IsCorruption());
}

TEST_F(LsmLogReplayTest, AMalformedBatchEndsTheReplay) {
  const std::string a = AddBatch(1, 2);
  const std::uint64_t after_a = log_->size();
  std::string bad = std::string(WriteBatchInternal::Contents(WriteBatch()));
  bad[8] = 1;  // one entry announced, none there
  ASSERT_TRUE(log_->AddRecord(LogRecordType::kBatch, bad).ok());
  AddBatch(3, 2);  // intact, but after the damage: never applied
  const Replayed r = Replay();
  EXPECT_EQ(r.batches, std::vector<std::string>{a});
  EXPECT_EQ(r.end, LogReader::End::kCorruption);
  EXPECT_EQ(r.end_offset, after_a);
  EXPECT_NE(
      r.status.ToString().find("/000004.vlog: batch record at offset " + std::to_string(after_a)),
      std::string::npos)
      << r.status.ToString();
}

TEST_F(LsmLogReplayTest, PointersMustNameAValueRecordBeforeThem) {
  const std::string a = AddBatch(1, 1);  // one large value: a value record, then the batch
  const auto pointer_batch = [&](VlogPointer ptr) {
    WriteBatch b;
    std::string enc;
    ptr.EncodeTo(&enc);
    WriteBatchInternal::AppendEntry(&b, ValueType::kValuePointer, "p", enc);
    return std::string(WriteBatchInternal::Contents(b));
  };
  // Another file's pointer is not this file's to check; the first value record is fine.
  const std::string other = pointer_batch({9, 123456, 10});
  const std::string same = pointer_batch({4, 0, 500});
  ASSERT_TRUE(log_->AddRecord(LogRecordType::kBatch, other).ok());
  ASSERT_TRUE(log_->AddRecord(LogRecordType::kBatch, same).ok());
  const std::uint64_t before_bad = log_->size();
  ASSERT_TRUE(log_->AddRecord(LogRecordType::kBatch, pointer_batch({4, 0, 499})).ok());
  const Replayed r = Replay();
  EXPECT_EQ(r.batches, (std::vector<std::string>{a, other, same}));
  EXPECT_EQ(r.end, LogReader::End::kCorruption);
  EXPECT_EQ(r.end_offset, before_bad);
}

// Truncated at every byte: the batches returned are always a prefix of those written, and the
// end offset is the end of the last one.
TEST_F(LsmLogReplayTest, TruncationKeepsAPrefixOfBatches) {
  std::vector<std::string> written;
  std::vector<std::uint64_t> ends;
  for (int i = 0; i < 4; ++i) {
    written.push_back(AddBatch(1 + 10 * static_cast<SequenceNumber>(i), 2 + i));
    ends.push_back(log_->size());
  }
  ASSERT_TRUE(log_->Flush().ok());
  for (std::uint64_t n = 0; n <= ends.back(); n += 7) {
    auto f = fs_->Open("/000004.vlog", {.read_only = true});
    ASSERT_TRUE(f.ok());
    LogReplayer r(f->get(), 4, n);
    std::size_t got = 0;
    std::string_view batch;
    while (r.NextBatch(&batch)) {
      ASSERT_LT(got, written.size());
      EXPECT_EQ(batch, written[got]) << n;
      ++got;
    }
    std::size_t want = 0;
    while (want < ends.size() && ends[want] <= n) ++want;
    EXPECT_EQ(got, want) << n;
    EXPECT_EQ(r.end_offset(), want == 0 ? 0 : ends[want - 1]) << n;
  }
}

// Power losses on the fault-injecting file system (unsynced appends kept, lost or torn, each
// flush independently): the replay gives back a prefix of the batches written, byte for byte,
// holding at least every batch synced; after truncating there the log takes new batches and
// replays cleanly.
TEST(LsmLogCrashTest, PowerLossKeepsASyncedPrefix) {
  std::mt19937 rnd(2026);
  int lost_some = 0;
  for (std::uint64_t seed = 0; seed < 150; ++seed) {
    FaultInjectionFileSystem fs;
    std::vector<std::string> written;
    std::size_t synced = 0;
    {
      auto w = fs.NewAppendWriter("/000002.vlog", {.buffer_size = 64 + rnd() % 400});
      ASSERT_TRUE(w.ok());
      ASSERT_TRUE(fs.SyncDir("/").ok());
      LogWriter log(std::move(*w));
      WriteBatch scratch;
      const int n = 1 + static_cast<int>(rnd() % 30);
      for (int i = 0; i < n; ++i) {
        WriteBatch b;
        const int entries = 1 + static_cast<int>(rnd() % 4);
        for (int j = 0; j < entries; ++j) {
          b.Put(fmt::format("key{}", rnd() % 100), std::string(rnd() % 3 == 0 ? 150 : 7, 'v'));
        }
        WriteBatchInternal::SetSequence(&b, 1 + 10 * static_cast<SequenceNumber>(i));
        const WriteBatch* stored = nullptr;
        ASSERT_TRUE(AddBatchRecord(&log, 2, b, 100, &scratch, &stored).ok());
        written.emplace_back(WriteBatchInternal::Contents(*stored));
        const unsigned what = rnd() % 6;
        if (what == 0) {
          ASSERT_TRUE(log.Sync().ok());
          synced = written.size();
        } else if (what == 1) {
          ASSERT_TRUE(log.Flush().ok());
        }
      }
      ASSERT_TRUE(log.Close().ok());  // flushed, not synced
    }
    fs.PowerLoss(seed);

    auto f = fs.Open("/000002.vlog", {});
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    const std::uint64_t size = *(*f)->Size();
    LogReplayer r(f->get(), 2, size);
    std::size_t got = 0;
    std::string_view batch;
    while (r.NextBatch(&batch)) {
      ASSERT_LT(got, written.size()) << seed;
      ASSERT_EQ(batch, written[got]) << "seed " << seed << " batch " << got;
      ++got;
    }
    ASSERT_NE(r.end(), LogReader::End::kIOError) << r.status().ToString();
    EXPECT_GE(got, synced) << "seed " << seed << ": a synced batch is lost; "
                           << r.status().ToString();
    if (got < written.size()) ++lost_some;

    // Recovery: truncate, append, replay again.
    ASSERT_TRUE((*f)->Truncate(r.end_offset()).ok());
    {
      auto w = AppendWriter::Create(std::move(*f), r.end_offset(), {.buffer_size = 128});
      ASSERT_TRUE(w.ok());
      LogWriter log(std::move(*w));
      WriteBatch plain;
      plain.Put("after", "recovery");
      ASSERT_TRUE(log.AddRecord(LogRecordType::kBatch, WriteBatchInternal::Contents(plain)).ok());
      ASSERT_TRUE(log.Sync().ok());
      ASSERT_TRUE(log.Close().ok());
    }
    auto g = fs.Open("/000002.vlog", {.read_only = true});
    ASSERT_TRUE(g.ok());
    LogReplayer again(g->get(), 2, *(*g)->Size());
    std::size_t n2 = 0;
    while (again.NextBatch(&batch)) ++n2;
    EXPECT_EQ(n2, got + 1) << seed;
    EXPECT_EQ(again.end(), LogReader::End::kEndOfFile) << seed << ": " << again.status().ToString();
  }
  // The power losses did cut logs short: the test saw torn tails, not only clean files.
  EXPECT_GT(lost_some, 20);
}

}  // namespace
}  // namespace larder::lsm
