// The larder CLI against a file that another process holds open read-write: lock timeouts give
// a one-line error instead of a hang, and `larder backup` makes consistent copies while that
// process keeps committing (the lock-free path of include/larder/bolt/backup.h).
//
// The other process is a forked child running the engine: it holds the exclusive file lock for
// as long as it has the database open, as bbolt and larder writers do.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "larder/bolt/db.h"
#include "tests/interop/peer.h"
#include "tests/util/temp_dir.h"

namespace larder::test {
namespace {

std::string CounterKey(std::uint64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "k%08lu", static_cast<unsigned long>(n));
  return buf;
}

std::string CounterValue(std::uint64_t n) { return CounterKey(n) + std::string(150, 'v'); }

// A child process that opens `path` read-write and, when `commits` is true, commits counter
// keys 1, 2, 3, ... (one per transaction, each also setting "last" = n) with a short pause
// between commits, until it is killed. The constructor returns once the child has the lock and
// (when committing) its first commit is done.
class WriterProcess {
 public:
  WriterProcess(const std::string& path, bool commits) {
    int fds[2];
    if (::pipe(fds) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(fds[0]);
      RunChild(path, commits, fds[1]);  // never returns
    }
    ::close(fds[1]);
    char c = 0;
    ready_ = pid_ > 0 && ::read(fds[0], &c, 1) == 1 && c == 'r';
    ::close(fds[0]);
  }
  ~WriterProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  bool ready() const { return ready_; }

 private:
  [[noreturn]] static void RunChild(const std::string& path, bool commits, int ready_fd) {
    bolt::Options o;
    o.no_sync = true;
    auto db = bolt::DB::Open(path, o);
    if (!db.ok()) ::_exit(3);
    for (std::uint64_t n = 1;; ++n) {
      if (commits) {
        Status s = (*db)->Update([&](bolt::Tx& tx) -> Status {
          LARDER_ASSIGN_OR_RETURN(bolt::Bucket b, tx.CreateBucketIfNotExists("counter"));
          LARDER_RETURN_IF_ERROR(b.Put(CounterKey(n), CounterValue(n)));
          return b.Put("last", std::to_string(n));
        });
        if (!s.ok()) ::_exit(4);
      }
      if (n == 1 && ::write(ready_fd, "r", 1) != 1) ::_exit(5);
      // A commit every 20 ms: a lock-free copy needs a window without one, and on a loaded
      // machine (ASan, both cores busy) its few milliseconds of reads stretch to tens.
      std::this_thread::sleep_for(std::chrono::milliseconds(commits ? 20 : 100));
    }
  }

