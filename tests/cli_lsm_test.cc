// `larder lsm ...`, run as a binary: each command's output and exit code, a round trip through
// backup/restore and checkpoint, the db_bench runner, and the error paths (a missing directory,
// a wrong flag, a damaged table: one "Error..." line or the problems, and a non-zero exit; never
// a crash, never a directory created by an inspection).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/interop/peer.h"
#include "tests/util/temp_dir.h"

namespace larder::test {
namespace {

class LsmCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bin_ = std::string(LARDER_BIN_DIR) + "/larder";
    if (!std::filesystem::exists(bin_)) GTEST_SKIP() << bin_ << " is not built";
    db_ = dir_.File("db");
  }

  CommandResult Larder(const std::vector<std::string>& args) {
    std::string cmd = ShellQuote(bin_);
    for (const std::string& a : args) {
      cmd += ' ';  // not " " + ...: GCC 12 -O3 warns (a false -Wrestrict) on that
      cmd += ShellQuote(a);
    }
    cmd += " </dev/null";
    return RunCommand(cmd, dir_.File("stderr.txt"));
  }

  // Runs `larder lsm ARGS`, expecting exit 0; returns stdout.
  std::string Ok(std::vector<std::string> args) {
    args.insert(args.begin(), "lsm");
    CommandResult r = Larder(args);
    EXPECT_EQ(r.exit_code, 0) << args[1] << "\nstdout: " << r.out << "\nstderr: " << r.err;
    return r.out;
  }

  void ExpectOneLineError(const CommandResult& r, int code, const std::string& what) {
    EXPECT_EQ(r.exit_code, code) << what << "\nstdout: " << r.out << "\nstderr: " << r.err;
    EXPECT_TRUE(r.err.starts_with("Error")) << what << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << what << ": " << r.err;
  }

  void Fill() {
    Ok({"put", "--create", db_, "apple", "red"});
    Ok({"put", db_, "banana", "yellow"});
    Ok({"put", "--no-sync", db_, "blueberry", "blue"});
    Ok({"put", db_, "cherry", "dark red"});
  }

  TempDir dir_;
  std::string bin_;
  std::string db_;
};

TEST_F(LsmCliTest, PutGetDeleteScan) {
  Fill();
  EXPECT_EQ(Ok({"get", db_, "banana"}), "yellow\n");
  EXPECT_EQ(Ok({"get", "--format", "hex", db_, "apple"}), "726564\n");
  EXPECT_EQ(Ok({"scan", db_}), "apple red\nbanana yellow\nblueberry blue\ncherry dark red\n");
  EXPECT_EQ(Ok({"scan", db_, "--prefix", "b"}), "banana yellow\nblueberry blue\n");
  EXPECT_EQ(Ok({"scan", db_, "--limit", "1"}), "apple red\n");
  Ok({"delete", db_, "banana"});
  EXPECT_EQ(Ok({"scan", db_, "--prefix", "b"}), "blueberry blue\n");
  nlohmann::json rows = nlohmann::json::parse(Ok({"scan", "--json", db_, "--prefix", "c"}));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["value"], "dark red");

  CommandResult missing = Larder({"lsm", "get", db_, "banana"});
  ExpectOneLineError(missing, 1, "get of a deleted key");
  EXPECT_NE(missing.err.find("key not found"), std::string::npos) << missing.err;
  ExpectOneLineError(Larder({"lsm", "delete", db_, "nosuch"}), 1, "delete of a missing key");
}

TEST_F(LsmCliTest, InfoCheckCompact) {
  Fill();
  const std::string info = Ok({"info", db_});
  EXPECT_NE(info.find("Level"), std::string::npos) << info;
  EXPECT_NE(info.find("Live data: 4 keys"), std::string::npos) << info;
  EXPECT_NE(info.find("Space amplification:"), std::string::npos) << info;
  EXPECT_NE(info.find("Level-0 flushes: "), std::string::npos) << info;
  Ok({"compact", db_});
  nlohmann::json j = nlohmann::json::parse(Ok({"info", "--json", db_}));
  EXPECT_EQ(j["live_keys"], 4);
  EXPECT_EQ(j["level0_flushes"], 0);  // compacted down
  EXPECT_GT(j["live_disk_bytes"].get<double>(), 0);
  EXPECT_EQ(Ok({"check", db_}), "OK\n");
  EXPECT_EQ(nlohmann::json::parse(Ok({"check", "--json", db_}))["ok"], true);
}

