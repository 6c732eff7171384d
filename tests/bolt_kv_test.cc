// The shared kv harness (tests/util) on the bolt adapter: the randomized model test through
// kv.h, and crash-point enumeration of kv writes on the fault-injecting file system.
#include <gtest/gtest.h>

#include <iostream>
#include <random>

#include "larder/bolt/kv.h"
#include "tests/util/bolt_tree.h"
#include "tests/util/crash_harness.h"
#include "tests/util/kv_model.h"

namespace larder::test {
namespace {

struct KVParam {
  std::uint32_t page_size;
  bool no_freelist_sync;  // at 1 KiB pages, writing the freelist would dominate the run
  std::uint64_t seed;
};

class BoltKVModelTest : public ::testing::TestWithParam<KVParam> {};

TEST_P(BoltKVModelTest, RandomOperationsMatchModel) {
  auto fs = NewMemFileSystem(std::size_t{1} << 30);
  bolt::Options o;
  o.file_system = fs.get();
  o.page_size = GetParam().page_size;
  o.no_sync = true;
  o.no_freelist_sync = GetParam().no_freelist_sync;
  KVModelOptions mo;
  mo.seed = ModelSeed(GetParam().seed);
  mo.large = LargeValueFor(GetParam().page_size);
  mo.transactions = true;
  KVModelStats st = RunKVModel([&] { return bolt::OpenKV("/kv.db", o); }, mo);
  std::cerr << "kv model seed " << mo.seed << ": " << st.ops << " ops (" << st.writes << " writes, "
            << st.batch_entries << " batch entries, " << st.gets << " gets, " << st.iterator_moves
            << " iterator positions, " << st.snapshots << " snapshots, " << st.snapshot_checks
            << " snapshot checks, " << st.reopens << " reopens, " << st.transactions
            << " transactions: " << st.tx_writes << " writes, " << st.tx_commits << " commits, "
            << st.tx_rollbacks << " rollbacks), up to " << st.max_keys << " keys\n";
  // Not vacuous: the run reached a tree of several pages and used every feature.
  EXPECT_GT(st.max_keys, 500u);
  EXPECT_GT(st.iterator_moves, 1000u);
  EXPECT_GT(st.snapshot_checks, 50u);
  EXPECT_GE(st.reopens, 3u);
  EXPECT_GT(st.tx_commits, 50u);
  EXPECT_GT(st.tx_rollbacks, 10u);
  EXPECT_GT(st.tx_writes, 1000u);
  EXPECT_GT(st.takes, 100u);
  EXPECT_GT(st.skips, 100u);
  // The database the run leaves behind is consistent.
  auto problems = CheckBoltFile("/kv.db", fs.get());
  ASSERT_TRUE(problems.ok()) << problems.status().ToString();
  EXPECT_TRUE(problems->empty()) << (*problems)[0];
}

INSTANTIATE_TEST_SUITE_P(PageSizes, BoltKVModelTest,
                         ::testing::Values(KVParam{1024, true, 1}, KVParam{4096, false, 2},
                                           KVParam{65536, false, 3}),
                         [](const auto& info) {
                           return std::to_string(info.param.page_size) +
                                  (info.param.no_freelist_sync ? "_NoFreelistSync" : "");
                         });

// Each step is one kv Write of a random batch (some values large enough for overflow pages);
// the store is closed and reopened halfway.
CrashWorkload KVCrashWorkload() {
  CrashWorkload w;
  w.initial_state = KVState({});
  auto options = [](FileSystem* fs) {
    bolt::Options o;
    o.file_system = fs;
    o.page_size = 1024;
    return o;
  };
  w.run = [options](FileSystem* fs, CrashTracker* tracker) {
    constexpr int kSteps = 40;
    std::mt19937_64 rng(ModelSeed(7));
    KVMap model;
    std::unique_ptr<kv::Store> store;
    for (int step = 0; step < kSteps; ++step) {
      if (store == nullptr || step == kSteps / 2) {
        store.reset();
        auto s = bolt::OpenKV("/crash.db", options(fs));
        if (!s.ok()) return;
        store = std::move(*s);
      }
      kv::WriteBatch b;
      const int n = 1 + static_cast<int>(rng() % 12);
      for (int i = 0; i < n; ++i) {
        std::string k = "k" + std::to_string(rng() % 60);
        if (rng() % 4 == 0) {
          b.Delete(k);
          model.erase(k);
        } else {
          std::string v = RandomValue(rng, 1500);
          b.Put(k, v);
          model[k] = v;
        }
      }
      tracker->InFlight(KVState(model));
      if (!store->Write({.sync = true}, b).ok()) return;
      tracker->Acknowledged();
    }
  };
  w.recover = [options](FileSystem* fs) -> Result<std::string> {
    LARDER_ASSIGN_OR_RETURN(std::unique_ptr<bolt::DB> db, bolt::DB::Open("/crash.db", options(fs)));
    std::vector<std::string> problems = CheckBolt(*db);
    if (!problems.empty()) return Status::Corruption("check: " + problems[0]);
    LARDER_ASSIGN_OR_RETURN(std::unique_ptr<kv::Store> store, bolt::NewKVStore(db.get()));
    LARDER_ASSIGN_OR_RETURN(std::string state, DumpKVState(*store));
    // The recovered store takes a write and stays consistent.
    LARDER_RETURN_IF_ERROR(store->Put({}, "after-crash", std::string(1500, 'z')));
    problems = CheckBolt(*db);
    if (!problems.empty()) return Status::Corruption("check after a write: " + problems[0]);
    return state;
  };
  return w;
}

TEST(BoltKVCrashTest, EveryCrashPointRecoversAnAllowedState) {
  CrashReport r = RunCrashPoints(KVCrashWorkload(), {.seeds_per_point = 20});
  std::cerr << "kv crash points: " << r.crash_points << " (" << r.interrupted
            << " interrupted the workload) over " << r.mutating_ops << " mutating ops and "
            << r.acknowledged_steps << " acknowledged writes; " << r.states_checked
            << " recoveries checked, " << r.recovered_in_flight << " kept the write in flight, "
            << r.recovered_older << " the last acknowledged state\n";
  EXPECT_EQ(r.crash_points, r.mutating_ops + 1);
  EXPECT_EQ(r.states_checked, r.crash_points * 20);
  EXPECT_GT(r.interrupted, 150u);
  EXPECT_GT(r.recovered_in_flight, 0u);
  EXPECT_GT(r.recovered_older, 0u);
}

}  // namespace
}  // namespace larder::test
