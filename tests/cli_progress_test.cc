// Progress bars of the larder CLI: drawn on stderr when it is a terminal (here a pseudo-terminal
// from forkpty), absent otherwise, so that scripts' output stays stable.
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/interop/peer.h"
#include "tests/util/temp_dir.h"

namespace larder::test {
namespace {

class CliProgressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bin_ = std::string(LARDER_BIN_DIR) + "/larder";
    if (!std::filesystem::exists(bin_)) GTEST_SKIP() << bin_ << " is not built";
    db_ = dir_.File("p.db");
    // Enough keys for several pages.
    ASSERT_EQ(Larder({"bench", "--count", "2000", "--batch-size", "1000", "--no-sync", "--work",
                      "--path", db_})
                  .exit_code,
              0);
  }

  CommandResult Larder(const std::vector<std::string>& args) {
    std::string cmd = ShellQuote(bin_);
    for (const std::string& a : args) cmd += " " + ShellQuote(a);
    return RunCommand(cmd, dir_.File("stderr.txt"));
  }

  // Runs larder with stdin, stdout and stderr on a pseudo-terminal; returns what it printed
  // there and sets `exit_code`.
  std::string RunOnTerminal(const std::vector<std::string>& args, int* exit_code) {
    std::vector<std::string> argv_storage = {bin_};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    int master = -1;
    const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
    if (pid == 0) {
      ::execv(bin_.c_str(), argv.data());
      ::_exit(127);
    }
    std::string seen;
    if (pid < 0) return seen;
    char buf[4096];
    for (;;) {
      pollfd p{master, POLLIN, 0};
      if (::poll(&p, 1, 20000) <= 0) break;  // 20 s: something hangs
      const ssize_t n = ::read(master, buf, sizeof buf);
      if (n <= 0) break;  // EIO once the child has exited and closed the terminal
      seen.append(buf, static_cast<std::size_t>(n));
    }
    ::close(master);
    int status = 0;
    ::waitpid(pid, &status, 0);
    *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return seen;
  }

  TempDir dir_;
  std::string bin_;
  std::string db_;
};

TEST_F(CliProgressTest, NothingWhenStderrIsNotATerminal) {
  CommandResult r = Larder({"check", db_});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "OK\n");
  EXPECT_EQ(r.err, "");
  r = Larder({"compact", "-o", dir_.File("c.db"), db_});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  r = Larder({"export", db_, "-o", dir_.File("e.jsonl")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  r = Larder({"import", dir_.File("i.db"), "--input", dir_.File("e.jsonl")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "imported 2001 records\n");
  r = Larder({"backup", db_, dir_.File("b.db")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
}

TEST_F(CliProgressTest, BarOnATerminal) {
  struct Case {
    std::vector<std::string> args;
    std::string label;
    std::string result;  // what the command prints on stdout
  };
  for (const Case& c :
       std::vector<Case>{{{"check", db_}, "check [", "OK"},
                         {{"compact", "-o", dir_.File("tc.db"), db_}, "compact [", "gain="},
                         {{"export", db_, "-o", dir_.File("te.jsonl")}, "export [", ""},
                         {{"backup", db_, dir_.File("tb.db")}, "backup [", "written to"}}) {
    int code = -1;
    const std::string seen = RunOnTerminal(c.args, &code);
    EXPECT_EQ(code, 0) << c.args[0] << ": " << seen;
    EXPECT_NE(seen.find("\r" + c.label), std::string::npos) << c.args[0] << ": " << seen;
    EXPECT_NE(seen.find("100%"), std::string::npos) << c.args[0] << ": " << seen;
    EXPECT_NE(seen.find("\r\033[K"), std::string::npos) << "the bar is erased: " << seen;
    EXPECT_NE(seen.find(c.result), std::string::npos) << c.args[0] << ": " << seen;
  }
  int code = -1;
  const std::string seen =
      RunOnTerminal({"import", dir_.File("ti.db"), "--input", dir_.File("te.jsonl")}, &code);
  EXPECT_EQ(code, 0) << seen;
  EXPECT_NE(seen.find("\rimport ["), std::string::npos) << seen;
}

}  // namespace
}  // namespace larder::test
