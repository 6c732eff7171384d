// The offline facade (larder/queue/queue_store.h) over queues that larderd's manager made, on
// an in-memory file system: Describe's counters, Check on intact and damaged stores, the engine
// lock against a running manager, and a backup restored under another name.
#include "larder/queue/queue_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "larder/file_system.h"
#include "larder/lsm/db.h"
#include "queue/item_format.h"
#include "queue/queue_manager.h"
#include "queue/store_opener.h"

namespace larder::queue {
namespace {

constexpr std::int64_t kStoreNow = 1'700'000'000'000;

constexpr char kLayout[] = R"(queue-storage:
  driver: lsm
  config:
    storage-dir: /meta
partition-storage:
  - name: fast
    driver: lsm
    affinity: 2
    config:
      storage-dir: /fast
  - name: slow
    driver: lsm
    affinity: 1
    config:
      storage-dir: /slow
)";

class QueueStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(WriteWholeFile(fs_.get(), "/queues.yaml", kLayout).ok());
    auto m = OpenManager();
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    QueueManager& qm = **m;
    ASSERT_TRUE(qm.Create("d", {}, kStoreNow).ok());
    ASSERT_TRUE(qm.Create("q", {.partitions = 3, .expire_timeout_ms = 600'000, .dead_queue = "d"},
                          kStoreNow)
                    .ok());
    std::vector<std::string_view> payloads(20, "job");
    std::vector<std::string> ids;
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(qm.Produce("q", payloads, {}, kStoreNow, &ids).ok());
      (void)qm.TakeWritten();  // one batch each, as larderd's clients would send them
    }
    std::vector<LeasedItem> leased;
    ASSERT_TRUE(qm.Lease("q", "c", 5, kStoreNow, &leased).ok());
    ASSERT_EQ(leased.size(), 5u);
    std::vector<std::string_view> dead = {leased[0].id}, not_leased;
    std::vector<std::string> nl;
    ASSERT_TRUE(qm.Retry("q", dead, 0, true, kStoreNow, &nl).ok());
    ASSERT_TRUE(nl.empty());
    ASSERT_TRUE(qm.Close().ok());
  }

  Result<std::unique_ptr<QueueManager>> OpenManager() {
    auto layout = LoadStorageLayout(fs_.get(), "/queues.yaml");
    if (!layout.ok()) return layout.status();
    return QueueManager::Open(
        *layout,
        [fs = fs_.get()](const StorageLocation& l, const std::string& dir) {
          return OpenQueueStore(l, dir, {.fs = fs});
        },
        fs_.get());
  }

  std::unique_ptr<QueueStore> OpenStore(bool read_only = true) {
    auto s = QueueStore::Open("/queues.yaml", {.read_only = read_only, .file_system = fs_.get()});
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  static std::uint64_t Items(const QueueSummary& q) {
    std::uint64_t n = 0;
    for (const PartitionSummary& p : q.partitions) n += p.ready + p.leased + p.scheduled + p.outbox;
    return n;
  }

  std::unique_ptr<FileSystem> fs_ = NewMemFileSystem(std::size_t{64} << 20);
};

TEST_F(QueueStoreTest, DescribesAndChecksWhatTheManagerMade) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->List(), (std::vector<std::string>{"d", "q"}));
  auto q = store->Describe("q");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->dead_queue, "d");
  EXPECT_EQ(q->expire_timeout_ms, 600'000);
  ASSERT_EQ(q->partitions.size(), 3u);
  EXPECT_EQ(q->partitions[0].location, "fast");
  EXPECT_EQ(q->partitions[1].location, "fast");
  EXPECT_EQ(q->partitions[2].location, "slow");
  EXPECT_EQ(q->partitions[2].dir, "/slow/q-000002-partition");
  EXPECT_EQ(q->partitions[2].driver, "lsm");
  std::uint64_t ready = 0, leased = 0, dead = 0;
  for (const PartitionSummary& p : q->partitions) {
    ready += p.ready;
    leased += p.leased;
    dead += p.dead_lettered;
  }
  EXPECT_EQ(ready, 55u);
  EXPECT_EQ(leased, 4u);
  EXPECT_EQ(dead, 1u);
  EXPECT_EQ(Items(*store->Describe("d")), 1u);
  EXPECT_EQ(store->Describe("nope").status().code(), Code::kNotFound);
  auto report = store->Check();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok()) << (report->problems.empty() ? "" : report->problems[0]);
  EXPECT_EQ(report->queues, 2u);
  EXPECT_EQ(report->partitions, 4u);
  EXPECT_EQ(report->items, 60u);
  EXPECT_EQ(store->Restore("x", "/nowhere").code(), Code::kInvalidArgument);  // read-only
  ASSERT_TRUE(store->Close().ok());
}

