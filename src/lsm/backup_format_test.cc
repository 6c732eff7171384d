#include "lsm/backup_format.h"

#include <gtest/gtest.h>

#include <string>

#include "larder/file_system.h"
#include "lsm/manifest_log.h"

namespace larder::lsm {
namespace {

std::string SampleBackup(SequenceNumber since) {
  std::string b = EncodeBackupHeader(42, since);
  AppendBackupEntry(&b, {BackupKind::kPut, "apple", 0, "red"});
  AppendBackupEntry(&b, {BackupKind::kPutExpiring, "eel", 1700000000000, std::string(300, 'e')});
  AppendBackupEntry(&b, {since != 0 ? BackupKind::kUnchanged : BackupKind::kPut, "fig", 0,
                         since != 0 ? "" : "purple"});
  AppendBackupEnd(&b, 3);
  return b;
}

TEST(LsmBackupFormatTest, RoundTrips) {
  ParsedBackup p;
  const std::string backup = SampleBackup(7);  // p's entries view it
  ASSERT_TRUE(ParseBackup(backup, "x", &p).ok());
  EXPECT_EQ(p.sequence, 42u);
  EXPECT_EQ(p.since, 7u);
  ASSERT_EQ(p.entries.size(), 3u);
  EXPECT_EQ(p.entries[0].key, "apple");
  EXPECT_EQ(p.entries[0].value, "red");
  EXPECT_EQ(p.entries[1].kind, BackupKind::kPutExpiring);
  EXPECT_EQ(p.entries[1].expires, 1700000000000u);
  EXPECT_EQ(p.entries[2].kind, BackupKind::kUnchanged);
}

TEST(LsmBackupFormatTest, EveryFlipAndTruncationIsCorruption) {
  const std::string good = SampleBackup(0);
  ParsedBackup p;
  for (std::size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x20);
    Status s = ParseBackup(bad, "f", &p);
    EXPECT_TRUE(s.IsCorruption()) << "flip at " << i << ": " << s.ToString();
    s = ParseBackup(std::string_view(good).substr(0, i), "f", &p);
    EXPECT_TRUE(s.IsCorruption()) << "cut at " << i << ": " << s.ToString();
  }
  Status s = ParseBackup(good + "x", "the.file", &p);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(s.ToString().find("the.file"), std::string::npos) << s.ToString();
}

// Writes the seed corpus of fuzz/fuzz_lsm_backup.cc into fuzz/corpus/lsm_backup (run by hand
// with --gtest_also_run_disabled_tests --gtest_filter='*WriteBackupFuzzCorpus').
TEST(LsmBackupFormatTest, DISABLED_WriteBackupFuzzCorpus) {
  const std::string dir = std::string(LARDER_SOURCE_DIR) + "/fuzz/corpus/lsm_backup/";
  FileSystem* disk = DefaultFileSystem();
  ASSERT_TRUE(disk->CreateDirs(dir).ok());
  std::string empty = EncodeBackupHeader(0, 0);
  AppendBackupEnd(&empty, 0);
  ASSERT_TRUE(WriteWholeFile(disk, dir + "empty", empty).ok());
  ASSERT_TRUE(WriteWholeFile(disk, dir + "full", SampleBackup(0)).ok());
  ASSERT_TRUE(WriteWholeFile(disk, dir + "incremental", SampleBackup(7)).ok());
  ASSERT_TRUE(WriteWholeFile(disk, dir + "truncated", SampleBackup(0).substr(0, 60)).ok());
}

}  // namespace
}  // namespace larder::lsm
