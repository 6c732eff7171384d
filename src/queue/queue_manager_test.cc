#include "queue/queue_manager.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <set>

#include "larder/file_system.h"
#include "larder/lsm/db.h"
#include "tests/util/crash_harness.h"

namespace larder::queue {
namespace {

constexpr std::int64_t kNow = 1'700'000'000'000;

StoreOpener LsmOpener(FileSystem* fs) {
  return
      [fs](const StorageLocation&, const std::string& dir) -> Result<std::unique_ptr<kv::Store>> {
        lsm::Options o;
        o.file_system = fs;
        LARDER_ASSIGN_OR_RETURN(std::unique_ptr<lsm::DB> db, lsm::DB::Open(dir, o));
        return std::unique_ptr<kv::Store>(std::move(db));
      };
}

StorageLayout TwoLocations() {
  StorageLayout layout = DefaultStorageLayout("/meta");
  layout.partition_storage = {
      {.name = "fast", .driver = Driver::kLsm, .affinity = 2, .dir = "/fast"},
      {.name = "slow", .driver = Driver::kLsm, .affinity = 1, .dir = "/slow"}};
  return layout;
}

Result<std::unique_ptr<QueueManager>> OpenManager(FileSystem* fs) {
  return QueueManager::Open(TwoLocations(), LsmOpener(fs), fs);
}

// Makes every partition's writes durable, as larderd does per appendfsync always.
Status SyncAll(QueueManager& m) {
  for (auto& [p, w] : m.TakeWritten()) LARDER_RETURN_IF_ERROR(p->SyncThrough(w));
  return Status::Ok();
}

// The observable state of queues q and d: the queue list, counters, and d's payloads with their
// deliveries (a dead letter keeps its one delivery; the dump's lease makes it two), leased to
// read them: the dump ends the run.
Result<std::string> Dump(QueueManager& m) {
  std::string out;
  for (const std::string& name : m.List()) out += name + ";";
  for (const char* q : {"q", "d"}) {
    auto st = m.Stats(q, kNow);
    if (!st.ok()) continue;
    out += fmt::format("{}: ready {} leased {} scheduled {} dead {};", q, st->total.ready,
                       st->total.leased, st->total.scheduled, st->total.dead_lettered);
  }
  std::vector<LeasedItem> items;
  while (m.Info("d").ok()) {  // a lease takes from one partition: until all are empty
    const std::size_t before = items.size();
    LARDER_RETURN_IF_ERROR(m.Lease("d", "dump", 100, kNow, &items));
    if (items.size() == before) break;
  }
  std::vector<std::string> got;
  for (auto& i : items) got.push_back(fmt::format(" {}x{}", i.payload, i.attempts));
  std::sort(got.begin(), got.end());
  for (auto& g : got) out += g;
  return out;
}

// Every crash point of: create two queues, produce, lease, and retry the items DEAD (the move to
// the dead-letter queue crosses stores: outbox, synced arrival with a marker, synced drop). After
// a power loss and the cron's redo, each item is where an acknowledged step or the step in
// flight put it: never in both queues, never lost, never twice in the dead-letter queue.
TEST(QueueManagerCrashTest, DeadLetterMovesAreExactlyOnceAtEveryCrashPoint) {
  test::CrashWorkload w;
  w.initial_state = "";
  w.run = [](FileSystem* fs, test::CrashTracker* t) {
    auto m = OpenManager(fs);
    if (!m.ok()) return;
    QueueManager& qm = **m;
    t->InFlight("d;d: ready 0 leased 0 scheduled 0 dead 0;");
    if (!qm.Create("d", {.partitions = 2}, kNow).ok()) return;
    t->Acknowledged();
    t->InFlight(
        "d;q;q: ready 0 leased 0 scheduled 0 dead 0;d: ready 0 leased 0 scheduled 0 dead 0;");
    if (!qm.Create("q", {.partitions = 2, .dead_queue = "d"}, kNow).ok()) return;
    t->Acknowledged();
    t->InFlight(
        "d;q;q: ready 3 leased 0 scheduled 0 dead 0;d: ready 0 leased 0 scheduled 0 dead 0;");
    std::vector<std::string_view> payloads = {"a", "b", "c"};
    std::vector<std::string> ids;
    if (!qm.Produce("q", payloads, {}, kNow, &ids).ok() || !SyncAll(qm).ok()) return;
    t->Acknowledged();
    t->InFlight(
        "d;q;q: ready 0 leased 3 scheduled 0 dead 0;d: ready 0 leased 0 scheduled 0 dead 0;");
    std::vector<LeasedItem> leased;
    if (!qm.Lease("q", "w", 10, kNow, &leased).ok() || !SyncAll(qm).ok()) return;
    t->Acknowledged();
    t->InFlight(
        "d;q;q: ready 0 leased 0 scheduled 0 dead 3;d: ready 3 leased 0 scheduled 0 dead 0; ax2 "
        "bx2 cx2");
    std::vector<std::string_view> lids;
    for (auto& l : leased) lids.push_back(l.id);
    std::vector<std::string> not_leased;
    if (!qm.Retry("q", lids, 0, true, kNow, &not_leased).ok() || !SyncAll(qm).ok()) return;
    t->Acknowledged();
  };
  w.recover = [](FileSystem* fs) -> Result<std::string> {
    LARDER_ASSIGN_OR_RETURN(auto m, OpenManager(fs));
    std::set<std::string> readied;
    LARDER_RETURN_IF_ERROR(m->Tick(kNow, &readied));  // redoes an interrupted move
    return Dump(*m);
  };
  // The states leased from d are dumped with their deliveries; a state that never reached the
  // retry shows d empty.
  test::CrashReport r = test::RunCrashPoints(w, {.seeds_per_point = 6});
  std::cerr << "queue dead-letter move: " << r.states_checked << " crash states over "
            << r.crash_points << " crash points (" << r.interrupted << " interrupted), "
            << r.recovered_in_flight << " kept the step in flight\n";
  EXPECT_EQ(r.acknowledged_steps, 5u);
  EXPECT_GT(r.interrupted, 20u);
  EXPECT_GT(r.recovered_in_flight, 0u);
}

TEST(QueueManagerTest, QueuesAndTheirPlacementSurviveAReopen) {
  auto fs = NewMemFileSystem(std::size_t{64} << 20);
  {
    auto m = OpenManager(fs.get());
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    ASSERT_TRUE((*m)->Create("jobs", {.partitions = 3, .lease_timeout_ms = 500}, kNow).ok());
    EXPECT_EQ((*m)->Create("jobs", {}, kNow).code(), Code::kAlreadyExists);
    EXPECT_EQ((*m)->Create("bad~name", {}, kNow).code(), Code::kInvalidArgument);
    ASSERT_TRUE((*m)->Update("jobs", {.partitions = 5}).ok());
    EXPECT_EQ((*m)->Update("jobs", {.partitions = 4}).code(), Code::kInvalidArgument);
    std::vector<std::string_view> payloads = {"x"};
    std::vector<std::string> ids;
    ASSERT_TRUE((*m)->Produce("jobs", payloads, {}, kNow, &ids).ok());
    ASSERT_TRUE((*m)->Close().ok());
  }
  auto m = OpenManager(fs.get());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  auto info = (*m)->Info("jobs");
  ASSERT_TRUE(info.ok());
  ASSERT_EQ(info->partitions.size(), 5u);
  std::vector<std::string> where;
  for (auto& p : info->partitions) where.push_back(p.location);
  // 3 by the rule at 2/1 (2 fast, 1 slow), then the new ones where the rule for 5 wants them.
  EXPECT_EQ(where, (std::vector<std::string>{"fast", "fast", "slow", "fast", "slow"}));
  EXPECT_EQ(info->partitions[4].dir, "/slow/jobs-000004-partition");
  EXPECT_EQ(info->settings.lease_timeout_ms, 500);
  auto st = (*m)->Stats("jobs", kNow);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->total.ready, 1u);
  Status deleted = (*m)->Delete("jobs");
  ASSERT_TRUE(deleted.ok()) << deleted.ToString();
  EXPECT_FALSE(*fs->Exists("/slow/jobs-000004-partition"));
  EXPECT_EQ((*m)->Stats("jobs", kNow).status().code(), Code::kNotFound);
}

TEST(QueueManagerTest, ProducesGoToTheLeastLoadedPartitionAndLeasesToTheFullest) {
  auto fs = NewMemFileSystem(std::size_t{64} << 20);
  auto m = OpenManager(fs.get());
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE((*m)->Create("q", {.partitions = 3}, kNow).ok());
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    std::vector<std::string_view> batch(static_cast<std::size_t>(i + 1), "p");
    ASSERT_TRUE((*m)->Produce("q", batch, {}, kNow, &ids).ok());
    (void)(*m)->TakeWritten();  // each produce in a batch of its own (no sticky routing)
  }
  auto st = (*m)->Stats("q", kNow);
  ASSERT_TRUE(st.ok());
  // Batches 1..6 to the emptiest partition each time: 1+4=5, 2+5=7, 3+6=9.
  EXPECT_EQ(st->partitions[0].ready, 5u);
  EXPECT_EQ(st->partitions[1].ready, 7u);
  EXPECT_EQ(st->partitions[2].ready, 9u);
  std::vector<LeasedItem> got;
  ASSERT_TRUE((*m)->Lease("q", "c", 100, kNow, &got).ok());
  ASSERT_EQ(got.size(), 9u);  // one partition per lease: the fullest
  EXPECT_EQ(got[0].id.substr(0, 2), "2-");
  std::vector<std::string> not_leased;
  std::vector<std::string_view> bogus = {got[0].id, "7-1", "junk", "2-x"};
  ASSERT_TRUE((*m)->Complete("q", bogus, &not_leased).ok());
  EXPECT_EQ(not_leased, (std::vector<std::string>{"7-1", "junk", "2-x"}));
  EXPECT_EQ((*m)->Stats("q", kNow)->total.leased, 9u);  // nothing applied
}

