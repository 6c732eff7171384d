// The engine-neutral model test (tests/util/kv_model.h) over the LSM engine, with memtables
// small enough that every run flushes, compacts and reopens many times; with and without
// key-value separation, with tables cut at key prefixes, on the in-memory file system and on a
// real directory.
#include <gtest/gtest.h>

#include <iostream>
#include <memory>

#include "larder/file_system.h"
#include "larder/lsm/db.h"
#include "tests/util/kv_model.h"
#include "tests/util/temp_dir.h"

namespace larder::lsm {
namespace {

struct LsmModelCase {
  const char* name;
  std::size_t value_threshold;
  bool transactions;
  std::size_t cut_prefix_length = 0;
};

Options TinyOptions(FileSystem* fs, std::size_t value_threshold,
                    std::size_t cut_prefix_length = 0) {
  Options o;
  o.file_system = fs;
  o.write_buffer_size = 16 << 10;  // a flush every few dozen writes
  o.value_threshold = value_threshold;
  o.target_file_size = 8 << 10;
  o.max_bytes_for_level_base = 32 << 10;
  o.level0_compaction_trigger = 2;
  o.block_size = 512;
  o.block_cache_bytes = 64 << 10;
  o.max_open_tables = 8;  // the table cache evicts
  o.table_cut_prefix_length = cut_prefix_length;
  return o;
}

class LsmModelTest : public ::testing::TestWithParam<LsmModelCase> {};

TEST_P(LsmModelTest, MatchesStdMapAcrossFlushesCompactionsAndReopens) {
  const LsmModelCase& c = GetParam();
  std::unique_ptr<FileSystem> fs = NewMemFileSystem(std::size_t{64} << 20);
  const Options options = TinyOptions(fs.get(), c.value_threshold, c.cut_prefix_length);
  test::KVOpener open = [&]() -> Result<std::unique_ptr<kv::Store>> {
    LARDER_ASSIGN_OR_RETURN(std::unique_ptr<DB> db, DB::Open("/model", options));
    return std::unique_ptr<kv::Store>(std::move(db));
  };
  test::KVModelOptions mo;
  mo.seed = test::ModelSeed(16);
  mo.steps = 2500;
  mo.reopen_every = 400;
  mo.large = 3000;
  mo.transactions = c.transactions;
  test::KVModelStats st = test::RunKVModel(open, mo);
  std::cerr << c.name << ": " << st.ops << " ops, " << st.reopens << " reopens, "
            << st.snapshot_checks << " snapshot checks, " << st.max_keys << " keys at most\n";
  EXPECT_GT(st.reopens, 3u);
  EXPECT_GT(st.snapshot_checks, 0u);
  EXPECT_GT(st.skips, 0u);
  if (c.transactions) {
    EXPECT_GT(st.tx_commits, 0u);
    EXPECT_GT(st.takes, 0u);
  }

  // The run must have exercised the background work it claims to cover.
  auto db = DB::Open("/model", options);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE((*db)->Flush().ok());
  ASSERT_TRUE((*db)->CompactRange(std::nullopt, std::nullopt).ok());
  Stats stats = (*db)->GetStats();
  EXPECT_GT(stats.flushes, 0u);
  EXPECT_GT(stats.compactions, 0u);
  ASSERT_TRUE((*db)->Close().ok());
}

INSTANTIATE_TEST_SUITE_P(Cases, LsmModelTest,
                         ::testing::Values(LsmModelCase{"inline", 0, false},
                                           LsmModelCase{"pointers", 100, false},
                                           LsmModelCase{"transactions", 200, true},
                                           // Tables cut at every first byte (the model's
                                           // keys use 7).
                                           LsmModelCase{"cut_prefix", 100, false, 1}),
                         [](const ::testing::TestParamInfo<LsmModelCase>& info) {
                           return info.param.name;
                         });

TEST(LsmModelDiskTest, MatchesStdMapOnARealDirectory) {
  test::TempDir dir;
  const Options options = TinyOptions(nullptr, 1000);
  const std::string path = dir.File("db");
  test::KVOpener open = [&]() -> Result<std::unique_ptr<kv::Store>> {
    LARDER_ASSIGN_OR_RETURN(std::unique_ptr<DB> db, DB::Open(path, options));
    return std::unique_ptr<kv::Store>(std::move(db));
  };
  test::KVModelOptions mo;
  mo.seed = test::ModelSeed(61);
  mo.steps = 1500;
  mo.reopen_every = 300;
  test::KVModelStats st = test::RunKVModel(open, mo);
  EXPECT_GT(st.reopens, 3u);
}

}  // namespace
}  // namespace larder::lsm
