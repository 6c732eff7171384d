// Error paths of the larder CLI: a missing file, a file that is not a bolt database, an empty
// file, and bad usage. Each gives one "Error: ..." line on stderr and a non-zero exit (1 for a
// failed command, 2 for bad usage), never a crash, and never creates or changes the file.
// Damaged bbolt files are covered by cli_golden_test.cc, locked files by cli_locked_test.cc.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/interop/peer.h"
#include "tests/util/temp_dir.h"

namespace larder::test {
namespace {

class CliErrorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bin_ = std::string(LARDER_BIN_DIR) + "/larder";
    if (!std::filesystem::exists(bin_)) GTEST_SKIP() << bin_ << " is not built";
  }

  CommandResult Larder(const std::vector<std::string>& args) {
    std::string cmd = ShellQuote(bin_);
    for (const std::string& a : args) cmd += " " + ShellQuote(a);
    return RunCommand(cmd + " </dev/null", dir_.File("stderr.txt"));
  }

  // The commands that read FILE, with the extra arguments they need.
  std::vector<std::vector<std::string>> ReadCommands(const std::string& file) {
    return {{"info", file},
            {"check", file},
            {"buckets", file},
            {"keys", file, "b"},
            {"get", file, "b", "k"},
            {"stats", file},
            {"pages", file},
            {"page", file, "0"},
            {"page-item", file, "2", "0"},
            {"dump", file, "0"},
            {"export", file},
            {"backup", file, dir_.File("backup.db")},
            {"compact", "-o", dir_.File("compact.db"), file},
            {"surgery", "meta", "validate", file},
            {"surgery", "freelist", "abandon", file, "-o", dir_.File("surgery.db")}};
  }

  // One "Error..." line on stderr, exit `code`, nothing on stdout.
  void ExpectOneLineError(const CommandResult& r, int code, const std::string& what) {
    EXPECT_EQ(r.exit_code, code) << what << "\nstdout: " << r.out << "\nstderr: " << r.err;
    EXPECT_TRUE(r.err.starts_with("Error")) << what << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << what << ": " << r.err;
  }

  void ExpectNoOutputFiles() {
    for (const char* name : {"backup.db", "compact.db", "surgery.db"}) {
      EXPECT_FALSE(std::filesystem::exists(dir_.File(name))) << name;
    }
  }

  TempDir dir_;
  std::string bin_;
};

TEST_F(CliErrorsTest, MissingFile) {
  const std::string missing = dir_.File("missing.db");
  for (const auto& args : ReadCommands(missing)) {
    CommandResult r = Larder(args);
    ExpectOneLineError(r, 1, args[0]);
    EXPECT_EQ(r.out, "") << args[0];
    EXPECT_FALSE(std::filesystem::exists(missing)) << args[0] << " created the file";
  }
  ExpectOneLineError(Larder({"put", missing, "b", "k", "v"}), 1, "put");
  ExpectOneLineError(Larder({"delete-bucket", missing, "b"}), 1, "delete-bucket");
  EXPECT_FALSE(std::filesystem::exists(missing));
  ExpectNoOutputFiles();
}

TEST_F(CliErrorsTest, NotABoltFile) {
  struct Case {
    std::string name;
    std::string bytes;
  };
  std::string noise(3 * 4096, '\0');
  for (std::size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<char>((i * 7919) >> 3);
  for (const Case& c : {Case{"text.db", "this is not a database\n"}, Case{"noise.db", noise},
                        Case{"zeros.db", std::string(16384, '\0')}, Case{"empty.db", ""}}) {
    const std::string path = dir_.File(c.name);
    { std::ofstream(path, std::ios::binary) << c.bytes; }
    for (const auto& args : ReadCommands(path)) {
      CommandResult r = Larder(args);
      if (args[0] == "surgery" && args[1] == "meta") {
        // meta validate reports on each meta page (exit 1), as bbolt's does.
        EXPECT_EQ(r.exit_code, 1) << c.name << ": " << r.out << r.err;
        continue;
      }
      ExpectOneLineError(r, 1, c.name + ": " + args[0]);
    }
    if (!c.bytes.empty()) {  // an empty file is a new database to a writer, as in bbolt
      ExpectOneLineError(Larder({"put", path, "b", "k", "v"}), 1, c.name + ": put");
      ExpectOneLineError(Larder({"import", path, "--input", "/dev/null"}), 1, c.name + ": import");
    }
    EXPECT_EQ(ReadFile(path), c.bytes) << c.name << " was changed";
    ExpectNoOutputFiles();
  }
}

TEST_F(CliErrorsTest, BadUsageExitsTwo) {
  const std::string db = dir_.File("ok.db");
  ASSERT_EQ(Larder({"put", "--create", db, "b", "k", "v"}).exit_code, 0);
  const std::string before = ReadFile(db);
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"check", "--bogus", db},
           {"stats", db, "a", "b"},
           {"get", db},
           {"get", db, "b"},
           {"get", "--parse-format", "hex", db, "b", "zz"},
           {"keys", "--format", "nope", db, "b"},
           {"info", "--timeout", "soon", db},
           {"page", db, "x"},
           {"page-item", "--key-only", "--value-only", db, "2", "0"},
           {"backup", "--attempts", "0", db, dir_.File("backup.db")},
           {"compact", db},
           {"no-such-command", db}}) {
    CommandResult r = Larder(args);
    EXPECT_EQ(r.exit_code, 2) << args[0] << ": " << r.out << r.err;
    EXPECT_FALSE(r.err.empty()) << args[0];
  }
  EXPECT_EQ(ReadFile(db), before);
  ExpectNoOutputFiles();
}

}  // namespace
}  // namespace larder::test