TEST_F(QueueStoreTest, RefusedWhileTheManagerHoldsTheStores) {
  auto m = OpenManager();
  ASSERT_TRUE(m.ok());
  auto s = QueueStore::Open("/queues.yaml", {.file_system = fs_.get()});
  EXPECT_EQ(s.status().code(), Code::kBusy) << s.status().ToString();
  ASSERT_TRUE((*m)->Close().ok());
  EXPECT_TRUE(QueueStore::Open("/queues.yaml", {.file_system = fs_.get()}).ok());
  EXPECT_EQ(QueueStore::OpenDefault("/elsewhere", {.file_system = fs_.get()}).status().code(),
            Code::kNotFound);
}

TEST_F(QueueStoreTest, CheckReportsADamagedPartition) {
  {
    // Partition 2 of q holds the produce batches' items 41..60 (the least loaded got each).
    lsm::Options o;
    o.file_system = fs_.get();
    auto db = lsm::DB::Open("/slow/q-000002-partition", o);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto it = *(*db)->NewIterator({.lower_bound = "P", .upper_bound = "Q"});
    it->SeekToFirst();
    ASSERT_TRUE(it->Valid());
    const std::string first_payload(it->key());
    it.reset();
    ASSERT_TRUE((*db)->Delete({}, first_payload).ok());
    ASSERT_TRUE((*db)->Close().ok());
  }
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto report = store->Check();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_FALSE(report->ok());
  ASSERT_EQ(report->problems.size(), 1u);
  EXPECT_NE(report->problems[0].find("queue q: partition 2: R "), std::string::npos)
      << report->problems[0];
  EXPECT_NE(report->problems[0].find("is missing"), std::string::npos) << report->problems[0];
}

TEST_F(QueueStoreTest, CheckReportsDirectoriesTheLayoutNoLongerNames) {
  // The administrator changed fast's storage-dir without moving its partitions.
  std::string moved(kLayout);
  moved.replace(moved.find("/fast"), 5, "/fast-new");
  ASSERT_TRUE(WriteWholeFile(fs_.get(), "/moved.yaml", moved).ok());
  auto store = QueueStore::Open("/moved.yaml", {.file_system = fs_.get()});
  ASSERT_TRUE(store.ok()) << store.status().ToString();  // the records name the old directories
  auto report = (*store)->Check();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->problems.size(), 3u);  // d's partition and q's first two are on fast
  EXPECT_EQ(report->problems[1],
            "queue q: partition 0: directory /fast/q-000000-partition is not the placement's "
            "/fast-new/q-000000-partition");
}

TEST_F(QueueStoreTest, BackupRestoresUnderAnotherName) {
  std::uint64_t items = 0;
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Backup("q", "/backup", &items).ok());
    EXPECT_EQ(items, 59u);
    EXPECT_EQ(store->Backup("q", "/backup", &items).code(), Code::kInvalidArgument);  // not empty
  }
  auto store = OpenStore(/*read_only=*/false);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Restore("q2", "/backup").ok());
  EXPECT_EQ(store->Restore("q2", "/backup").code(), Code::kInvalidArgument);  // exists
  auto q = store->Describe("q"), q2 = store->Describe("q2");
  ASSERT_TRUE(q.ok() && q2.ok());
  EXPECT_EQ(Items(*q2), Items(*q));
  for (std::size_t i = 0; i < q->partitions.size(); ++i) {
    EXPECT_EQ(q2->partitions[i].ready, q->partitions[i].ready);
    EXPECT_EQ(q2->partitions[i].leased, q->partitions[i].leased);
  }
  auto report = store->Check();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << (report->problems.empty() ? "" : report->problems[0]);
  EXPECT_EQ(report->queues, 3u);
}

}  // namespace
}  // namespace larder::queue