// Within one batch (between TakeWritten calls) produces and leases stay on the partition the
// batch already wrote, while it is within kStickySlack of the best choice; across batches the
// loads stay balanced within the slack, and every partition gets items.
TEST(QueueManagerTest, ABatchsProducesAndLeasesStayOnThePartitionItWrote) {
  auto fs = NewMemFileSystem(std::size_t{64} << 20);
  auto m = OpenManager(fs.get());
  ASSERT_TRUE(m.ok());
  constexpr std::uint32_t kPartitions = 8;
  ASSERT_TRUE((*m)->Create("q", {.partitions = kPartitions}, kNow).ok());
  std::vector<std::string_view> one = {"p"};
  std::vector<std::string> ids;
  for (int batch = 0; batch < 500; ++batch) {
    const std::size_t first = ids.size();
    for (int i = 0; i < 4; ++i) ASSERT_TRUE((*m)->Produce("q", one, {}, kNow, &ids).ok());
    for (std::size_t i = first + 1; i < ids.size(); ++i) {
      ASSERT_EQ(ids[i].substr(0, 2), ids[first].substr(0, 2)) << "batch " << batch;
    }
    ASSERT_EQ((*m)->TakeWritten().size(), 1u);  // one partition to sync
  }
  auto st = (*m)->Stats("q", kNow);
  ASSERT_TRUE(st.ok());
  std::uint64_t lo = UINT64_MAX, hi = 0;
  for (const auto& p : st->partitions) {
    lo = std::min(lo, p.ready);
    hi = std::max(hi, p.ready);
  }
  EXPECT_GT(lo, 0u);
  EXPECT_LE(hi - lo, kStickySlack + 4);

  // Leases of one item each, four per batch: all from one partition, the fullest or within the
  // slack of it; then their completes touch that one partition only.
  for (int batch = 0; batch < 100; ++batch) {
    std::vector<LeasedItem> got;
    for (int i = 0; i < 4; ++i) ASSERT_TRUE((*m)->Lease("q", "c", 1, kNow, &got).ok());
    ASSERT_EQ(got.size(), 4u);
    for (const LeasedItem& item : got) {
      ASSERT_EQ(item.id.substr(0, 2), got[0].id.substr(0, 2)) << "batch " << batch;
    }
    ASSERT_EQ((*m)->TakeWritten().size(), 1u);
    std::vector<std::string_view> done;
    for (const LeasedItem& item : got) done.push_back(item.id);
    std::vector<std::string> not_leased;
    ASSERT_TRUE((*m)->Complete("q", done, &not_leased).ok());
    ASSERT_TRUE(not_leased.empty());
    ASSERT_EQ((*m)->TakeWritten().size(), 1u);
  }
  EXPECT_EQ((*m)->Stats("q", kNow)->total.ready, 2000u - 400u);
}

