// Runs the examples/node_stores program as a user would, then `larder buckets` on the compute
// store it leaves behind.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "tests/util/temp_dir.h"

namespace larder {
namespace {

struct ShellRun {
  int code = -1;
  std::string out;
};

// Runs the shell command `cmd` (stderr folded into stdout).
ShellRun Shell(const std::string& cmd) {
  ShellRun r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class NodeStoresExampleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    example_ = std::string(LARDER_BIN_DIR) + "/node_stores";
    larder_ = std::string(LARDER_BIN_DIR) + "/larder";
    if (!std::filesystem::exists(example_) || !std::filesystem::exists(larder_)) {
      GTEST_SKIP() << "node_stores or larder is not built";
    }
    // A clean environment: only what the test sets, plus PATH and sanitizer settings.
    env_ =
        "env -u LARDER_JOB_STORE_TYPE -u LARDER_COMPUTE_STORE_TYPE -u LARDER_JOB_STORE_PATH "
        "-u LARDER_COMPUTE_STORE_PATH -u BACALHAU_JOB_STORE_TYPE -u BACALHAU_COMPUTE_STORE_TYPE "
        "-u BACALHAU_JOB_STORE_PATH -u BACALHAU_COMPUTE_STORE_PATH -u BACALHAU_DIR "
        "LARDER_DIR='" +
        dir_.path() + "' LARDER_NODE_ID=test-node ";
  }

  test::TempDir dir_;
  std::string example_, larder_, env_;
};

TEST_F(NodeStoresExampleTest, RestartsWithLiveExecutionsAndRecoversThemByType) {
  ShellRun r = Shell(env_ + example_);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("(batch): running -> failed: failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(ops): bid_accepted -> failed: failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(daemon): running -> bid_accepted: recovered"), std::string::npos);
  EXPECT_NE(r.out.find("(service): publishing -> bid_accepted: recovered"), std::string::npos);
  EXPECT_NE(r.out.find("counters before restart: created=0 bid_accepted=1 running=2 "
                       "publishing=1 completed=1 failed=0"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("counters after restart: created=0 bid_accepted=2 running=0 publishing=0 "
                       "completed=1 failed=2"),
            std::string::npos)
      << r.out;

  const std::string compute = dir_.File("test-node-compute.db");
  ASSERT_TRUE(std::filesystem::exists(compute));
  ASSERT_TRUE(std::filesystem::exists(dir_.File("test-node-requester.db")));
  ShellRun buckets = Shell("'" + larder_ + "' buckets '" + compute + "'");
  ASSERT_EQ(buckets.code, 0) << buckets.out;
  EXPECT_EQ(buckets.out, "execution\nexecution-history\nexecution-index\n");
  ShellRun check = Shell("'" + larder_ + "' check '" + compute + "'");
  EXPECT_EQ(check.code, 0) << check.out;

  // A second start finds the recovered executions of the first run and recovers them again.
  ShellRun again = Shell(env_ + example_);
  ASSERT_EQ(again.code, 0) << again.out;
  EXPECT_NE(again.out.find("start-up: counters created=0 bid_accepted=2 running=0 publishing=0 "
                           "completed=1 failed=2"),
            std::string::npos)
      << again.out;
}

TEST_F(NodeStoresExampleTest, BadStoreTypeIsAClearError) {
  ShellRun r = Shell(env_ + "BACALHAU_JOB_STORE_TYPE=postgres " + example_);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("BACALHAU_JOB_STORE_TYPE=\"postgres\" is not a store type; allowed values: "
                       "bolt, boltdb, inmemory"),
            std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace larder
