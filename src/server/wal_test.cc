#include "server/wal.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/coding.h"
#include "larder/file_system.h"
#include "server/wal_record.h"
#include "testing/fault_injection_file_system.h"

namespace larder::server {
namespace {

constexpr char kWalDir[] = "/db";

// The batch of record `i`: a put whose value length varies with i, and a delete every third.
kv::WriteBatch Batch(std::uint64_t i) {
  kv::WriteBatch b;
  b.Put("k" + std::to_string(i), std::string(i * 7 % 50, static_cast<char>('a' + i % 26)));
  if (i % 3 == 0) b.Delete("gone" + std::to_string(i));
  return b;
}

std::string Describe(const kv::WriteBatch& b) {
  std::string out;
  for (const kv::WriteBatch::Entry& e : b) {
    out += (e.op == kv::WriteBatch::Op::kPut ? "P:" : "D:");
    out += std::string(e.key) + "=" + std::string(e.value) + ";";
  }
  return out;
}

struct Replayed {
  std::vector<std::uint64_t> seqs;
  std::vector<std::string> batches;
};

Result<std::unique_ptr<WriteAheadLog>> OpenLog(FileSystem* fs, std::uint64_t checkpoint,
                                               Replayed* out, WalOptions options = {}) {
  options.sync_interval_ms = 0;  // no background thread unless a test asks for one
  return WriteAheadLog::Open(fs, kWalDir, options, checkpoint,
                             [out](std::uint64_t seq, const kv::WriteBatch& b) {
                               out->seqs.push_back(seq);
                               out->batches.push_back(Describe(b));
                               return Status::Ok();
                             });
}

// Records from..to, in order, as Replayed should hold them.
Replayed Expected(std::uint64_t from, std::uint64_t to) {
  Replayed r;
  for (std::uint64_t i = from; i <= to; ++i) {
    r.seqs.push_back(i);
    r.batches.push_back(Describe(Batch(i)));
  }
  return r;
}

void ExpectReplayed(const Replayed& got, std::uint64_t from, std::uint64_t to) {
  const Replayed want = Expected(from, to);
  EXPECT_EQ(got.seqs, want.seqs);
  EXPECT_EQ(got.batches, want.batches);
}

void AppendRange(WriteAheadLog& log, std::uint64_t from, std::uint64_t to) {
  for (std::uint64_t i = from; i <= to; ++i) {
    auto seq = log.Append(Batch(i));
    ASSERT_TRUE(seq.ok()) << seq.status().ToString();
    ASSERT_EQ(*seq, i);
  }
}

void WriteFile(FileSystem* fs, const std::string& path, const std::string& bytes) {
  ASSERT_TRUE(fs->CreateDirs(kWalDir).ok());
  auto f = fs->Open(path, {.create = true});
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Truncate(0).ok());
  ASSERT_TRUE((*f)->WriteAt(0, AsBytes(bytes)).ok());
}

std::string LogPath(std::uint64_t first_seq) {
  return std::string(kWalDir) + "/" + WalFileName(first_seq);
}

// The bytes of records from..to, as the log writes them.
std::string Records(std::uint64_t from, std::uint64_t to) {
  std::string out;
  for (std::uint64_t i = from; i <= to; ++i) EXPECT_TRUE(AppendWalRecord(i, Batch(i), &out).ok());
  return out;
}

std::vector<std::string> LogFiles(FileSystem* fs) {
  std::vector<std::string> out;
  auto names = fs->ListDir(kWalDir);
  EXPECT_TRUE(names.ok());
  if (!names.ok()) return out;
  for (const std::string& name : *names) {
    std::uint64_t seq;
    if (ParseWalFileName(name, &seq)) out.push_back(name);
  }
  return out;
}

TEST(WalFileNameTest, RoundTripsAndRejectsOthers) {
  std::uint64_t seq = 0;
  EXPECT_EQ(WalFileName(42), "wal-00000000000000000042.log");
  EXPECT_TRUE(ParseWalFileName(WalFileName(42), &seq));
  EXPECT_EQ(seq, 42u);
  EXPECT_TRUE(ParseWalFileName(WalFileName(~std::uint64_t{0}), &seq));
  EXPECT_EQ(seq, ~std::uint64_t{0});
  EXPECT_FALSE(ParseWalFileName("wal-0000000000000000004x.log", &seq));
  EXPECT_FALSE(ParseWalFileName("wal-42.log", &seq));
  EXPECT_FALSE(ParseWalFileName("data.db", &seq));
  EXPECT_FALSE(ParseWalFileName("wal-99999999999999999999.log", &seq));  // overflows 64 bits
}

TEST(WalRecordTest, PayloadRoundTripsAndRejectsDamage) {
  kv::WriteBatch b;
  b.Put("", "empty key is the caller's problem");
  b.Put("k", std::string(300, '\xff'));
  b.Delete("d");
  std::string rec;
  ASSERT_TRUE(AppendWalRecord(9, b, &rec).ok());
  kv::WriteBatch out;
  ASSERT_TRUE(DecodeWalPayload(std::string_view(rec).substr(kWalHeaderSize), &out).ok());
  EXPECT_EQ(Describe(out), Describe(b));
  // Every proper prefix of the payload is refused, as are trailing bytes.
  const std::string payload = rec.substr(kWalHeaderSize);
  for (std::size_t n = 0; n < payload.size(); ++n) {
    EXPECT_TRUE(DecodeWalPayload(payload.substr(0, n), &out).IsCorruption()) << n;
  }
  EXPECT_TRUE(DecodeWalPayload(payload + "x", &out).IsCorruption());
}

TEST(WalTest, AppendsReplayInOrderAfterTheCheckpoint) {
  auto fs = NewMemFileSystem();
  {
    Replayed r;
    auto log = OpenLog(fs.get(), 0, &r);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    EXPECT_TRUE(r.seqs.empty());
    AppendRange(**log, 1, 6);
    EXPECT_EQ((*log)->last_seq(), 6u);
  }
  for (std::uint64_t checkpoint : {0, 3, 6}) {
    Replayed r;
    auto log = OpenLog(fs.get(), checkpoint, &r);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    ExpectReplayed(r, checkpoint + 1, 6);
    EXPECT_EQ((*log)->last_seq(), 6u);
    EXPECT_EQ((*log)->stats().replayed, 6 - checkpoint);
  }
}

TEST(WalTest, ReplayIsIdempotentAndAppendsContinueAcrossReopens) {
  auto fs = NewMemFileSystem();
  for (std::uint64_t round = 0; round < 4; ++round) {
    Replayed r;
    auto log = OpenLog(fs.get(), 0, &r);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    // Every reopen replays everything appended so far, the same way, and continues after it.
    ExpectReplayed(r, 1, round * 3);
    AppendRange(**log, round * 3 + 1, round * 3 + 3);
  }
  // Each open started a new file (except when the newest one was still empty).
  EXPECT_EQ(LogFiles(fs.get()).size(), 4u);
}

TEST(WalTest, ReopenWithoutAppendsReusesTheEmptyNewestFile) {
  auto fs = NewMemFileSystem();
  for (int i = 0; i < 3; ++i) {
    Replayed r;
    ASSERT_TRUE(OpenLog(fs.get(), 0, &r).ok());
  }
  EXPECT_EQ(LogFiles(fs.get()), std::vector<std::string>{WalFileName(1)});
}

// A log whose newest file ends at any byte offset (a crash while appending, or unsynced bytes
// lost) recovers exactly the whole records before the cut, truncates the rest and continues.
TEST(WalTest, TornTailAtEveryByteOffset) {
  const std::string bytes = Records(1, 4);
  std::vector<std::size_t> ends;  // ends[i]: the offset after record i + 1
  for (std::size_t pos = 0, i = 1; i <= 4; ++i) {
    pos += Records(i, i).size();
    ends.push_back(pos);
  }
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    auto fs = NewMemFileSystem();
    WriteFile(fs.get(), LogPath(1), bytes.substr(0, cut));
    std::uint64_t whole = 0;
    while (whole < ends.size() && ends[whole] <= cut) ++whole;
    const std::uint64_t good_end = whole == 0 ? 0 : ends[whole - 1];
    {
      Replayed r;
      auto log = OpenLog(fs.get(), 0, &r);
      ASSERT_TRUE(log.ok()) << log.status().ToString();
      ExpectReplayed(r, 1, whole);
      EXPECT_EQ((*log)->stats().dropped_bytes, cut - good_end);
      EXPECT_EQ(fs->FileSize(LogPath(1)).value(), good_end);
      AppendRange(**log, whole + 1, 6);
    }
    Replayed r;
    auto log = OpenLog(fs.get(), 0, &r);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    ExpectReplayed(r, 1, 6);
    EXPECT_EQ((*log)->stats().dropped_bytes, 0u);
  }
}