// A lease sticks only to the partition an earlier lease of its batch took from, never to the
// one a produce of the batch went to: with producers and consumers in every batch, the
// partition holding the backlog is still drained first.
TEST(QueueManagerTest, ALeaseDoesNotFollowTheProducesOfItsBatch) {
  auto fs = NewMemFileSystem(std::size_t{64} << 20);
  auto m = OpenManager(fs.get());
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE((*m)->Create("q", {.partitions = 2}, kNow).ok());
  std::vector<std::string_view> backlog(50, "old"), one = {"new"};
  std::vector<std::string> ids;
  ASSERT_TRUE((*m)->Produce("q", backlog, {}, kNow, &ids).ok());
  ASSERT_EQ(ids.front().substr(0, 2), "0-");
  (void)(*m)->TakeWritten();
  for (int batch = 0; batch < 20; ++batch) {
    ids.clear();
    ASSERT_TRUE((*m)->Produce("q", one, {}, kNow, &ids).ok());
    EXPECT_EQ(ids[0].substr(0, 2), "1-") << "batch " << batch;  // the least loaded
    std::vector<LeasedItem> got;
    ASSERT_TRUE((*m)->Lease("q", "c", 1, kNow, &got).ok());
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].id.substr(0, 2), "0-") << "batch " << batch;  // the backlog first
    (void)(*m)->TakeWritten();
  }
}

