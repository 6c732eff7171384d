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
#include "testing/fault_injection_file_system.h"

namespace larder::bolt {
namespace {

// Model: bucket path -> keys. Paths are names joined by '/'.
using Model = std::map<std::string, std::map<std::string, std::string>>;

std::set<std::string> DumpModel(const Model& m) {
  std::set<std::string> out;
  for (const auto& [path, kv] : m) {
    out.insert("B " + path);
    for (const auto& [k, v] : kv) out.insert("K " + path + " " + k + " " + v);
  }
  return out;
}

Status DumpDB(DB& db, std::set<std::string>* out) {
  return db.View([&](Tx& tx) -> Status {
    std::function<Status(Bucket, const std::string&)> walk = [&](Bucket b,
                                                                 const std::string& path) {
      out->insert("B " + path);
      return b.ForEach([&](std::string_view k, std::string_view v, bool is_bucket) -> Status {
        if (!is_bucket) {
          out->insert("K " + path + " " + std::string(k) + " " + std::string(v));
          return Status::Ok();
        }
        LARDER_ASSIGN_OR_RETURN(Bucket child, b.GetBucket(k));
        return walk(child, path + "/" + std::string(k));
      });
    };
    return tx.ForEachBucket([&](std::string_view n, Bucket b) { return walk(b, std::string(n)); });
  });
}

Result<Bucket> Resolve(Tx& tx, const std::string& path) {
  std::vector<std::string> parts;
  for (std::size_t s = 0;;) {
    std::size_t p = path.find('/', s);
    parts.push_back(path.substr(s, p - s));
    if (p == std::string::npos) break;
    s = p + 1;
  }
  return tx.GetBucketPath(parts);
}

// `make crashtest` sets these for long runs: LARDER_CRASH_SEED picks the workload,
// LARDER_CRASH_DAMAGE_SEEDS the power losses tried per crash point.
std::uint64_t EnvOr(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::strtoull(v, nullptr, 10) : fallback;
}

// Applies transaction `t` of the workload to `tx` and to `m`.
Status ApplyTx(int t, Tx& tx, Model& m) {
  std::mt19937_64 rng(EnvOr("LARDER_CRASH_SEED", 0) * 1000003 + 1000 + t);
  const int ops = 5 + static_cast<int>(rng() % 25);
  for (int i = 0; i < ops; ++i) {
    const int op = static_cast<int>(rng() % 100);
    if (m.empty() || op < 8) {
      std::string name = "b" + std::to_string(rng() % 6);
      std::string parent;
      if (!m.empty() && rng() % 2) parent = std::next(m.begin(), rng() % m.size())->first;
      std::string path = parent.empty() ? name : parent + "/" + name;
      if (m.count(path) || (!parent.empty() && m[parent].count(name))) continue;
      if (parent.empty()) {
        LARDER_RETURN_IF_ERROR(tx.CreateBucket(name).status());
      } else {
        LARDER_ASSIGN_OR_RETURN(Bucket p, Resolve(tx, parent));
        LARDER_RETURN_IF_ERROR(p.CreateBucket(name).status());
      }
      m[path];
      continue;
    }
    const std::string path = std::next(m.begin(), rng() % m.size())->first;
    LARDER_ASSIGN_OR_RETURN(Bucket b, Resolve(tx, path));
    if (op < 75) {
      std::string k = "k" + std::to_string(rng() % 200);
      if (m.count(path + "/" + k)) continue;
      std::size_t n = rng() % 8 == 0 ? 1500 + rng() % 3000 : rng() % 60;  // some overflow
      std::string v(n, static_cast<char>('a' + rng() % 26));
      LARDER_RETURN_IF_ERROR(b.Put(k, v));
      m[path][k] = v;
    } else if (op < 97) {
      std::string k = "k" + std::to_string(rng() % 200);
      if (m.count(path + "/" + k)) continue;
      LARDER_RETURN_IF_ERROR(b.Delete(k));
      m[path].erase(k);
    } else {
      std::size_t slash = path.rfind('/');
      if (slash == std::string::npos) {
        LARDER_RETURN_IF_ERROR(tx.DeleteBucket(path));
      } else {
        LARDER_ASSIGN_OR_RETURN(Bucket p, Resolve(tx, path.substr(0, slash)));
        LARDER_RETURN_IF_ERROR(p.DeleteBucket(path.substr(slash + 1)));
      }
      for (auto it = m.begin(); it != m.end();) {
        bool under = it->first == path || it->first.rfind(path + "/", 0) == 0;
        it = under ? m.erase(it) : std::next(it);
      }
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

// Runs the workload until it ends or the file system crashes. `acked` gets the model of every
// acknowledged state (the empty database first); `inflight` the state being committed.
void RunWorkload(FileSystem* fs, bool nfs, std::vector<Model>* acked, Model* inflight) {
  acked->assign(1, Model{});
  *inflight = Model{};
  auto db = DB::Open("/crash.db", CrashOptions(fs, nfs));
  if (!db.ok()) return;
  for (int t = 0; t < kTransactions; ++t) {
    Model m = acked->back();
    Status s = (*db)->Update([&](Tx& tx) { return ApplyTx(t, tx, m); });
    *inflight = m;
    if (!s.ok()) return;
    acked->push_back(m);
  }
}

class BoltCrashTest : public ::testing::TestWithParam<bool> {};

TEST_P(BoltCrashTest, EveryCrashPointRecoversToAnAcknowledgedState) {
  const bool nfs = GetParam();
  std::uint64_t total_ops;
  {
    FaultInjectionFileSystem fs;
    std::vector<Model> acked;
    Model inflight;
    RunWorkload(&fs, nfs, &acked, &inflight);
    ASSERT_EQ(acked.size(), static_cast<std::size_t>(kTransactions + 1));
    total_ops = fs.mutating_ops();
  }
  const int kSeedsPerPoint = static_cast<int>(EnvOr("LARDER_CRASH_DAMAGE_SEEDS", 40));
  int states = 0, newer = 0;
  for (std::uint64_t k = 0; k <= total_ops; ++k) {
    FaultInjectionFileSystem fs;
    fs.CrashAfter(k);
    std::vector<Model> acked;
    Model inflight;
    RunWorkload(&fs, nfs, &acked, &inflight);
    const auto committed = DumpModel(acked.back());
    const auto in_flight = DumpModel(inflight);
    auto saved = fs.Save();
    for (int seed = 0; seed < kSeedsPerPoint; ++seed) {
      fs.Restore(*saved);
      fs.PowerLoss(k * 7919 + seed);
      auto db = DB::Open("/crash.db", CrashOptions(&fs, nfs));
      ASSERT_TRUE(db.ok()) << "crash point " << k << " seed " << seed << ": "
                           << db.status().ToString();
      auto tx = (*db)->Begin(false);
      ASSERT_TRUE(tx.ok());
      auto problems = (*tx)->Check();
      ASSERT_TRUE(problems.empty())
          << "crash point " << k << " seed " << seed << ": " << problems[0];
      tx->reset();
      std::set<std::string> got;
      ASSERT_TRUE(DumpDB(**db, &got).ok());
      ASSERT_TRUE(got == committed || got == in_flight)
          << "crash point " << k << " seed " << seed << ": data is neither the last "
          << "acknowledged commit (" << acked.size() - 1 << ") nor the one in flight";
      if (got != committed) ++newer;
      if (seed % 8 == 0) {
        // The recovered database takes new writes and stays consistent.
        ASSERT_TRUE((*db)
                        ->Update([](Tx& t) -> Status {
                          LARDER_ASSIGN_OR_RETURN(Bucket b,
                                                  t.CreateBucketIfNotExists("after-crash"));
                          return b.Put("k", std::string(2000, 'z'));
                        })
                        .ok());
        auto tx2 = (*db)->Begin(false);
        auto p2 = (*tx2)->Check();
        ASSERT_TRUE(p2.empty()) << "after recovery write: " << p2[0];
      }
      ++states;
    }
  }
  std::cerr << "crash states: " << states << " over " << total_ops + 1 << " crash points; " << newer
            << " recovered the in-flight commit\n";
  EXPECT_EQ(states, static_cast<int>(total_ops + 1) * kSeedsPerPoint);
  if (kSeedsPerPoint >= 40) {
    EXPECT_GE(states, 5000);
  }
  EXPECT_GT(newer, 0) << "some crash after the meta write must keep the new commit";
}

INSTANTIATE_TEST_SUITE_P(Freelist, BoltCrashTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "NoSync" : "Synced"; });

}  // namespace
}  // namespace larder::bolt
