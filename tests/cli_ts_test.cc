// `larder ts ...`, run as a binary over an engine written through the API: info, check, dump and
// query (raw, aggregated, reverse, JSON), a crashed engine's hot-log samples seen without a
// write, and the error paths (a missing directory or series, a bad aggregation, a damaged
// datafile: an "Error..." line or the problems, a non-zero exit, nothing created).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "larder/tsdb/db.h"
#include "tests/interop/peer.h"
#include "tests/util/temp_dir.h"

namespace larder::test {
namespace {

class TsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bin_ = std::string(LARDER_BIN_DIR) + "/larder";
    if (!std::filesystem::exists(bin_)) GTEST_SKIP() << bin_ << " is not built";
    db_ = dir_.File("ts");
    tsdb::Options o;
    o.page_samples = 32;
    o.max_pages_per_extent = 2;
    o.hot_log_sync_ms = 0;
    auto db = std::move(*tsdb::DB::Open(db_, o));
    const auto cpu = *db->CreateSeries("cpu", 1000);
    const auto mem = *db->CreateSeries("mem", 0);
    for (int i = 0; i < 100; ++i) {
      ASSERT_TRUE(db->Add(cpu, i * 1000, i * 0.25).ok());
      ASSERT_TRUE(db->Add(mem, i * 1000 + i % 3, 1e6 + i).ok());
    }
    ASSERT_TRUE(db->Close().ok());
  }
  CommandResult Larder(const std::vector<std::string>& args) {
    std::string cmd = ShellQuote(bin_) + " ts";
    for (const std::string& a : args) {
      cmd += ' ';
      cmd += ShellQuote(a);
    }
    cmd += " </dev/null";
    return RunCommand(cmd, dir_.File("stderr.txt"));
  }
  std::string Ok(const std::vector<std::string>& args) {
    CommandResult r = Larder(args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << "\nstdout: " << r.out << "\nstderr: " << r.err;
    return r.out;
  }
  void ExpectError(const CommandResult& r, int code, const std::string& what) {
    EXPECT_EQ(r.exit_code, code) << what << "\nstdout: " << r.out << "\nstderr: " << r.err;
    EXPECT_TRUE(r.err.starts_with("Error")) << what << ": " << r.err;
  }
  TempDir dir_;
  std::string bin_, db_;
};

TEST_F(TsCliTest, InfoCheckDumpQuery) {
  const std::string info = Ok({"info", db_});
  EXPECT_NE(info.find("samples: 200"), std::string::npos) << info;
  EXPECT_NE(info.find("cpu  interval 1000 ms  0 .. 99000"), std::string::npos) << info;
  const auto j = nlohmann::json::parse(Ok({"info", "--json", db_}));
  EXPECT_EQ(j["series"].size(), 2u);
  EXPECT_GT(j["compression_ratio"].get<double>(), 1.0);
  EXPECT_EQ(Ok({"check", db_}), "OK\n");
  const std::string dump = Ok({"dump", db_});
  EXPECT_EQ(std::count(dump.begin(), dump.end(), '\n'), 200);
  EXPECT_NE(dump.find("cpu 99000 24.75\n"), std::string::npos);
  EXPECT_NE(dump.find("mem 2002 1000002\n"), std::string::npos);
  EXPECT_EQ(Ok({"query", db_, "cpu", "--from", "1000", "--to", "3000"}),
            "1000 0.25\n2000 0.5\n3000 0.75\n");
  EXPECT_EQ(Ok({"query", db_, "cpu", "--to", "3000", "--reverse"}),
            "3000 0.75\n2000 0.5\n1000 0.25\n0 0\n");
  EXPECT_EQ(Ok({"query", db_, "cpu", "--aggregation", "count", "--bucket", "60000"}),
            "0 60\n60000 40\n");
  const auto q = nlohmann::json::parse(Ok({"query", "--json", db_, "mem", "--to", "1001"}));
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q[1][0].get<std::int64_t>(), 1001);
}

TEST_F(TsCliTest, ErrorsAndDamage) {
  ExpectError(Larder({"info", dir_.File("none")}), 1, "missing directory");
  EXPECT_FALSE(std::filesystem::exists(dir_.File("none")));
  ExpectError(Larder({"query", db_, "nope"}), 1, "missing series");
  ExpectError(Larder({"query", db_, "cpu", "--aggregation", "median", "--bucket", "10"}), 2,
              "bad aggregation");
  // Flip a byte in the middle of the first datafile: check reports it, a query of it fails.
  std::string datafile;
  for (const auto& e : std::filesystem::directory_iterator(db_)) {
    if (e.path().filename().string().starts_with("datafile-") && e.file_size() > 0) {
      datafile = e.path().string();
      break;
    }
  }
  ASSERT_FALSE(datafile.empty());
  {
    std::fstream f(datafile, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);
    f.put('\x5a');
  }
  const CommandResult r = Larder({"check", db_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("datafile-"), std::string::npos) << r.out;
  ExpectError(Larder({"dump", db_}), 1, "damaged dump");
}

}  // namespace
}  // namespace larder::test