TEST(QueueManagerTest, RebalanceMovesPartitionsToNewLocationsWithEveryItem) {
  auto fs = NewMemFileSystem(std::size_t{128} << 20);
  StorageLayout one = DefaultStorageLayout("/meta");
  one.partition_storage = {{.name = "fast", .driver = Driver::kLsm, .affinity = 1, .dir = "/fast"}};
  std::vector<LeasedItem> leased;
  {
    auto m = QueueManager::Open(one, LsmOpener(fs.get()), fs.get());
    ASSERT_TRUE(m.ok());
    ASSERT_TRUE((*m)->Create("q", {.partitions = 4}, kNow).ok());
    std::vector<std::string> ids;
    for (int i = 0; i < 40; ++i) {
      const std::string p = "item" + std::to_string(i);
      std::vector<std::string_view> one_item = {p};
      ASSERT_TRUE((*m)->Produce("q", one_item, {}, kNow, &ids).ok());
    }
    ASSERT_TRUE((*m)->Lease("q", "c", 3, kNow, &leased).ok());
    ASSERT_TRUE((*m)->Close().ok());
  }
  // A second location joins: 4 partitions at 2/1 are 3 + 1.
  auto m = OpenManager(fs.get());
  ASSERT_TRUE(m.ok());
  std::vector<std::uint32_t> moved;
  Status rebalanced = (*m)->Rebalance("q", &moved);
  ASSERT_TRUE(rebalanced.ok()) << rebalanced.ToString();
  EXPECT_EQ(moved, (std::vector<std::uint32_t>{3}));
  EXPECT_EQ((*m)->Info("q")->partitions[3].location, "slow");
  EXPECT_TRUE(*fs->Exists("/slow/q-000003-partition"));
  EXPECT_FALSE(*fs->Exists("/fast/q-000003-partition"));
  moved.clear();
  ASSERT_TRUE((*m)->Rebalance("q", &moved).ok());
  EXPECT_TRUE(moved.empty());  // already where the rule wants them
  // Every item is still there exactly once; the leases still hold.
  std::vector<std::string_view> lease_ids;
  for (auto& l : leased) lease_ids.push_back(l.id);
  std::vector<std::string> not_leased;
  ASSERT_TRUE((*m)->Complete("q", lease_ids, &not_leased).ok());
  EXPECT_TRUE(not_leased.empty());
  std::set<std::string> seen;
  for (auto& l : leased) seen.insert(l.payload);
  for (int round = 0; round < 10; ++round) {
    std::vector<LeasedItem> got;
    ASSERT_TRUE((*m)->Lease("q", "c", 100, kNow, &got).ok());
    for (auto& g : got) EXPECT_TRUE(seen.insert(g.payload).second) << g.payload;
  }
  EXPECT_EQ(seen.size(), 40u);
  ASSERT_TRUE((*m)->Close().ok());
  auto again = OpenManager(fs.get());  // the record names the new place
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->Info("q")->partitions[3].dir, "/slow/q-000003-partition");
}

