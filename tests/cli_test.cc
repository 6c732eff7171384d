// End-to-end tests of the `larder` command-line tool: runs the built binary and checks its
// output and exit codes. Skipped when the binary has not been built (target larder_cli).
#include <stdio.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/util/temp_dir.h"

namespace larder {
namespace {

struct CliResult {
  int code = -1;
  std::string out;
  std::string err;
};

std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bin_ = std::string(LARDER_BIN_DIR) + "/larder";
    if (!std::filesystem::exists(bin_)) GTEST_SKIP() << bin_ << " is not built";
    db_ = dir_.File("test.db");
  }

  // Runs `larder` with `args` (each one shell-quoted); captures stdout, stderr and the exit code.
  CliResult Run(std::initializer_list<std::string> args) {
    std::string cmd = ShellQuote(bin_);
    for (const std::string& a : args) cmd += " " + ShellQuote(a);
    const std::string err_path = dir_.File("stderr.txt");
    cmd += " 2>" + ShellQuote(err_path);
    CliResult r;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr) return r;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    const int status = ::pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream in(err_path);
    std::stringstream ss;
    ss << in.rdbuf();
    r.err = ss.str();
    return r;
  }

  // A database with bucket "widgets" holding foo=bar.
  void MakeDb() {
    CliResult r = Run({"put", "--create", db_, "widgets", "foo", "bar"});
    ASSERT_EQ(r.code, 0) << r.err;
  }

  test::TempDir dir_;
  std::string bin_;
  std::string db_;
};

TEST_F(CliTest, Info) {
  MakeDb();
  CliResult r = Run({"info", db_});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("Page Size: ")) << r.out;
  EXPECT_GT(std::stoi(r.out.substr(11)), 0);
}

TEST_F(CliTest, PutGetRoundTrip) {
  MakeDb();
  CliResult r = Run({"get", db_, "widgets", "foo"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "bar\n");

  ASSERT_EQ(Run({"put", "--parse-format", "hex", db_, "widgets", "00ff", "0102"}).code, 0);
  r = Run({"get", "--parse-format", "hex", "--format", "hex", db_, "widgets", "00ff"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "0102\n");

  ASSERT_EQ(Run({"put", "--create", db_, "widgets", "sub", "k", "v"}).code, 0);
  r = Run({"get", db_, "widgets", "sub", "k"});
  EXPECT_EQ(r.out, "v\n");
}

TEST_F(CliTest, KeysAndBuckets) {
  MakeDb();
  ASSERT_EQ(Run({"put", db_, "widgets", "baz", "qux"}).code, 0);
  ASSERT_EQ(Run({"create-bucket", db_, "other"}).code, 0);
  CliResult r = Run({"keys", db_, "widgets"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "baz\nfoo\n");
  r = Run({"buckets", db_});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "other\nwidgets\n");
}

TEST_F(CliTest, CheckOk) {
  MakeDb();
  CliResult r = Run({"check", db_});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "OK\n");
}

TEST_F(CliTest, MissingBucketAndKey) {
  MakeDb();
  CliResult r = Run({"get", db_, "nope", "foo"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("bucket not found"), std::string::npos) << r.err;
  r = Run({"keys", db_, "nope"});
  EXPECT_EQ(r.code, 1);
  r = Run({"get", db_, "widgets", "nope"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "Error key not found for key: \"nope\" hex: \"6e6f7065\"\n");
}

TEST_F(CliTest, BadFlagIsUsageError) {
  MakeDb();
  EXPECT_EQ(Run({"info", "--no-such-flag", db_}).code, 2);
  EXPECT_EQ(Run({"keys", "--format", "bogus", db_, "widgets"}).code, 2);
  EXPECT_EQ(Run({"no-such-command"}).code, 2);
  EXPECT_EQ(Run({}).code, 2);
}

TEST_F(CliTest, MissingFileIsNotCreated) {
  const std::string missing = dir_.File("missing.db");
  CliResult r = Run({"info", missing});
  EXPECT_EQ(r.code, 1);
  EXPECT_FALSE(r.err.empty());
  EXPECT_FALSE(std::filesystem::exists(missing));
  EXPECT_EQ(Run({"put", missing, "b", "k", "v"}).code, 1);
  EXPECT_FALSE(std::filesystem::exists(missing));
}

TEST_F(CliTest, Stats) {
  MakeDb();
  CliResult r = Run({"stats", db_});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("Aggregate statistics for 1 buckets\n\nPage count statistics\n"))
      << r.out;
  EXPECT_NE(r.out.find("\tNumber of keys/value pairs: 1\n"), std::string::npos) << r.out;
  r = Run({"stats", db_, "zzz"});
  EXPECT_TRUE(r.out.starts_with("Aggregate statistics for 0 buckets\n")) << r.out;
}

TEST_F(CliTest, Version) {
  CliResult r = Run({"version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "larder version 0.1.0\n");
}

}  // namespace
}  // namespace larder