// Damage to any byte of the newest file stops the replay at the record holding it.
TEST(WalTest, DamagedByteStopsReplayAtItsRecord) {
  const std::string bytes = Records(1, 4);
  std::vector<std::size_t> ends;
  for (std::size_t pos = 0, i = 1; i <= 4; ++i) {
    pos += Records(i, i).size();
    ends.push_back(pos);
  }
  for (std::size_t at = 0; at < bytes.size(); ++at) {
    SCOPED_TRACE("damage at " + std::to_string(at));
    std::string damaged = bytes;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x20);
    auto fs = NewMemFileSystem();
    WriteFile(fs.get(), LogPath(1), damaged);
    std::uint64_t before = 0;  // records wholly before the damaged byte
    while (ends[before] <= at) ++before;
    Replayed r;
    auto log = OpenLog(fs.get(), 0, &r);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    ExpectReplayed(r, 1, before);
    EXPECT_EQ((*log)->last_seq(), before);
  }
}

TEST(WalTest, NeverReplaysPastAGap) {
  // wal-1 holds 1..3, wal-6 holds 6..7: records 4 and 5 are missing.
  auto fs = NewMemFileSystem();
  WriteFile(fs.get(), LogPath(1), Records(1, 3));
  WriteFile(fs.get(), LogPath(6), Records(6, 7));
  for (std::uint64_t checkpoint : {0, 2, 3, 4}) {
    Replayed r;
    auto log = OpenLog(fs.get(), checkpoint, &r);
    EXPECT_TRUE(log.status().IsCorruption()) << checkpoint;
    ExpectReplayed(r, checkpoint + 1, 3);  // nothing after the gap
  }
  // A checkpoint holding 4 and 5 closes the gap.
  Replayed r;
  auto log = OpenLog(fs.get(), 5, &r);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ExpectReplayed(r, 6, 7);
}

