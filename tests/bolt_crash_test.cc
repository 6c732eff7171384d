// Crash-point enumeration: run a randomized workload, crash at every mutating I/O operation in
// turn, simulate a power loss with many damage seeds per crash point (unsynced writes applied,
// dropped or torn), reopen, and require: the check passes, and the data is exactly the last
// acknowledged commit or the one in flight.
#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <string>

#include "larder/bolt/db.h"
#include "tests/util/bolt_tree.h"
#include "tests/util/crash_harness.h"

namespace larder::bolt {
namespace {

using test::BoltTree;
using test::ResolveBucket;

// `make crashtest` sets these for long runs: LARDER_CRASH_SEED picks the workload,
// LARDER_CRASH_DAMAGE_SEEDS the power losses tried per crash point.
std::uint64_t EnvOr(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::strtoull(v, nullptr, 10) : fallback;
}

// Applies transaction `t` of the workload to `tx` and to `m`.
Status ApplyTx(int t, Tx& tx, BoltTree& m) {
  std::mt19937_64 rng(EnvOr("LARDER_CRASH_SEED", 0) * 1000003 + 1000 + t);
  const int ops = 5 + static_cast<int>(rng() % 25);
  for (int i = 0; i < ops; ++i) {
    const int op = static_cast<int>(rng() % 100);
    if (m.empty() || op < 8) {
      std::string name = "b" + std::to_string(rng() % 6);
      std::string parent;
      if (!m.empty() && rng() % 2) parent = std::next(m.begin(), rng() % m.size())->first;
      std::string path = parent.empty() ? name : parent + "/" + name;
      if (m.count(path) || (!parent.empty() && m[parent].keys.count(name))) continue;
      if (parent.empty()) {
        LARDER_RETURN_IF_ERROR(tx.CreateBucket(name).status());
      } else {
        LARDER_ASSIGN_OR_RETURN(Bucket p, ResolveBucket(tx, parent));
        LARDER_RETURN_IF_ERROR(p.CreateBucket(name).status());
      }
      m[path];
      continue;
    }
    const std::string path = std::next(m.begin(), rng() % m.size())->first;
    LARDER_ASSIGN_OR_RETURN(Bucket b, ResolveBucket(tx, path));
    if (op < 75) {
      std::string k = "k" + std::to_string(rng() % 200);
      if (m.count(path + "/" + k)) continue;
      std::size_t n = rng() % 8 == 0 ? 1500 + rng() % 3000 : rng() % 60;  // some overflow
      std::string v(n, static_cast<char>('a' + rng() % 26));
      LARDER_RETURN_IF_ERROR(b.Put(k, v));
      m[path].keys[k] = v;
    } else if (op < 97) {
      std::string k = "k" + std::to_string(rng() % 200);
      if (m.count(path + "/" + k)) continue;
      LARDER_RETURN_IF_ERROR(b.Delete(k));
      m[path].keys.erase(k);
    } else {
      std::size_t slash = path.rfind('/');
      if (slash == std::string::npos) {
        LARDER_RETURN_IF_ERROR(tx.DeleteBucket(path));
      } else {
        LARDER_ASSIGN_OR_RETURN(Bucket p, ResolveBucket(tx, path.substr(0, slash)));
        LARDER_RETURN_IF_ERROR(p.DeleteBucket(path.substr(slash + 1)));
      }
      test::EraseBucket(&m, path);
    }
  }
  return Status::Ok();
}

constexpr int kTransactions = 24;

Options CrashOptions(FileSystem* fs, bool no_freelist_sync) {
  Options o;
  o.file_system = fs;
  o.page_size = 1024;
  o.no_freelist_sync = no_freelist_sync;
  return o;
}

// The workload for tests/util/crash_harness.h: kTransactions bolt transactions, each announced
// in flight before its commit and acknowledged after.
test::CrashWorkload BoltWorkload(bool nfs) {
  test::CrashWorkload w;
  w.initial_state = test::BoltTreeState({});
  w.run = [nfs](FileSystem* fs, test::CrashTracker* tracker) {
    auto db = DB::Open("/crash.db", CrashOptions(fs, nfs));
    if (!db.ok()) return;
    BoltTree acked;
    for (int t = 0; t < kTransactions; ++t) {
      BoltTree m = acked;
      Status s = (*db)->Update([&](Tx& tx) {
        Status applied = ApplyTx(t, tx, m);
        tracker->InFlight(test::BoltTreeState(m));
        return applied;
      });
      if (!s.ok()) return;
      tracker->Acknowledged();
      acked = std::move(m);
    }
  };
  // Every eighth recovery also takes a new write, which must leave the file consistent.
  auto recoveries = std::make_shared<int>(0);
  w.recover = [nfs, recoveries](FileSystem* fs) -> Result<std::string> {
    LARDER_ASSIGN_OR_RETURN(std::unique_ptr<DB> db, DB::Open("/crash.db", CrashOptions(fs, nfs)));
    std::vector<std::string> problems = test::CheckBolt(*db);
    if (!problems.empty()) return Status::Corruption("check: " + problems[0]);
    BoltTree got;
    LARDER_RETURN_IF_ERROR(test::DumpBolt(*db, &got));
    if ((*recoveries)++ % 8 == 0) {
      LARDER_RETURN_IF_ERROR(db->Update([](Tx& t) -> Status {
        LARDER_ASSIGN_OR_RETURN(Bucket b, t.CreateBucketIfNotExists("after-crash"));
        return b.Put("k", std::string(2000, 'z'));
      }));
      problems = test::CheckBolt(*db);
      if (!problems.empty()) return Status::Corruption("after a recovery write: " + problems[0]);
    }
    return test::BoltTreeState(got);
  };
  return w;
}

class BoltCrashTest : public ::testing::TestWithParam<bool> {};

TEST_P(BoltCrashTest, EveryCrashPointRecoversToAnAcknowledgedState) {
  const int seeds = static_cast<int>(EnvOr("LARDER_CRASH_DAMAGE_SEEDS", 40));
  test::CrashReport r = test::RunCrashPoints(BoltWorkload(GetParam()), {.seeds_per_point = seeds});
  std::cerr << "crash states: " << r.states_checked << " over " << r.crash_points
            << " crash points (" << r.interrupted << " interrupted the workload); "
            << r.recovered_in_flight << " recovered the in-flight commit\n";
  EXPECT_EQ(r.acknowledged_steps, static_cast<std::uint64_t>(kTransactions));
  EXPECT_EQ(r.states_checked, r.crash_points * static_cast<std::uint64_t>(seeds));
  if (seeds >= 40) {
    EXPECT_GE(r.states_checked, 5000u);
  }
  EXPECT_GT(r.recovered_in_flight, 0u)
      << "some crash after the meta write must keep the new commit";
}

INSTANTIATE_TEST_SUITE_P(Freelist, BoltCrashTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "NoSync" : "Synced"; });

}  // namespace
}  // namespace larder::bolt
