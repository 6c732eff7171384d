// The db_bench-compatible runner: its result lines (against lines of Debian's db_bench 7.8.3),
// its keys, and each benchmark's effect over a real kv::Store (bolt's adapter, no sync).
#include "db_bench.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "larder/bolt/kv.h"
#include "tests/util/temp_dir.h"

namespace larder::cli {
namespace {

TEST(LsmDbBenchLineTest, MatchesDbBench) {
  // db_bench: "fillseq      :       2.977 micros/op 335767 ops/sec 0.060 seconds 20000
  // operations;   37.1 MB/s" (one thread: summed time = wall time).
  EXPECT_EQ(FormatDbBenchLine("fillseq", 0.05954, 0.05954, 20000, 20000 * 116, ""),
            "fillseq      :       2.977 micros/op 335908 ops/sec 0.060 seconds 20000 "
            "operations;   37.2 MB/s\n");
  EXPECT_EQ(FormatDbBenchLine("deleterandom", 0.13, 0.13, 20000, 0, ""),
            "deleterandom :       6.500 micros/op 153846 ops/sec 0.130 seconds 20000 "
            "operations;\n");
  EXPECT_EQ(FormatDbBenchLine("seekrandom", 0.1, 0.1, 20000, 0, "(7016 of 20000 found)\n"),
            "seekrandom   :       5.000 micros/op 200000 ops/sec 0.100 seconds 20000 "
            "operations; (7016 of 20000 found)\n\n");
  EXPECT_EQ(FormatDbBenchLine("readwhilewriting", 2.0, 1.0, 1000, 1048576, "(1 of 2 found)\n"),
            "readwhilewriting :    2000.000 micros/op 1000 ops/sec 1.000 seconds 1000 "
            "operations;    1.0 MB/s (1 of 2 found)\n\n");
  // No operation: db_bench counts one; no time: no rate, never a division by zero.
  EXPECT_EQ(FormatDbBenchLine("readseq", 0, 0, 0, 0, ""),
            "readseq      :       0.000 micros/op 0 ops/sec 0.000 seconds 1 "
            "operations;\n");
}

TEST(LsmDbBenchKeyTest, BigEndianNumberThenZeros) {
  char key[16];
  MakeDbBenchKey(0x0102030405060708ULL, 16, key);
  EXPECT_EQ(std::string(key, 16), std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8) + "00000000");
  MakeDbBenchKey(258, 8, key);
  EXPECT_EQ(std::string(key, 8), std::string("\0\0\0\0\0\0\x01\x02", 8));
}

// Counts the key and value bytes of every Put given to the store it wraps.
class CountingStore final : public kv::Store {
 public:
  CountingStore(std::unique_ptr<kv::Store> base, std::int64_t* put_bytes)
      : base_(std::move(base)), put_bytes_(put_bytes) {}
  Status Write(const kv::WriteOptions& o, const kv::WriteBatch& b) override {
    for (const kv::WriteBatch::Entry& e : b) {
      if (e.op == kv::WriteBatch::Op::kPut) Count(e.key, e.value);
    }
    return base_->Write(o, b);
  }
  Status Put(const kv::WriteOptions& o, std::string_view k, std::string_view v) override {
    Count(k, v);
    return base_->Put(o, k, v);
  }
  Status Get(std::string_view k, std::string* v) override { return base_->Get(k, v); }
  Result<std::unique_ptr<kv::Iterator>> NewIterator(const kv::IteratorOptions& o = {}) override {
    return base_->NewIterator(o);
  }
  Result<std::unique_ptr<kv::Snapshot>> GetSnapshot() override { return base_->GetSnapshot(); }
  Status Close() override { return base_->Close(); }

 private:
  void Count(std::string_view k, std::string_view v) {
    std::lock_guard lock(mu_);
    *put_bytes_ += static_cast<std::int64_t>(k.size() + v.size());
  }
  std::unique_ptr<kv::Store> base_;
  std::mutex mu_;
  std::int64_t* put_bytes_;
};

class LsmDbBenchRunTest : public ::testing::Test {
 protected:
  DbBenchEngine Engine() {
    DbBenchEngine e;
    e.name = "bolt";
    e.open = [this](const std::string& dir, bool) -> Result<std::unique_ptr<kv::Store>> {
      ++opens_;
      std::filesystem::create_directories(dir);
      bolt::Options options;
      options.no_sync = true;
      LARDER_ASSIGN_OR_RETURN(std::unique_ptr<kv::Store> store,
                              bolt::OpenKV(dir + "/bolt.db", options));
      return std::unique_ptr<kv::Store>(new CountingStore(std::move(store), &put_bytes_));
    };
    return e;
  }

  // Runs the runner with `flags` (db, seed set), returns its stdout.
  std::string Run(DbBenchFlags flags, int* code) {
    flags.db = dir_.File("db");
    flags.seed = 7;
    std::FILE* out = std::tmpfile();
    *code = RunDbBench(flags, Engine(), out);
    std::rewind(out);
    std::string text;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, out)) > 0) text.append(buf, n);
    std::fclose(out);
    return text;
  }

  test::TempDir dir_;
  int opens_ = 0;
  std::int64_t put_bytes_ = 0;  // every Put the engine was given, by any thread
};

