// End-to-end tests of the `larder` command-line tool: runs the built binary and checks its
// output and exit codes. Skipped when the binary has not been built (target larder_cli).
#include <stdio.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

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

TEST_F(CliTest, PagesTable) {
  MakeDb();
  CliResult r = Run({"pages", db_});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(
      r.out.starts_with("ID       TYPE       ITEMS  OVRFLW\n"
                        "======== ========== ====== ======\n"
                        "0        meta       0            \n"
                        "1        meta       0            \n"))
      << r.out;
  EXPECT_NE(r.out.find(" leaf       1      "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" freelist   "), std::string::npos) << r.out;
}

TEST_F(CliTest, PageMeta) {
  MakeDb();
  CliResult r = Run({"page", db_, "0", "1"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("Page ID:    0\nPage Type:  meta\nTotal Size: ")) << r.out;
  EXPECT_NE(r.out.find("\nVersion:    2\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nFlags:      00000000\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nRoot:       <pgid="), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n===============================================\nPage ID:    1\n"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(Run({"page", db_, "999"}).code, 1);
  EXPECT_EQ(Run({"page", db_, "x"}).code, 2);
}

TEST_F(CliTest, DumpLineFormat) {
  MakeDb();
  CliResult r = Run({"dump", db_, "0"});
  EXPECT_EQ(r.code, 0) << r.err;
  // The page header of meta page 0: id 0, flags 0x0004 (little-endian), then the magic.
  EXPECT_TRUE(
      r.out.starts_with("0000000 0000 0000 0000 0000 0400 0000 0000 0000\n"
                        "0000010 edda 0ced 0200 0000 "))
      << r.out;
  EXPECT_NE(r.out.find(" *\n"), std::string::npos) << r.out;
  EXPECT_TRUE(r.out.ends_with(" 0000 0000 0000 0000 0000 0000 0000 0000\n\n")) << r.out;
}

TEST_F(CliTest, ExportImportRoundTrip) {
  MakeDb();
  ASSERT_EQ(Run({"put", "--create", db_, "widgets", "sub", "k", "v"}).code, 0);
  ASSERT_EQ(Run({"put", "--parse-format", "hex", "--create", db_, "bin", "00ff", "0102"}).code, 0);
  ASSERT_EQ(Run({"create-bucket", db_, "empty"}).code, 0);
  const std::string first = dir_.File("first.jsonl");
  ASSERT_EQ(Run({"export", db_, "--output", first}).code, 0);
  // A sequence only import can set: append a bucket record with one.
  { std::ofstream(first, std::ios::app) << "{\"bucket_hex\":[\"7a\"],\"sequence\":42}\n"; }
  const std::string copy = dir_.File("copy.db");
  CliResult r = Run({"import", copy, "--input", first});
  ASSERT_EQ(r.code, 0) << r.err;
  r = Run({"export", copy});
  ASSERT_EQ(r.code, 0) << r.err;
  std::ifstream in(first);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(r.out, ss.str());
  EXPECT_NE(r.out.find("{\"bucket_hex\":[\"656d707479\"],\"sequence\":0}\n"), std::string::npos);
  EXPECT_NE(r.out.find("\"key_hex\":\"00ff\",\"value_hex\":\"0102\""), std::string::npos);
  EXPECT_NE(r.out.find("{\"bucket_hex\":[\"7a\"],\"sequence\":42}\n"), std::string::npos);
  const std::string bad = dir_.File("bad.jsonl");
  { std::ofstream(bad) << "{\"bucket_hex\":[\"zz\"],\"sequence\":1}\n"; }
  r = Run({"import", dir_.File("bad.db"), "--input", bad});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("line 1"), std::string::npos) << r.err;
}

TEST_F(CliTest, BackupPassesCheck) {
  MakeDb();
  const std::string dst = dir_.File("backup.db");
  CliResult r = Run({"backup", db_, dst});
  EXPECT_EQ(r.code, 0) << r.err;
  r = Run({"check", dst});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "OK\n");
  EXPECT_EQ(Run({"get", dst, "widgets", "foo"}).out, "bar\n");
  EXPECT_EQ(Run({"backup", db_, dst}).code, 1);  // never overwrites
}

