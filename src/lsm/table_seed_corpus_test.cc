// Writes the seed corpora of fuzz/fuzz_lsm_table.cc and fuzz/fuzz_lsm_block.cc (a few small
// tables and blocks covering every codec, restart intervals, range deletions, no filter).
// Disabled: run it by hand after a format change, then commit the files:
//   build-dev/bin/larder_tests --gtest_also_run_disabled_tests
//       --gtest_filter='LsmTableSeedCorpus.*'
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "lsm/block_builder.h"
#include "lsm/table_test_util.h"

namespace larder::lsm {
namespace {

void WriteSeed(const std::string& corpus, const std::string& name, const std::string& bytes) {
  const auto dir = std::filesystem::path(LARDER_SOURCE_DIR) / "fuzz/corpus" / corpus;
  std::filesystem::create_directories(dir);
  ASSERT_LT(bytes.size(), 64u * 1024) << name;
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

TEST(LsmTableSeedCorpus, DISABLED_Write) {
  struct Seed {
    const char* name;
    int entries;
    Compression compression;
    int bits_per_key;
    int restart_interval;
    bool range_dels;
  };
  const Seed seeds[] = {
      {"empty", 0, Compression::kNone, 10, 16, false},
      {"one", 1, Compression::kNone, 10, 16, false},
      {"plain", 60, Compression::kNone, 10, 4, true},
      {"lz4", 80, Compression::kLz4, 10, 16, false},
      {"zstd", 80, Compression::kZstd, 10, 8, true},
      {"nofilter", 30, Compression::kNone, 0, 1, false},
  };
  for (const Seed& s : seeds) {
    std::mt19937_64 rng(static_cast<std::uint64_t>(s.entries) * 17 + s.restart_interval);
    const table_test::Model m = table_test::RandomModel(rng, s.entries, s.entries + 1);
    TableOptions o;
    o.block_size = 512;
    o.compression = s.compression;
    o.bloom_bits_per_key = s.bits_per_key;
    o.restart_interval = s.restart_interval;
    table_test::RangeDels rd;
    if (s.range_dels) {
      std::string k;
      AppendInternalKey(&k, "user2", 99, ValueType::kRangeDeletion);
      rd.emplace_back(k, "user4");
    }
    table_test::Built b;
    table_test::Build(&b, m, o, rd);
    ASSERT_TRUE(b.status.ok());
    WriteSeed("lsm_table", s.name, table_test::Contents(b));

    // The first data block of the same model, alone.
    BlockBuilder block(s.restart_interval);
    for (const auto& [k, v] : m) {
      if (block.CurrentSizeEstimate() > 600) break;
      block.Add(k, v);
    }
    WriteSeed("lsm_block", s.name, std::string(block.Finish()));
  }
}

}  // namespace
}  // namespace larder::lsm