  pid_t pid_ = -1;
  bool ready_ = false;
};

class CliLockedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bin_ = std::string(LARDER_BIN_DIR) + "/larder";
    if (!std::filesystem::exists(bin_)) GTEST_SKIP() << bin_ << " is not built";
    db_ = dir_.File("locked.db");
  }

  CommandResult Larder(const std::vector<std::string>& args) {
    std::string cmd = ShellQuote(bin_);
    for (const std::string& a : args) cmd += " " + ShellQuote(a);
    return RunCommand(cmd, dir_.File("stderr.txt"));
  }

  // Every key of "counter" must be exactly 1..n, with "last" = n. Returns n (0 on failure).
  std::uint64_t ExpectPrefixConsistent(const std::string& path) {
    auto db = bolt::DB::Open(path, bolt::Options{.read_only = true});
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    if (!db.ok()) return 0;
    std::uint64_t n = 0;
    Status s = (*db)->View([&](bolt::Tx& tx) -> Status {
      LARDER_ASSIGN_OR_RETURN(bolt::Bucket b, tx.GetBucket("counter"));
      std::uint64_t seen = 0;
      std::string last;
      LARDER_RETURN_IF_ERROR(b.ForEach([&](std::string_view k, std::string_view v, bool) {
        if (k == "last") {
          last = std::string(v);
          return Status::Ok();
        }
        ++seen;
        if (k != CounterKey(seen) || v != CounterValue(seen)) {
          return Status::Corruption("unexpected key " + std::string(k));
        }
        return Status::Ok();
      }));
      if (last != std::to_string(seen)) {
        return Status::Corruption("last is " + last + " but keys go to " + std::to_string(seen));
      }
      n = seen;
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << path << ": " << s.ToString();
    return s.ok() ? n : 0;
  }

  TempDir dir_;
  std::string bin_;
  std::string db_;
};

TEST_F(CliLockedTest, LockTimeoutIsOneLineErrorNotAHang) {
  ASSERT_EQ(Larder({"put", "--create", db_, "b", "k", "v"}).exit_code, 0);
  const std::string before = ReadFile(db_);
  WriterProcess writer(db_, /*commits=*/false);
  ASSERT_TRUE(writer.ready());
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"info", "--timeout", "300ms", db_},
           {"check", "--timeout", "300ms", db_},
           {"keys", "--timeout", "300ms", db_, "b"},
           {"pages", "--timeout", "300ms", db_},
           {"export", "--timeout", "300ms", db_},
           {"put", "--timeout", "300ms", db_, "b", "k2", "v2"},
           {"compact", "--timeout", "300ms", "-o", dir_.File("c.db"), db_}}) {
    const auto start = std::chrono::steady_clock::now();
    CommandResult r = Larder(args);
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(r.exit_code, 1) << args[0] << ": " << r.out << r.err;
    EXPECT_TRUE(r.err.starts_with("Error: ")) << args[0] << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args[0] << ": " << r.err;
    EXPECT_NE(r.err.find("lock"), std::string::npos) << args[0] << ": " << r.err;
    EXPECT_EQ(r.out, "") << args[0];
    EXPECT_LT(took, std::chrono::seconds(4)) << args[0] << " waited too long";
  }
  EXPECT_FALSE(std::filesystem::exists(dir_.File("c.db")));
  EXPECT_TRUE(ReadFile(db_) == before);
}

TEST_F(CliLockedTest, BackupOfAFileHeldOpenByAnIdleWriter) {
  ASSERT_EQ(Larder({"put", "--create", db_, "counter", CounterKey(1), CounterValue(1)}).exit_code,
            0);
  ASSERT_EQ(Larder({"put", db_, "counter", "last", "1"}).exit_code, 0);
  WriterProcess writer(db_, /*commits=*/false);
  ASSERT_TRUE(writer.ready());
  const std::string dst = dir_.File("idle-copy.db");
  CommandResult r = Larder({"backup", "--timeout", "200ms", db_, dst});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("copied without the lock (attempt 1)"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.ends_with(" written to " + dst + "\n")) << r.out;
  EXPECT_EQ(ExpectPrefixConsistent(dst), 1u);
  // The destination is never overwritten.
  r = Larder({"backup", db_, dst});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("already exists"), std::string::npos) << r.err;
}

TEST_F(CliLockedTest, HotBackupsWhileAnotherProcessCommits) {
  WriterProcess writer(db_, /*commits=*/true);
  ASSERT_TRUE(writer.ready());
  std::uint64_t previous = 0;
  int copies = 0;
  for (int i = 0; i < 5; ++i) {
    const std::string dst = dir_.File("hot-" + std::to_string(i) + ".db");
    CommandResult r = Larder({"backup", "--timeout", "200ms", db_, dst});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.err.find("copied without the lock"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("\r"), std::string::npos) << "no progress bar when not a terminal";
    CommandResult check = Larder({"check", dst});
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
    EXPECT_EQ(check.out, "OK\n");
    const std::uint64_t n = ExpectPrefixConsistent(dst);
    EXPECT_GE(n, previous) << "a later copy holds fewer commits";
    previous = n;
    ++copies;
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }
  EXPECT_EQ(copies, 5);
  EXPECT_GT(previous, 1u) << "the writer should have committed while the copies ran";
}

}  // namespace
}  // namespace larder::test
