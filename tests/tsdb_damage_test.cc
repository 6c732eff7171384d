// Damaged files of the time-series engine: every file of a closed engine (datafiles, journals,
// series.meta, the hot log of a crashed one) gets bytes flipped or its tail cut, and the engine
// must answer with a clear error (Corruption naming the file) or open and skip the damaged
// range, never crash or return wrong samples: a query answers Corruption or returns samples
// that are all in the original data, and Check counts the damaged extents.
#include <gtest/gtest.h>

#include <bit>
#include <map>
#include <random>

#include "base/coding.h"
#include "larder/file_system.h"
#include "larder/tsdb/db.h"

namespace larder::tsdb {
namespace {

using Files = std::map<std::string, std::string>;

Options DamageOptions(FileSystem* fs) {
  Options o;
  o.file_system = fs;
  o.hot_log_sync_ms = 0;
  o.background_flush = false;
  o.page_samples = 32;
  o.max_pages_per_extent = 3;
  o.datafile_bytes_for_testing = 2048;
  return o;
}

Files ReadAll(FileSystem* fs) {
  Files files;
  const std::vector<std::string> names = *fs->ListDir("/d");
  for (const std::string& n : names) {
    auto f = std::move(*fs->Open("/d/" + n, {.read_only = true}));
    std::string data(*f->Size(), '\0');
    EXPECT_TRUE(f->ReadAt(0, {reinterpret_cast<std::uint8_t*>(data.data()), data.size()}).ok());
    files[n] = data;
  }
  return files;
}

std::unique_ptr<FileSystem> WriteAll(const Files& files) {
  auto fs = NewMemFileSystem(std::size_t{1} << 24);
  EXPECT_TRUE(fs->CreateDirs("/d").ok());
  for (const auto& [n, data] : files) {
    auto f = std::move(*fs->Open("/d/" + n, {.create = true}));
    EXPECT_TRUE(f->WriteAt(0, AsBytes(data)).ok());
  }
  return fs;
}

TEST(TsdbDamageTest, DamagedFilesGiveAnErrorOrASkippedRange) {
  auto fs = NewMemFileSystem(std::size_t{1} << 24);
  std::map<std::pair<SeriesId, std::int64_t>, std::uint64_t> truth;
  {
    auto db = std::move(*DB::Open("/d", DamageOptions(fs.get())));
    std::mt19937_64 rng(5);
    for (int s = 0; s < 3; ++s) ASSERT_TRUE(db->CreateSeries("s" + std::to_string(s), 1000).ok());
    for (int i = 0; i < 400; ++i) {
      for (SeriesId s = 0; s < 3; ++s) {
        const double v =
            s == 2 ? std::bit_cast<double>(rng()) : static_cast<double>(rng() % 1000) / 10;
        ASSERT_TRUE(db->Add(s, i * 1000, v).ok());
        truth[{s, i * 1000}] = std::bit_cast<std::uint64_t>(v);
      }
      if (i == 390) {
        ASSERT_TRUE(db->SyncHotLog().ok());
      }
    }
    // Keep a crashed copy's hot log too: copy the files before Close.
    Files crashed = ReadAll(fs.get());
    ASSERT_TRUE(db->Close().ok());
    Files closed = ReadAll(fs.get());
    for (const auto& [n, data] : crashed) {
      if (n.starts_with("hotlog-")) closed[n] = data;
    }
    fs = WriteAll(closed);
  }
  const Files pristine = ReadAll(fs.get());
  ASSERT_GE(pristine.size(), 8u);
  std::mt19937_64 rng(11);
  int opened = 0, refused = 0, corrupt_queries = 0, checked_bad = 0;
  for (const auto& [name, data] : pristine) {
    if (data.empty()) continue;
    for (int round = 0; round < 12; ++round) {
      Files damaged = pristine;
      std::string& d = damaged[name];
      if (round % 3 == 2) {
        d.resize(rng() % d.size());
      } else {
        for (int k = 0; k < 1 + round % 3; ++k)
          d[rng() % d.size()] ^= static_cast<char>(1 + rng() % 255);
      }
      auto dfs = WriteAll(damaged);
      auto db = DB::Open("/d", DamageOptions(dfs.get()));
      if (!db.ok()) {
        ++refused;
        EXPECT_NE(db.status().ToString().find("/d/"), std::string::npos) << db.status().ToString();
        continue;
      }
      ++opened;
      for (SeriesId s = 0; s < 3; ++s) {
        std::vector<Sample> got;
        const Status st = (*db)->Range(s, 0, kMaxTime, {}, &got);
        if (!st.ok()) {
          // A cut series.meta loses the series it held (a torn tail): NotFound.
          EXPECT_TRUE(st.IsCorruption() || (st.IsNotFound() && name == "series.meta"))
              << name << ": " << st.ToString();
          ++corrupt_queries;
          continue;
        }
        for (const Sample& x : got) {
          auto it = truth.find({s, x.time_ms});
          ASSERT_NE(it, truth.end()) << name << ": a sample that was never added";
          EXPECT_EQ(it->second, std::bit_cast<std::uint64_t>(x.value)) << name;
        }
      }
      std::uint64_t problems = 0;
      if (!(*db)->Check(&problems).ok()) ++checked_bad;
      if (name.starts_with("datafile-") && round % 3 != 2) {
        EXPECT_GT(problems, 0u) << name << ": a flipped datafile byte went unnoticed";
      }
      EXPECT_TRUE((*db)->Close().ok());
    }
  }
  std::cerr << "tsdb damage: " << opened << " opened, " << refused << " refused, "
            << corrupt_queries << " queries answered Corruption, " << checked_bad
            << " checks found damage\n";
  EXPECT_GT(opened, 0);
  EXPECT_GT(corrupt_queries, 0);
  EXPECT_GT(refused, 0);
}

}  // namespace
}  // namespace larder::tsdb