TEST(WalTest, OldestFileAfterTheCheckpointIsAGap) {
  auto fs = NewMemFileSystem();
  WriteFile(fs.get(), LogPath(5), Records(5, 6));
  Replayed r;
  EXPECT_TRUE(OpenLog(fs.get(), 3, &r).status().IsCorruption());
  EXPECT_TRUE(r.seqs.empty());
  ASSERT_TRUE(OpenLog(fs.get(), 4, &r).ok());
  ExpectReplayed(r, 5, 6);
}

TEST(WalTest, DamageInAnOlderFileIsAGapWhenTheNextFileDoesNotContinueIt) {
  auto fs = NewMemFileSystem();
  std::string first = Records(1, 3);
  first[first.size() - 3] ^= 1;  // record 3 damaged
  WriteFile(fs.get(), LogPath(1), first);
  WriteFile(fs.get(), LogPath(4), Records(4, 5));
  Replayed r;
  EXPECT_TRUE(OpenLog(fs.get(), 0, &r).status().IsCorruption());
  ExpectReplayed(r, 1, 2);
  // With record 3 checkpointed the damage is irrelevant.
  Replayed r2;
  ASSERT_TRUE(OpenLog(fs.get(), 3, &r2).ok());
  ExpectReplayed(r2, 4, 5);
}

TEST(WalTest, CheckpointAheadOfTheLogContinuesAfterTheCheckpoint) {
  // The engine checkpointed 1..4 but the log lost its unsynced record 4 (the power failed before
  // the rotation): appends must continue at 5, never reuse 4.
  auto fs = NewMemFileSystem();
  WriteFile(fs.get(), LogPath(1), Records(1, 3));
  {
    Replayed r;
    auto log = OpenLog(fs.get(), 4, &r);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    EXPECT_TRUE(r.seqs.empty());
    EXPECT_EQ((*log)->last_seq(), 4u);
    AppendRange(**log, 5, 6);
  }
  Replayed r;
  auto log = OpenLog(fs.get(), 4, &r);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ExpectReplayed(r, 5, 6);
}

