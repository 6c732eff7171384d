// Randomized model test: the bolt engine against std::map, over nested buckets, puts, deletes,
// bucket deletes, sequences, rollbacks and reopen, for several page sizes. After every commit
// the consistency check must pass; every tenth commit and every reopen, the whole database must
// equal the model, keys and values compared whole. Values are random bytes (empty, short, and
// overflow-page sized) from a seeded RNG; a failure names the seed (LARDER_MODEL_SEED replays).
#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "larder/bolt/db.h"
#include "larder/file_system.h"
#include "tests/util/bolt_tree.h"
#include "tests/util/kv_model.h"

namespace larder::bolt {
namespace {

using test::BoltTree;
using test::ResolveBucket;

struct ModelParam {
  std::uint32_t page_size;
  bool no_freelist_sync;
  bool in_memory;
};

class BoltModelTest : public ::testing::TestWithParam<ModelParam> {};

TEST_P(BoltModelTest, RandomOperationsMatchModel) {
  const ModelParam param = GetParam();
  auto fs = NewMemFileSystem(std::size_t{1} << 30);
  Options opts;
  opts.page_size = param.page_size;
  opts.no_freelist_sync = param.no_freelist_sync;
  opts.file_system = fs.get();
  opts.no_sync = true;
  opts.in_memory = param.in_memory;
  auto db = DB::Open("/model.db", opts);
  ASSERT_TRUE(db.ok()) << db.status().ToString();

  const std::uint64_t seed =
      test::ModelSeed(param.page_size * 31 + param.no_freelist_sync + 2 * param.in_memory);
  SCOPED_TRACE("model seed " + std::to_string(seed) + " (LARDER_MODEL_SEED replays it)");
  std::mt19937_64 rng(seed);
  BoltTree model, committed;
  auto rand_key = [&](int space) {
    std::string k = "k" + std::to_string(rng() % space);
    if (rng() % 4 == 0) k += std::string(rng() % 40, 'x');
    return k;
  };
  auto rand_value = [&]() { return test::RandomValue(rng, test::LargeValueFor(param.page_size)); };

  const int kTxs = 120;
  for (int t = 0; t < kTxs; ++t) {
    auto txr = (*db)->Begin(true);
    ASSERT_TRUE(txr.ok()) << txr.status().ToString();
    Tx& tx = **txr;
    int ops = 1 + static_cast<int>(rng() % 300);
    for (int i = 0; i < ops; ++i) {
      int op = static_cast<int>(rng() % 100);
      std::vector<std::string> paths;
      for (const auto& [p, content] : model) paths.push_back(p);
      if (paths.empty() || (op < 4 && paths.size() < 24)) {
        // Create a bucket: top-level or under an existing one.
        std::string name = "b" + std::to_string(rng() % 12);
        std::string parent = (!paths.empty() && rng() % 2) ? paths[rng() % paths.size()] : "";
        std::string path = parent.empty() ? name : parent + "/" + name;
        if (model.count(path)) continue;
        if (!parent.empty() && model.at(parent).keys.count(name)) continue;  // a key there
        Result<Bucket> b = parent.empty() ? tx.CreateBucket(name) : [&]() -> Result<Bucket> {
          LARDER_ASSIGN_OR_RETURN(Bucket p, ResolveBucket(tx, parent));
          return p.CreateBucket(name);
        }();
        ASSERT_TRUE(b.ok()) << path << ": " << b.status().ToString();
        model[path];
        continue;
      }
      const std::string path = paths[rng() % paths.size()];
      auto b = ResolveBucket(tx, path);
      ASSERT_TRUE(b.ok()) << path << ": " << b.status().ToString();
      auto& kv = model[path].keys;
      if (op < 60) {
        std::string k = rand_key(3000), v = rand_value();
        bool is_child = model.count(path + "/" + k) != 0;
        Status s = b->Put(k, v);
        if (is_child) {
          EXPECT_EQ(s.code(), Code::kIncompatible);
        } else {
          ASSERT_TRUE(s.ok()) << s.ToString();
          kv[k] = v;
        }
      } else if (op < 85) {
        std::string k = kv.empty() || rng() % 4 == 0
                            ? rand_key(500)
                            : std::next(kv.begin(), rng() % kv.size())->first;
        if (model.count(path + "/" + k)) continue;
        ASSERT_TRUE(b->Delete(k).ok());
        kv.erase(k);
      } else if (op < 92) {
        auto got = b->NextSequence();
        ASSERT_TRUE(got.ok());
        EXPECT_EQ(*got, ++model[path].sequence);
      } else if (op < 96 && rng() % 40 == 0) {
        // Delete a whole bucket (and everything nested).
        std::size_t slash = path.rfind('/');
        Status s;
        if (slash == std::string::npos) {
          s = tx.DeleteBucket(path);
        } else {
          auto parent = ResolveBucket(tx, path.substr(0, slash));
          ASSERT_TRUE(parent.ok());
          s = parent->DeleteBucket(path.substr(slash + 1));
        }
        ASSERT_TRUE(s.ok()) << s.ToString();
        test::EraseBucket(&model, path);
      } else if (op >= 96) {
        // Read back a key.
        if (kv.empty()) continue;
        auto it = std::next(kv.begin(), rng() % kv.size());
        auto got = b->Get(it->first);
        ASSERT_TRUE(got.ok()) << got.status().ToString();
        ASSERT_EQ(test::DiffKV({*it}, {{it->first, std::string(*got)}}), "");
      }
    }
    if (rng() % 10 == 0) {
      ASSERT_TRUE(tx.Rollback().ok());
      model = committed;
    } else {
      Status s = tx.Commit();
      ASSERT_TRUE(s.ok()) << "tx " << t << ": " << s.ToString();
      committed = model;
    }
    auto problems = test::CheckBolt(**db);
    ASSERT_TRUE(problems.empty()) << "tx " << t << ": " << problems[0];
    auto same_as_committed = [&]() -> std::string {
      BoltTree got;
      Status s = test::DumpBolt(**db, &got);
      return s.ok() ? test::DiffBolt(committed, got) : s.ToString();
    };
    if (t % 10 == 9) {
      ASSERT_EQ(same_as_committed(), "") << "after tx " << t;
    }
    if (t == kTxs - 1) {
      // Guard against a vacuous run: the workload must have built a sizeable tree.
      std::size_t entries = 0;
      for (const auto& [p, content] : committed) entries += content.keys.size();
      EXPECT_GT(entries, 300u);
      EXPECT_GT(committed.size(), 5u);
      std::cerr << "model: " << committed.size() << " buckets, " << entries << " keys\n";
    }
    if (t % 30 == 29 && !param.in_memory) {
      ASSERT_TRUE((*db)->Close().ok());
      db->reset();
      db = DB::Open("/model.db", opts);
      ASSERT_TRUE(db.ok()) << db.status().ToString();
      ASSERT_EQ(same_as_committed(), "") << "after reopen at tx " << t;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    PageSizes, BoltModelTest,
    ::testing::Values(ModelParam{1024, false, false}, ModelParam{4096, false, false},
                      ModelParam{16384, false, false}, ModelParam{65536, false, false},
                      ModelParam{4096, true, false}, ModelParam{4096, false, true}),
    [](const auto& info) {
      return std::to_string(info.param.page_size) +
             (info.param.no_freelist_sync ? "_NoFreelistSync" : "") +
             (info.param.in_memory ? "_InMemory" : "");
    });

}  // namespace
}  // namespace larder::bolt
