#include "lsm/log_sync_mark.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "base/coding.h"
#include "larder/file_system.h"
#include "lsm/log_reader.h"
#include "lsm/log_writer.h"
#include "lsm/write_batch_internal.h"

namespace larder::lsm {
namespace {

class LsmSyncMarkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto w = fs_->NewAppendWriter("/log", {.buffer_size = 4096});
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    log_ = std::make_unique<LogWriter>(std::move(*w));
  }
  // Appends a batch of one Put (AddBatchRecord: a sync mark first when one is due); returns
  // the batch record's offset.
  std::uint64_t AddBatch(const std::string& key, std::size_t value_size) {
    WriteBatch batch, scratch;
    batch.Put(key, std::string(value_size, 'v'));
    WriteBatchInternal::SetSequence(&batch, ++sequence_);
    const WriteBatch* stored = nullptr;
    std::uint64_t offset = 0;
    EXPECT_TRUE(AddBatchRecord(log_.get(), 1, batch, 0, &scratch, &stored, &offset).ok());
    return offset;
  }
  std::vector<LogRecordType> Types() {
    EXPECT_TRUE(log_->Flush().ok());
    auto f = fs_->Open("/log", {.read_only = true});
    LogReader reader(f->get(), 0, *(*f)->Size());
    std::vector<LogRecordType> types;
    LogRecordType t;
    std::string_view payload;
    while (reader.ReadRecord(&t, &payload)) types.push_back(t);
    EXPECT_EQ(reader.end(), LogReader::End::kEndOfFile);
    return types;
  }
  std::optional<SyncMarkHit> Scan(std::uint64_t damaged) {
    EXPECT_TRUE(log_->Flush().ok());
    auto f = fs_->Open("/log", {.read_only = true});
    auto hit = FindSyncMarkCovering(f->get(), damaged, *(*f)->Size());
    EXPECT_TRUE(hit.ok()) << hit.status().ToString();
    return hit.ok() ? *hit : std::nullopt;
  }

  std::unique_ptr<FileSystem> fs_ = NewMemFileSystem(std::size_t{1} << 26);
  std::unique_ptr<LogWriter> log_;
  SequenceNumber sequence_ = 0;
};

TEST_F(LsmSyncMarkTest, TheFirstAppendAfterEachSyncCarriesAMark) {
  using T = LogRecordType;
  AddBatch("a", 10);
  AddBatch("b", 10);  // no sync yet: no mark
  ASSERT_TRUE(log_->Sync().ok());
  const std::uint64_t synced = log_->size();
  AddBatch("c", 10);  // mark, batch
  AddBatch("d", 10);  // nothing synced since: no mark
  ASSERT_TRUE(log_->Sync().ok());
  ASSERT_TRUE(log_->Sync().ok());  // twice: still one mark
  AddBatch("e", 10);
  EXPECT_EQ(Types(), (std::vector<T>{T::kBatch, T::kBatch, T::kSyncMark, T::kBatch, T::kBatch,
                                     T::kSyncMark, T::kBatch}));
  // The first mark names the first sync's offset and sits right there.
  auto hit = Scan(0);
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->offset, synced);
  EXPECT_EQ(hit->synced, synced);
}

TEST_F(LsmSyncMarkTest, AMarkCoversOnlyDamageBeforeTheOffsetItNames) {
  const std::uint64_t first = AddBatch("a", 100);
  ASSERT_TRUE(log_->Sync().ok());
  const std::uint64_t synced = log_->size();
  const std::uint64_t second = AddBatch("b", 100);  // the mark precedes it
  const std::uint64_t third = AddBatch("c", 100);   // unsynced
  AddBatch("d", 100);
  auto hit = Scan(first);
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->synced, synced);
  EXPECT_LT(hit->offset, second);
  EXPECT_FALSE(Scan(second).has_value()) << "the batch after the mark was never synced";
  EXPECT_FALSE(Scan(third).has_value());
  EXPECT_FALSE(Scan(synced).has_value()) << "a mark never covers its own offset";
}

TEST_F(LsmSyncMarkTest, FoundAcrossChunkBoundariesAndAfterLargeRecords) {
  // Marks land at many offsets around the scanner's 256 KiB chunk boundaries.
  const std::uint64_t first = AddBatch("a", 10);
  ASSERT_TRUE(log_->Sync().ok());
  const std::uint64_t big = AddBatch("big", (std::size_t{256} << 10) - 40);
  for (int i = 0; i < 64; ++i) {
    ASSERT_TRUE(log_->Sync().ok());
    AddBatch("k" + std::to_string(i), 1);
  }
  auto hit = Scan(first);
  ASSERT_TRUE(hit.has_value());
  // Damage in the big batch: the marks that cover it lie about 256 KiB on.
  for (std::uint64_t damaged : {big, big + 1000, big + 200000}) {
    auto far = Scan(damaged);
    ASSERT_TRUE(far.has_value()) << damaged;
    EXPECT_GT(far->synced, damaged);
    EXPECT_GT(far->offset, big + (std::uint64_t{255} << 10));
  }
  // Damage just before the last mark's offset: only a mark after it covers it.
  ASSERT_TRUE(log_->Sync().ok());
  const std::uint64_t last_synced = log_->size();
  AddBatch("z", 1);
  auto last = Scan(last_synced - 1);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->synced, last_synced);
}

TEST_F(LsmSyncMarkTest, RandomBytesAreNotMarks) {
  // A file of bytes that look like mark headers but whose checksums fail.
  std::string junk;
  for (int i = 0; i < 4096; ++i) {
    char rec[kLogHeaderSize + kSyncMarkPayloadSize] = {};
    StoreU32(reinterpret_cast<std::uint8_t*>(rec), static_cast<std::uint32_t>(i * 2654435761u));
    StoreU32(reinterpret_cast<std::uint8_t*>(rec) + 4, kSyncMarkPayloadSize);
    rec[8] = static_cast<char>(LogRecordType::kSyncMark);
    StoreU64(reinterpret_cast<std::uint8_t*>(rec) + kLogHeaderSize, 1);
    junk.append(rec, sizeof rec);
  }
  ASSERT_TRUE(log_->AddRecord(LogRecordType::kValue, junk).ok());
  EXPECT_FALSE(Scan(0).has_value());
}

}  // namespace
}  // namespace larder::lsm