TEST_F(CliTest, SurgeryFreelistAbandonRebuild) {
  MakeDb();
  ASSERT_EQ(Run({"put", db_, "widgets", "baz", "qux"}).code, 0);
  const std::string abandoned = dir_.File("abandoned.db");
  CliResult r = Run({"surgery", "freelist", "abandon", db_, "--output", abandoned});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("The freelist was abandoned in both meta pages.\n")) << r.out;
  r = Run({"page", abandoned, "0"});
  EXPECT_NE(r.out.find("Freelist:   <pgid=18446744073709551615>"), std::string::npos) << r.out;
  const std::string rebuilt = dir_.File("rebuilt.db");
  r = Run({"surgery", "freelist", "rebuild", abandoned, "--output", rebuilt});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "The freelist was successfully rebuilt.\n");
  r = Run({"check", rebuilt});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "OK\n");
  EXPECT_EQ(Run({"get", rebuilt, "widgets", "baz"}).out, "qux\n");
  r = Run({"surgery", "meta", "validate", rebuilt});
  EXPECT_EQ(r.out, "The meta page 0 is valid!\nThe meta page 1 is valid!\n");
  // A file with a freelist is refused, and the output is never overwritten.
  EXPECT_EQ(Run({"surgery", "freelist", "rebuild", db_, "--output", dir_.File("x.db")}).code, 1);
  EXPECT_EQ(Run({"surgery", "freelist", "abandon", db_, "--output", abandoned}).code, 1);
}

// The tab-separated fields of the line of `out` that starts with `prefix`; empty when none does.
std::vector<std::string> LineFields(const std::string& out, std::string_view prefix) {
  std::size_t at = 0;  // the start of a line
  while (out.compare(at, prefix.size(), prefix) != 0) {
    at = out.find('\n', at);
    if (at == std::string::npos || ++at >= out.size()) return {};
  }
  std::vector<std::string> fields;
  const std::size_t end = std::min(out.find('\n', at), out.size());
  for (std::size_t i = at; i <= end;) {
    std::size_t tab = std::min(out.find('\t', i), end);
    fields.push_back(out.substr(i, tab - i));
    i = tab + 1;
  }
  return fields;
}

// bbolt's bench line: "# Write\t<n>(ops)\t<duration>\t(<duration>/op)\t(<n> op/sec)". Returns n.
long long BenchLineOps(const std::vector<std::string>& f) {
  auto number_before = [](const std::string& s, std::string_view suffix, std::size_t from) {
    if (s.size() <= from + suffix.size() ||
        s.compare(s.size() - suffix.size(), suffix.size(), suffix) != 0)
      return -1LL;
    const std::string digits = s.substr(from, s.size() - suffix.size() - from);
    if (digits.find_first_not_of("0123456789") != std::string::npos) return -1LL;
    return std::stoll(digits);
  };
  if (f.size() != 5) return -1;
  if (f[3].size() < 5 || f[3].front() != '(' || f[3].compare(f[3].size() - 4, 4, "/op)") != 0)
    return -1;
  if (f[4].empty() || f[4].front() != '(' || number_before(f[4], " op/sec)", 1) < 0) return -1;
  return number_before(f[1], "(ops)", 0);
}

// `bench -read-mode rnd` reads back every key it wrote, by the number it recorded: a key or a
// sub-bucket rebuilt wrongly fails the read ("read rnd"). Each read pass reads all of them.
// (Parsed by hand: GCC 12's std::regex trips -Wmaybe-uninitialized in the sanitized build.)
TEST_F(CliTest, BenchRandomReadsFindEveryWrittenKey) {
  for (std::string mode : {"seq", "rnd", "seq-nest", "rnd-nest"}) {
    CliResult r = Run({"bench", "-write-mode", mode, "-read-mode", "rnd", "-count", "2000",
                       "-batch-size", "200", "-key-size", "16", "-no-sync"});
    ASSERT_EQ(r.code, 0) << mode << ": " << r.err;
    EXPECT_EQ(BenchLineOps(LineFields(r.out, "# Write\t")), 2000) << mode << ": " << r.out;
    const long long reads = BenchLineOps(LineFields(r.out, "# Read\t"));
    EXPECT_GT(reads, 0) << mode << ": " << r.out;
    EXPECT_EQ(reads % 2000, 0) << mode << ": " << r.out;
  }
}

TEST_F(CliTest, Version) {
  CliResult r = Run({"version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "larder version 0.1.0\n");
}

}  // namespace
}  // namespace larder
