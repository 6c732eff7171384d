// ts_meta: the TS.* metadata table round-trips, and a damaged file is Corruption naming it.
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

TEST(TsMetaTest, MissingFileIsEmptyAndSaveRoundTrips) {
  std::unique_ptr<FileSystem> fs = NewMemFileSystem();
  ASSERT_TRUE(fs->CreateDirs("/d").ok());
  Result<TsMetaTable> none = LoadTsMeta(fs.get(), "/d/meta");
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());
  ASSERT_TRUE(SaveTsMeta(fs.get(), "/d/meta", SampleTable()).ok());
  Result<TsMetaTable> back = LoadTsMeta(fs.get(), "/d/meta");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, SampleTable());
  // A smaller table replaces it entirely.
  TsMetaTable one;
  one["x"].retention_ms = 1;
  ASSERT_TRUE(SaveTsMeta(fs.get(), "/d/meta", one).ok());
  back = LoadTsMeta(fs.get(), "/d/meta");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, one);
}

TEST(TsMetaTest, EveryFlippedByteIsCorruptionNamingTheFile) {
  std::unique_ptr<FileSystem> fs = NewMemFileSystem();
  ASSERT_TRUE(fs->CreateDirs("/d").ok());
  ASSERT_TRUE(SaveTsMeta(fs.get(), "/d/meta", SampleTable()).ok());
  OpenOptions rw;
  auto file = fs->Open("/d/meta", rw);
  ASSERT_TRUE(file.ok());
  const std::uint64_t size = *(*file)->Size();
  for (std::uint64_t at = 0; at < size; ++at) {
    std::uint8_t b[1];
    ASSERT_TRUE((*file)->ReadAt(at, b).ok());
    const std::uint8_t flipped[1] = {static_cast<std::uint8_t>(b[0] ^ 0x41)};
    ASSERT_TRUE((*file)->WriteAt(at, flipped).ok());
    Result<TsMetaTable> t = LoadTsMeta(fs.get(), "/d/meta");
    EXPECT_TRUE(t.status().IsCorruption()) << "byte " << at;
    EXPECT_NE(t.status().message().find("/d/meta"), std::string::npos);
    ASSERT_TRUE((*file)->WriteAt(at, b).ok());
  }
  ASSERT_TRUE((*file)->Truncate(size - 3).ok());
  EXPECT_TRUE(LoadTsMeta(fs.get(), "/d/meta").status().IsCorruption());
}

}  // namespace
}  // namespace larder::server