TEST_F(LsmCliTest, BackupRestoreCheckpoint) {
  Fill();
  const std::string backup = dir_.File("full.backup");
  nlohmann::json b = nlohmann::json::parse(Ok({"backup", "--json", db_, backup}));
  EXPECT_GT(b["sequence"].get<std::uint64_t>(), 0u);
  Ok({"put", db_, "date", "brown"});
  const std::string incremental = dir_.File("incr.backup");
  Ok({"backup", db_, incremental, "--since", std::to_string(b["sequence"].get<std::uint64_t>())});
  const std::string restored = dir_.File("restored");
  Ok({"restore", backup, incremental, restored});
  EXPECT_EQ(Ok({"get", restored, "date"}), "brown\n");
  EXPECT_EQ(Ok({"get", restored, "cherry"}), "dark red\n");
  const std::string copy = dir_.File("copy");
  Ok({"checkpoint", db_, copy});
  EXPECT_EQ(Ok({"scan", copy}), Ok({"scan", db_}));
  // Never over an existing file or directory.
  ExpectOneLineError(Larder({"lsm", "backup", db_, backup}), 1, "backup over a file");
  ExpectOneLineError(Larder({"lsm", "checkpoint", db_, copy}), 1, "checkpoint over a dir");
  ExpectOneLineError(Larder({"lsm", "restore", dir_.File("nosuch.backup"), dir_.File("r2")}), 1,
                     "restore of a missing file");
}

TEST_F(LsmCliTest, Bench) {
  const std::string out = Ok({"bench", "--benchmarks=fillseq,readrandom,seekrandom", "--num=1000",
                              "--seed=5", "--db=" + dir_.File("bench")});
  EXPECT_NE(out.find("fillseq      : "), std::string::npos) << out;
  EXPECT_NE(out.find("readrandom   : "), std::string::npos) << out;
  EXPECT_NE(out.find("(1000 of 1000 found)"), std::string::npos) << out;
  ExpectOneLineError(Larder({"lsm", "bench", "--benchmarks=nosuch"}), 2, "unknown benchmark");
}

TEST_F(LsmCliTest, MissingDirectoryIsAnErrorAndNotCreated) {
  const std::string missing = dir_.File("missing");
  const std::vector<std::vector<std::string>> commands = {
      {"lsm", "get", missing, "k"},
      {"lsm", "scan", missing},
      {"lsm", "info", missing},
      {"lsm", "check", missing},
      {"lsm", "delete", missing, "k"},
      {"lsm", "put", missing, "k", "v"},
      {"lsm", "compact", missing},
      {"lsm", "backup", missing, dir_.File("b")},
      {"lsm", "checkpoint", missing, dir_.File("c")}};
  for (const auto& args : commands) {
    CommandResult r = Larder(args);
    ExpectOneLineError(r, 1, args[1]);
    EXPECT_NE(r.err.find("no such database directory"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(missing)) << args[1] << " created it";
  }
  EXPECT_FALSE(std::filesystem::exists(dir_.File("b")));
  EXPECT_FALSE(std::filesystem::exists(dir_.File("c")));
}

TEST_F(LsmCliTest, BadUsageExitsTwo) {
  Fill();
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"lsm", "get", db_, "apple", "--nosuch"},
                                             {"lsm", "scan", db_, "--limit", "x"},
                                             {"lsm", "get", db_},
                                             {"lsm", "put", db_, "k"},
                                             {"lsm", "nosuch", db_},
                                             {"lsm", "get", "--format", "nosuch", db_, "k"}}) {
    CommandResult r = Larder(args);
    EXPECT_EQ(r.exit_code, 2) << args[1] << " " << r.err;
    EXPECT_EQ(r.out, "") << args[1];
  }
}

TEST_F(LsmCliTest, DamagedTableIsReported) {
  for (int i = 0; i < 30; ++i) {
    Ok({"put", i == 0 ? "--create" : "--no-sync", db_, "key" + std::to_string(1000 + i),
        std::string(100, static_cast<char>('a' + i % 26))});
  }
  Ok({"compact", db_});
  int damaged = 0;
  for (const auto& entry : std::filesystem::directory_iterator(db_)) {
    if (entry.path().extension() != ".sst") continue;
    const auto size = std::filesystem::file_size(entry.path());
    std::fstream f(entry.path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size / 3));
    f.write("DAMAGEDDAMAGED", 14);  // inside the data blocks
    dir_.MarkDamaged(entry.path().string());
    ++damaged;
  }
  ASSERT_GT(damaged, 0) << "compact wrote no table";
  CommandResult check = Larder({"lsm", "check", db_});
  EXPECT_EQ(check.exit_code, 1) << check.out << check.err;
  EXPECT_NE(check.out.find(".sst"), std::string::npos) << "names the file: " << check.out;
  EXPECT_NE(check.out.find("errors found"), std::string::npos) << check.out;
  CommandResult scan = Larder({"lsm", "scan", db_});
  EXPECT_EQ(scan.exit_code, 1) << scan.err;
  EXPECT_NE(scan.err.find(".sst"), std::string::npos) << scan.err;
}

}  // namespace
}  // namespace larder::test