TEST(QueueManagerTest, BackupAndRestoreKeepEveryItemAndLease) {
  auto fs = NewMemFileSystem(std::size_t{128} << 20);
  auto m = OpenManager(fs.get());
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE(
      (*m)->Create("q", {.partitions = 3, .lease_timeout_ms = 1000, .max_attempts = 7}, kNow).ok());
  std::vector<std::string> ids;
  for (int i = 0; i < 30; ++i) {
    const std::string p = "item" + std::to_string(i);
    std::vector<std::string_view> one = {p};
    ASSERT_TRUE((*m)->Produce("q", one, {.due_ms = i % 10 == 0 ? kNow + 500 : 0}, kNow, &ids).ok());
  }
  std::vector<LeasedItem> leased;
  ASSERT_TRUE((*m)->Lease("q", "c", 4, kNow, &leased).ok());
  std::uint64_t items = 0;
  ASSERT_TRUE((*m)->Backup("q", "/backup", &items).ok());
  EXPECT_EQ(items, 30u);
  EXPECT_EQ((*m)->Backup("q", "/backup", &items).code(), Code::kInvalidArgument);  // not empty
  EXPECT_EQ((*m)->Restore("q", "/backup").code(), Code::kInvalidArgument);         // exists
  ASSERT_TRUE((*m)->Restore("copy", "/backup").ok());
  auto info = (*m)->Info("copy");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->partitions.size(), 3u);
  EXPECT_EQ(info->settings.max_attempts, 7u);
  auto a = (*m)->Stats("q", kNow), b = (*m)->Stats("copy", kNow);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(b->total.ready, a->total.ready);
  EXPECT_EQ(b->total.leased, a->total.leased);
  EXPECT_EQ(b->total.scheduled, a->total.scheduled);
  // The copy's leases end at their deadlines and its scheduled items come due: all 30 return.
  std::set<std::string> readied;
  ASSERT_TRUE((*m)->Tick(kNow + 2000, &readied).ok());
  std::set<std::string> seen;
  for (int round = 0; round < 10; ++round) {
    std::vector<LeasedItem> got;
    ASSERT_TRUE((*m)->Lease("copy", "c", 100, kNow + 2000, &got).ok());
    for (auto& g : got) EXPECT_TRUE(seen.insert(g.payload).second) << g.payload;
  }
  EXPECT_EQ(seen.size(), 30u);
  // A backup missing a piece is refused, not restored empty.
  ASSERT_TRUE(fs->Remove("/backup/QUEUE").ok());
  EXPECT_EQ((*m)->Restore("other", "/backup").code(), Code::kInvalidArgument);
}

// The backup in steps (larderd copies without its lock): what is written between StartBackup
// and FinishBackup stays out of the backup, and the queue cannot be deleted or rebalanced
// meanwhile (its stores must outlive the snapshots).
TEST(QueueManagerTest, StepwiseBackupIsTheQueueAsOfItsStart) {
  auto fs = NewMemFileSystem(std::size_t{128} << 20);
  auto m = OpenManager(fs.get());
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE((*m)->Create("q", {.partitions = 2}, kNow).ok());
  std::vector<std::string> ids;
  std::vector<std::string_view> ten(10, "before");
  ASSERT_TRUE((*m)->Produce("q", ten, {}, kNow, &ids).ok());
  std::vector<LeasedItem> leased;
  ASSERT_TRUE((*m)->Lease("q", "c", 3, kNow, &leased).ok());
  auto backup = (*m)->StartBackup("q", "/backup");
  ASSERT_TRUE(backup.ok()) << backup.status().ToString();
  // Meanwhile: more items, a completion, and the refused commands.
  std::vector<std::string_view> five(5, "after");
  ASSERT_TRUE((*m)->Produce("q", five, {}, kNow, &ids).ok());
  std::vector<std::string_view> done = {leased[0].id};
  std::vector<std::string> not_leased;
  ASSERT_TRUE((*m)->Complete("q", done, &not_leased).ok());
  EXPECT_EQ((*m)->Delete("q").code(), Code::kInvalidArgument);
  std::vector<std::uint32_t> moved;
  EXPECT_EQ((*m)->Rebalance("q", &moved).code(), Code::kInvalidArgument);
  ASSERT_TRUE((*backup)->Write().ok());
  EXPECT_EQ((*backup)->items(), 10u);
  (*m)->FinishBackup(std::move(*backup));
  ASSERT_TRUE((*m)->Restore("copy", "/backup").ok());
  auto st = (*m)->Stats("copy", kNow);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->total.ready, 7u);
  EXPECT_EQ(st->total.leased, 3u);
  std::vector<LeasedItem> got;
  for (int round = 0; round < 2; ++round)
    ASSERT_TRUE((*m)->Lease("copy", "c", 100, kNow, &got).ok());
  ASSERT_EQ(got.size(), 7u);
  for (const LeasedItem& g : got) EXPECT_EQ(g.payload, "before");
  EXPECT_TRUE((*m)->Delete("copy").ok());
  EXPECT_TRUE((*m)->Delete("q").ok());  // the backup is finished
}

}  // namespace
}  // namespace larder::queue