TEST(WalTest, RotationDeletesCheckpointedFilesAndKeepsTheLogBounded) {
  auto fs = NewMemFileSystem();
  Replayed r;
  auto log = OpenLog(fs.get(), 0, &r);
  ASSERT_TRUE(log.ok());
  WriteAheadLog& wal = **log;
  for (std::uint64_t round = 0; round < 5; ++round) {
    AppendRange(wal, round * 4 + 1, round * 4 + 4);
    EXPECT_GT(wal.log_bytes(), 0u);
    ASSERT_TRUE(wal.Rotate(round * 4 + 4).ok());
    EXPECT_EQ(wal.log_bytes(), 0u);
    EXPECT_EQ(LogFiles(fs.get()), std::vector<std::string>{WalFileName(round * 4 + 5)});
    EXPECT_EQ(wal.stats().durable_seq, round * 4 + 4);
  }
  // Rotating an empty log starts no new file.
  ASSERT_TRUE(wal.Rotate(20).ok());
  EXPECT_EQ(wal.stats().rotations, 5u);
  EXPECT_EQ(LogFiles(fs.get()), std::vector<std::string>{WalFileName(21)});
  AppendRange(wal, 21, 22);
  log->reset();
  Replayed after;
  ASSERT_TRUE(OpenLog(fs.get(), 20, &after).ok());
  ExpectReplayed(after, 21, 22);
  // The checkpointed records are gone: a checkpoint older than them is a gap.
  Replayed old;
  EXPECT_TRUE(OpenLog(fs.get(), 10, &old).status().IsCorruption());
}

TEST(WalTest, RotationBehindTheLastRecordKeepsAndSyncsItsFile) {
  auto fs = NewMemFileSystem();
  Replayed r;
  auto log = OpenLog(fs.get(), 0, &r);
  ASSERT_TRUE(log.ok());
  AppendRange(**log, 1, 5);
  ASSERT_TRUE((*log)->Rotate(3).ok());
  EXPECT_EQ((*log)->stats().durable_seq, 5u);  // 4 and 5 synced before leaving their file
  EXPECT_EQ(LogFiles(fs.get()).size(), 2u);
  AppendRange(**log, 6, 7);
  ASSERT_TRUE((*log)->Rotate(7).ok());
  EXPECT_EQ(LogFiles(fs.get()), std::vector<std::string>{WalFileName(8)});
  log->reset();
  Replayed before;
  ASSERT_TRUE(OpenLog(fs.get(), 7, &before).ok());
  EXPECT_TRUE(before.seqs.empty());
}

TEST(WalTest, RotateRefusesACheckpointPastTheLog) {
  auto fs = NewMemFileSystem();
  Replayed r;
  auto log = OpenLog(fs.get(), 0, &r);
  ASSERT_TRUE(log.ok());
  AppendRange(**log, 1, 2);
  EXPECT_TRUE((*log)->Rotate(3).IsInvalidArgument());
}

TEST(WalTest, RecoveryFromCheckpointedOldFilesSkipsThemUnread) {
  // wal-1 is damaged garbage but wholly checkpointed (wal-4 follows at 4 <= checkpoint + 1).
  auto fs = NewMemFileSystem();
  WriteFile(fs.get(), LogPath(1), "garbage that is not a record");
  WriteFile(fs.get(), LogPath(4), Records(4, 5));
  Replayed r;
  auto log = OpenLog(fs.get(), 3, &r);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ExpectReplayed(r, 4, 5);
  EXPECT_EQ((*log)->stats().dropped_bytes, 0u);
  ASSERT_TRUE((*log)->Rotate(5).ok());
  EXPECT_EQ(LogFiles(fs.get()), std::vector<std::string>{WalFileName(6)});
}

TEST(WalTest, ReplayErrorStopsOpen) {
  auto fs = NewMemFileSystem();
  WriteFile(fs.get(), LogPath(1), Records(1, 3));
  int calls = 0;
  auto log = WriteAheadLog::Open(fs.get(), kWalDir, {.sync_interval_ms = 0}, 0,
                                 [&calls](std::uint64_t seq, const kv::WriteBatch&) {
                                   ++calls;
                                   return seq == 2 ? Status::IOError("engine") : Status::Ok();
                                 });
  EXPECT_TRUE(log.status().IsIOError());
  EXPECT_EQ(calls, 2);
}