TEST_F(LsmDbBenchRunTest, FillThenReadFindsEverything) {
  DbBenchFlags f;
  f.benchmarks = "fillseq,readrandom,readseq,readreverse,seekrandom";
  f.num = 300;
  f.batch_size = 7;  // 300 is not a multiple: the last batch is short
  f.stats_file = dir_.File("stats.json");
  int code = -1;
  const std::string out = Run(f, &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_EQ(out.find("Set seed"), std::string::npos);  // --seed given
  EXPECT_NE(out.find("Entries:    300\n"), std::string::npos) << out;
  EXPECT_NE(out.find("fillseq      : "), std::string::npos) << out;
  EXPECT_NE(out.find(" 300 operations;"), std::string::npos) << out;
  EXPECT_NE(out.find("(300 of 300 found)\n\n"), std::string::npos) << out;  // readrandom, seek
  std::ifstream in(f.stats_file);
  nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_EQ(j["live_keys"], 300);
  EXPECT_EQ(j["live_bytes"], 300 * (16 + 100));
  EXPECT_EQ(j["user_bytes_written"], 300 * (16 + 100));
  ASSERT_EQ(j["benchmarks"].size(), 5u);
  EXPECT_EQ(j["benchmarks"][2]["name"], "readseq");
  EXPECT_EQ(j["benchmarks"][2]["ops"], 300);  // every key, once
  EXPECT_EQ(j["benchmarks"][3]["ops"], 300);
  EXPECT_GT(j["db_bytes"], 0);
}

TEST_F(LsmDbBenchRunTest, DeleteRandomRemovesKeysAndExistingDbIsKept) {
  DbBenchFlags f;
  f.benchmarks = "fillseq";
  f.num = 200;
  int code = -1;
  Run(f, &code);
  ASSERT_EQ(code, 0);
  f.benchmarks = "fillrandom,deleterandom,readrandom";
  f.use_existing_db = true;
  f.threads = 2;
  f.stats_file = dir_.File("stats.json");
  const std::string out = Run(f, &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("fillrandom   : skipped (--use_existing_db is true)"), std::string::npos);
  std::ifstream in(f.stats_file);
  nlohmann::json j = nlohmann::json::parse(in);
  // 2 threads x 200 random deletes over 200 keys leave some but not all (seeded, so fixed).
  const int live = j["live_keys"];
  EXPECT_GT(live, 0);
  EXPECT_LT(live, 200);
  ASSERT_EQ(j["benchmarks"].size(), 2u);  // fillrandom skipped
  EXPECT_EQ(j["benchmarks"][1]["name"], "readrandom");
  EXPECT_GT(j["benchmarks"][1]["found"].get<int>(), 0);
  EXPECT_LT(j["benchmarks"][1]["found"].get<int>(), 400);
  EXPECT_EQ(j["benchmarks"][1]["ops"], 400);  // 2 threads x --reads (= --num)
}

TEST_F(LsmDbBenchRunTest, ReadWhileWritingCountsOnlyReads) {
  DbBenchFlags f;
  f.benchmarks = "fillrandom,overwrite,readwhilewriting,fillsync";
  f.num = 2000;
  f.reads = 50000;  // long enough (tens of ms) for the writer to write
  f.stats_file = dir_.File("stats.json");
  int code = -1;
  const std::string out = Run(f, &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("readwhilewriting : "), std::string::npos) << out;
  EXPECT_NE(out.find(" 50000 operations;"), std::string::npos) << out;
  EXPECT_NE(out.find("(2 ops)"), std::string::npos) << out;  // fillsync: --num/1000 keys
  std::ifstream in(f.stats_file);
  nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_LE(j["live_keys"].get<int>(), 2);  // fillsync started afresh over 2 keys
  // Every write counts, readwhilewriting's writer too (it wrote at least once).
  EXPECT_EQ(j["user_bytes_written"].get<std::int64_t>(), put_bytes_);
  EXPECT_GT(put_bytes_, 3 * 2000 * 116);  // fillrandom, overwrite, fillsync, and the writer
}

TEST_F(LsmDbBenchRunTest, UnknownBenchmarkIsAUsageError) {
  DbBenchFlags f;
  f.benchmarks = "fillseq,nosuch";
  int code = -1;
  Run(f, &code);
  EXPECT_EQ(code, 2);
  EXPECT_EQ(opens_, 0);  // nothing ran
}

}  // namespace
}  // namespace larder::cli

namespace larder::cli {
namespace {

TEST(LsmDbBenchFlagsTest, ParsesDbBenchSpellings) {
  CLI::App app;
  DbBenchFlags f;
  AddDbBenchFlags(&app, &f);
  app.parse(std::vector<std::string>{"--seed=3", "--use_existing_db=0", "--sync", "--num=10",
                                     "--benchmarks=fillseq,readseq"});  // reversed order
  EXPECT_EQ(f.benchmarks, "fillseq,readseq");
  EXPECT_EQ(f.num, 10);
  EXPECT_TRUE(f.sync);
  EXPECT_FALSE(f.use_existing_db);
  EXPECT_EQ(f.seed, 3u);
  DbBenchFlags g;
  CLI::App app2;
  AddDbBenchFlags(&app2, &g);
  app2.parse(std::vector<std::string>{"--use_existing_db=1", "--sync=0", "--value_size=1024"});
  EXPECT_FALSE(g.sync);
  EXPECT_TRUE(g.use_existing_db);
  EXPECT_EQ(g.value_size, 1024);
  EXPECT_EQ(g.key_size, 16);
  EXPECT_DOUBLE_EQ(g.compression_ratio, 0.5);
}

}  // namespace
}  // namespace larder::cli
