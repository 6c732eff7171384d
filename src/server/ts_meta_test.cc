// ts_meta: the TS.* metadata log round-trips (the last record of a series wins), a torn last
// record is dropped and reported, and damage before it is Corruption naming the file.
#include "server/ts_meta.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace larder::server {
namespace {

TsMetaTable SampleTable() {
  TsMetaTable t;
  t["cpu"] = TsSeriesMeta{60000, DuplicatePolicy::kMax, {{"host", "a"}, {"dc", "x"}}, {}};
  t["cpu"].rules.push_back({"cpu_1m", tsdb::Aggregation::kStdP, 60000, 5});
  t["empty"] = TsSeriesMeta{};
  return t;
}

class TsMetaTest : public ::testing::Test {
 protected:
  TsMetaTest() { EXPECT_TRUE(fs_->CreateDirs("/d").ok()); }
  std::unique_ptr<File> OpenFile() { return std::move(*fs_->Open("/d/meta", OpenOptions{})); }
  std::unique_ptr<FileSystem> fs_ = NewMemFileSystem();
};

TEST_F(TsMetaTest, MissingFileRewriteAppendRoundTrip) {
  Result<TsMetaLog> none = LoadTsMeta(fs_.get(), "/d/meta");
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_FALSE(none->exists);
  EXPECT_TRUE(none->table.empty());
  ASSERT_TRUE(RewriteTsMeta(fs_.get(), "/d/meta", SampleTable()).ok());
  TsMetaTable want = SampleTable();
  want["cpu"].labels.clear();
  want["new"].retention_ms = 7;
  ASSERT_TRUE(AppendTsMeta(fs_.get(), "/d/meta", "cpu", want["cpu"]).ok());
  ASSERT_TRUE(AppendTsMeta(fs_.get(), "/d/meta", "new", want["new"]).ok());
  Result<TsMetaLog> back = LoadTsMeta(fs_.get(), "/d/meta");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->table, want);
  EXPECT_EQ(back->records, 4u);
  EXPECT_FALSE(back->torn_tail);
  // A rewrite keeps one record per series.
  ASSERT_TRUE(RewriteTsMeta(fs_.get(), "/d/meta", back->table).ok());
  back = LoadTsMeta(fs_.get(), "/d/meta");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->table, want);
  EXPECT_EQ(back->records, 3u);
}

// A deletion record removes the name (DEL of a series); a later record brings it back.
TEST_F(TsMetaTest, DeletionRecordRemovesTheName) {
  ASSERT_TRUE(RewriteTsMeta(fs_.get(), "/d/meta", SampleTable()).ok());
  ASSERT_TRUE(AppendTsMetaDeletion(fs_.get(), "/d/meta", "cpu").ok());
  ASSERT_TRUE(AppendTsMetaDeletion(fs_.get(), "/d/meta", "empty").ok());
  ASSERT_TRUE(AppendTsMeta(fs_.get(), "/d/meta", "empty", TsSeriesMeta{5, {}, {}, {}}).ok());
  Result<TsMetaLog> back = LoadTsMeta(fs_.get(), "/d/meta");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  TsMetaTable want;
  want["empty"].retention_ms = 5;
  EXPECT_EQ(back->table, want);
  EXPECT_EQ(back->records, 5u);
}

TEST_F(TsMetaTest, TornLastRecordIsDroppedAtEveryCut) {
  ASSERT_TRUE(RewriteTsMeta(fs_.get(), "/d/meta", SampleTable()).ok());
  const std::uint64_t whole = *OpenFile()->Size();
  TsSeriesMeta later;
  later.retention_ms = 99;
  ASSERT_TRUE(AppendTsMeta(fs_.get(), "/d/meta", "later", later).ok());
  const std::uint64_t size = *OpenFile()->Size();
  for (std::uint64_t cut = whole + 1; cut < size; ++cut) {
    ASSERT_TRUE(OpenFile()->Truncate(cut).ok());
    Result<TsMetaLog> log = LoadTsMeta(fs_.get(), "/d/meta");
    ASSERT_TRUE(log.ok()) << cut << ": " << log.status().ToString();
    EXPECT_TRUE(log->torn_tail) << cut;
    EXPECT_EQ(log->table, SampleTable()) << cut;
    ASSERT_TRUE(RewriteTsMeta(fs_.get(), "/d/meta", SampleTable()).ok());
    ASSERT_TRUE(AppendTsMeta(fs_.get(), "/d/meta", "later", later).ok());
  }
}

TEST_F(TsMetaTest, FlippedBytesBeforeTheLastRecordAreCorruptionNamingTheFile) {
  ASSERT_TRUE(RewriteTsMeta(fs_.get(), "/d/meta", SampleTable()).ok());
  ASSERT_TRUE(AppendTsMeta(fs_.get(), "/d/meta", "last", TsSeriesMeta{}).ok());
  std::unique_ptr<File> file = OpenFile();
  const std::uint64_t size = *file->Size();
  const std::uint64_t last_record = size - 8 - 1 - 4 - 1 - 1 - 1 - 1;  // "last", defaults
  for (std::uint64_t at = 0; at < last_record; ++at) {
    std::uint8_t b[1];
    ASSERT_TRUE(file->ReadAt(at, b).ok());
    const std::uint8_t flipped[1] = {static_cast<std::uint8_t>(b[0] ^ 0x41)};
    ASSERT_TRUE(file->WriteAt(at, flipped).ok());
    Result<TsMetaLog> log = LoadTsMeta(fs_.get(), "/d/meta");
    // A flipped length may make a record look cut short (torn); nothing is returned as valid
    // that was not written.
    if (log.ok()) {
      EXPECT_TRUE(log->torn_tail) << "byte " << at;
      EXPECT_EQ(log->table.count("last"), 0u) << "byte " << at;
    } else {
      EXPECT_TRUE(log.status().IsCorruption()) << "byte " << at;
      EXPECT_NE(log.status().message().find("/d/meta"), std::string::npos);
    }
    ASSERT_TRUE(file->WriteAt(at, b).ok());
  }
  Result<TsMetaLog> log = LoadTsMeta(fs_.get(), "/d/meta");
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->table.size(), 3u);
}

}  // namespace
}  // namespace larder::server