TEST(WalTest, ModesDecideWhatWaitDurableSyncs) {
  FaultInjectionFileSystem fs;
  Replayed r;
  auto log = OpenLog(&fs, 0, &r, {.mode = AppendFsync::kNo});
  ASSERT_TRUE(log.ok());
  WriteAheadLog& wal = **log;
  AppendRange(wal, 1, 2);
  ASSERT_TRUE(wal.WaitDurable(2).ok());
  EXPECT_EQ(wal.stats().syncs, 0u);
  EXPECT_EQ(wal.ReadBarrierSeq(), 0u);  // reads wait for a sync only under always
  wal.SetMode(AppendFsync::kEverySec);
  EXPECT_EQ(wal.ReadBarrierSeq(), 0u);
  EXPECT_EQ(wal.mode(), AppendFsync::kEverySec);
  ASSERT_TRUE(wal.WaitDurable(2).ok());
  EXPECT_EQ(wal.stats().syncs, 0u);
  wal.SetMode(AppendFsync::kAlways);
  EXPECT_EQ(wal.ReadBarrierSeq(), 2u);
  ASSERT_TRUE(wal.WaitDurable(1).ok());
  EXPECT_EQ(wal.stats().syncs, 1u);
  EXPECT_EQ(wal.stats().durable_seq, 2u);  // the sync covered everything appended before it
  EXPECT_EQ(wal.ReadBarrierSeq(), 0u);
  ASSERT_TRUE(wal.WaitDurable(2).ok());  // already durable: no second sync
  EXPECT_EQ(wal.stats().syncs, 1u);
  // What WaitDurable made durable survives a power loss whatever happens to unsynced bytes.
  AppendRange(wal, 3, 3);  // not synced
  log->reset();
  fs.PowerLoss(7);
  Replayed after;
  ASSERT_TRUE(OpenLog(&fs, 0, &after).ok());
  ASSERT_GE(after.seqs.size(), 2u);
  after.seqs.resize(2);
  after.batches.resize(2);
  ExpectReplayed(after, 1, 2);
}

// Records replayed after a kill -9 may have been in the page cache only; later records synced
// in a newer file must not outlive them (a power loss would leave a gap).
TEST(WalTest, RecoverySyncsWhatItReplayedBeforeTheLogContinues) {
  FaultInjectionFileSystem fs;
  {
    Replayed r;
    auto log = OpenLog(&fs, 0, &r, {.mode = AppendFsync::kEverySec});
    ASSERT_TRUE(log.ok());
    AppendRange(**log, 1, 3);  // never synced; the process dies
  }
  {
    Replayed r;
    auto log = OpenLog(&fs, 0, &r, {.mode = AppendFsync::kAlways});
    ASSERT_TRUE(log.ok());
    ExpectReplayed(r, 1, 3);
    AppendRange(**log, 4, 5);
    ASSERT_TRUE((*log)->WaitDurable(5).ok());
  }
  auto state = fs.Save();
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    fs.PowerLoss(*state, seed);
    Replayed r;
    auto log = OpenLog(&fs, 0, &r);
    ASSERT_TRUE(log.ok()) << "seed " << seed << ": " << log.status().ToString();
    ExpectReplayed(r, 1, 5);
  }
}

TEST(WalTest, ErrorsAreSticky) {
  FaultInjectionFileSystem fs;
  Replayed r;
  auto log = OpenLog(&fs, 0, &r, {.mode = AppendFsync::kAlways});
  ASSERT_TRUE(log.ok());
  WriteAheadLog& wal = **log;
  AppendRange(wal, 1, 1);
  fs.FailNth(FaultInjectionFileSystem::Op::kSync, 1, /*persistent=*/false);
  EXPECT_TRUE(wal.WaitDurable(1).IsIOError());
  EXPECT_EQ(fs.injected_faults(), 1u);
  // The fault is gone, the error stays: the file's state is unknown until recovery.
  EXPECT_TRUE(wal.Append(Batch(2)).status().IsIOError());
  EXPECT_TRUE(wal.WaitDurable(1).IsIOError());
  EXPECT_TRUE(wal.Sync().IsIOError());
  EXPECT_TRUE(wal.Rotate(1).IsIOError());
}

TEST(WalTest, FailedAppendWriteIsSticky) {
  FaultInjectionFileSystem fs;
  Replayed r;
  auto log = OpenLog(&fs, 0, &r);
  ASSERT_TRUE(log.ok());
  fs.FailNth(FaultInjectionFileSystem::Op::kWrite, 1, /*persistent=*/false, 28 /* ENOSPC */);
  EXPECT_FALSE((*log)->Append(Batch(1)).ok());
  EXPECT_FALSE((*log)->Append(Batch(1)).ok());
  EXPECT_EQ((*log)->last_seq(), 0u);
}

}  // namespace
}  // namespace larder::server
