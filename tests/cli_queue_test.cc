// `larder queue ...`, run as a binary over queues that larderd's queue manager made on disk:
// info (text and JSON), check (clean, then a damaged partition: the problem and exit 1), backup
// and restore under another name (the counts come back), and the error paths (a missing layout,
// a missing queue, stores held by a running manager).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "larder/file_system.h"
#include "larder/lsm/db.h"
#include "queue/queue_manager.h"
#include "queue/store_opener.h"
#include "tests/interop/peer.h"
#include "tests/util/temp_dir.h"

namespace larder::test {
namespace {

constexpr std::int64_t kNow = 1'700'000'000'000;

class QueueCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bin_ = std::string(LARDER_BIN_DIR) + "/larder";
    if (!std::filesystem::exists(bin_)) GTEST_SKIP() << bin_ << " is not built";
    layout_ = dir_.File("queues.yaml");
    ASSERT_TRUE(WriteWholeFile(DefaultFileSystem(), layout_,
                               "queue-storage:\n  driver: lsm\n  config:\n    storage-dir: " +
                                   dir_.File("meta") +
                                   "\npartition-storage:\n"
                                   "  - name: ssd\n    driver: lsm\n    affinity: 1\n"
                                   "    config:\n      storage-dir: " +
                                   dir_.File("ssd") +
                                   "\n  - name: hdd\n    driver: bolt\n    affinity: 1\n"
                                   "    config:\n      storage-dir: " +
                                   dir_.File("hdd") + "\n")
                    .ok());
    auto m = OpenManager();
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    ASSERT_TRUE((*m)->Create("dead", {}, kNow).ok());
    ASSERT_TRUE((*m)->Create("jobs", {.partitions = 2, .dead_queue = "dead"}, kNow).ok());
    std::vector<std::string_view> payloads(30, "job");
    std::vector<std::string> ids;
    ASSERT_TRUE((*m)->Produce("jobs", payloads, {}, kNow, &ids).ok());
    (void)(*m)->TakeWritten();  // one batch each, as larderd's clients would send them
    ASSERT_TRUE(
        (*m)->Produce("jobs", {payloads.data(), 10}, {.due_ms = kNow + 60'000}, kNow, &ids).ok());
    std::vector<queue::LeasedItem> leased;
    ASSERT_TRUE((*m)->Lease("jobs", "w", 4, kNow, &leased).ok());
    ASSERT_TRUE((*m)->Close().ok());
  }

  Result<std::unique_ptr<queue::QueueManager>> OpenManager() {
    FileSystem* fs = DefaultFileSystem();
    LARDER_ASSIGN_OR_RETURN(queue::StorageLayout layout, queue::LoadStorageLayout(fs, layout_));
    return queue::QueueManager::Open(
        layout,
        [fs](const queue::StorageLocation& l, const std::string& dir) {
          return queue::OpenQueueStore(l, dir, {.fs = fs});
        },
        fs);
  }

  CommandResult Larder(const std::vector<std::string>& args) {
    std::string cmd = ShellQuote(bin_) + " queue";
    for (const std::string& a : args) cmd += ' ' + ShellQuote(a);
    return RunCommand(cmd + " </dev/null", dir_.File("stderr.txt"));
  }
  std::string Ok(const std::vector<std::string>& args) {
    CommandResult r = Larder(args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << "\nstdout: " << r.out << "\nstderr: " << r.err;
    return r.out;
  }
  void ExpectError(const CommandResult& r, const std::string& what) {
    EXPECT_EQ(r.exit_code, 1) << what << "\nstdout: " << r.out << "\nstderr: " << r.err;
    EXPECT_TRUE(r.err.starts_with("Error")) << what << ": " << r.err;
  }

  TempDir dir_;
  std::string bin_, layout_;
};

TEST_F(QueueCliTest, InfoCheckBackupRestore) {
  const std::string info = Ok({"info", layout_});
  EXPECT_NE(info.find("jobs: 2 partitions  lease-timeout 60000 ms"), std::string::npos) << info;
  EXPECT_NE(info.find("ready 26  leased 4  scheduled 10  outbox 0"), std::string::npos) << info;
  EXPECT_NE(info.find("partition 1  hdd (bolt)  " + dir_.File("hdd/jobs-000001-partition")),
            std::string::npos)
      << info;
  const auto j = nlohmann::json::parse(Ok({"info", "--json", layout_, "jobs"}));
  ASSERT_EQ(j["queues"].size(), 1u);
  ASSERT_EQ(j["queues"][0]["partitions"].size(), 2u);
  EXPECT_EQ(j["queues"][0]["dead_queue"], "dead");
  EXPECT_EQ(j["queues"][0]["partitions"][0]["location"], "ssd");
  EXPECT_EQ(j["queues"][0]["partitions"][0]["ready"].get<int>() +
                j["queues"][0]["partitions"][1]["ready"].get<int>(),
            26);
  EXPECT_EQ(Ok({"check", layout_}), "OK: 2 queues, 3 partitions, 40 items, 82 records\n");

  const std::string backup = dir_.File("backup");
  EXPECT_EQ(Ok({"backup", layout_, "jobs", backup}),
            "backed up queue jobs: 40 items into " + backup + "\n");
  EXPECT_TRUE(std::filesystem::exists(backup + "/QUEUE"));
  EXPECT_EQ(Ok({"restore", layout_, "jobs2", backup}),
            "restored queue jobs2: 40 items in 2 partitions\n");
  const auto c = nlohmann::json::parse(Ok({"check", "--json", layout_}));
  EXPECT_TRUE(c["ok"].get<bool>()) << c.dump();
  EXPECT_EQ(c["queues"], 3);
  EXPECT_EQ(c["items"], 80);
  ExpectError(Larder({"restore", layout_, "jobs2", backup}), "restore over an existing queue");
}

TEST_F(QueueCliTest, CheckReportsDamage) {
  {
    lsm::Options o;
    auto db = lsm::DB::Open(dir_.File("ssd/jobs-000000-partition"), o);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    std::string meta;
    ASSERT_TRUE((*db)->Get("M", &meta).ok());
    meta[3] = static_cast<char>(meta[3] + 1);  // the ready counter (one-byte varints)
    ASSERT_TRUE((*db)->Put({}, "M", meta).ok());
    ASSERT_TRUE((*db)->Close().ok());
  }
  const CommandResult r = Larder({"check", layout_});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("1 problems in 2 queues, 3 partitions:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("queue jobs: partition 0: M: counter ready is"), std::string::npos) << r.out;
}

TEST_F(QueueCliTest, Errors) {
  ExpectError(Larder({"info", dir_.File("none.yaml")}), "missing layout");
  ExpectError(Larder({"info", layout_, "nope"}), "missing queue");
  ExpectError(Larder({"info", dir_.path()}), "a data directory without queues");
  EXPECT_FALSE(std::filesystem::exists(dir_.File("queues")));
  auto m = OpenManager();  // larderd running: the stores are locked
  ASSERT_TRUE(m.ok());
  ExpectError(Larder({"check", layout_}), "stores in use");
  ASSERT_TRUE((*m)->Close().ok());
}

}  // namespace
}  // namespace larder::test
