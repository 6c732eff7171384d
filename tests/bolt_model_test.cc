// Randomized model test: the bolt engine against std::map, over nested buckets, puts, deletes,
// bucket deletes, sequences, rollbacks and reopen, for several page sizes. After every commit
// the consistency check must pass and the whole database must equal the model.
#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "larder/bolt/db.h"
#include "larder/file_system.h"

namespace larder::bolt {
namespace {

// The model: bucket path ("a/b") -> keys, plus sequences.
struct Model {
  std::map<std::string, std::map<std::string, std::string>> keys;
  std::map<std::string, std::uint64_t> seqs;
};

std::string Dump(DB& db) {
  std::string out;
  Status s = db.View([&](Tx& tx) -> Status {
    std::function<Status(Bucket, const std::string&)> walk = [&](Bucket b,
                                                                 const std::string& path) {
      out += "B " + path + " seq=" + std::to_string(b.Sequence()) + "\n";
      return b.ForEach([&](std::string_view k, std::string_view v, bool is_bucket) -> Status {
        if (is_bucket) {
          LARDER_ASSIGN_OR_RETURN(Bucket child, b.GetBucket(k));
          return walk(child, path + "/" + std::string(k));
        }
        out += "K " + path + " " + std::string(k) + "=" + std::to_string(v.size()) + ":" +
               std::string(v.substr(0, 8)) + "\n";
        return Status::Ok();
      });
    };
    return tx.ForEachBucket(
        [&](std::string_view name, Bucket b) { return walk(b, std::string(name)); });
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

std::string DumpModel(const Model& m) {
  // Emit in the same depth-first key order as Dump: a bucket's entries (keys and child buckets)
  // sorted together by name.
  std::string out;
  std::function<void(const std::string&)> walk = [&](const std::string& path) {
    out += "B " + path + " seq=" + std::to_string(m.seqs.at(path)) + "\n";
    std::map<std::string, int> entries;  // name -> 0 key, 1 bucket
    for (const auto& [k, v] : m.keys.at(path)) entries[k] = 0;
    std::string prefix = path + "/";
    for (const auto& [p, kv] : m.keys) {
      if (p.compare(0, prefix.size(), prefix) == 0 &&
          p.find('/', prefix.size()) == std::string::npos) {
        entries[p.substr(prefix.size())] = 1;
      }
    }
    for (const auto& [name, kind] : entries) {
      if (kind == 1) {
        walk(prefix + name);
      } else {
        const std::string& v = m.keys.at(path).at(name);
        out +=
            "K " + path + " " + name + "=" + std::to_string(v.size()) + ":" + v.substr(0, 8) + "\n";
      }
    }
  };
  for (const auto& [p, kv] : m.keys) {
    if (p.find('/') == std::string::npos) walk(p);
  }
  return out;
}

Result<Bucket> Resolve(Tx& tx, const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    auto pos = path.find('/', start);
    parts.push_back(path.substr(start, pos - start));
    if (pos == std::string::npos) break;
    start = pos + 1;
  }
  return tx.GetBucketPath(parts);
}

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

  std::mt19937_64 rng(param.page_size * 31 + param.no_freelist_sync);
  Model model, committed;
  auto rand_key = [&](int space) {
    std::string k = "k" + std::to_string(rng() % space);
    if (rng() % 4 == 0) k += std::string(rng() % 40, 'x');
    return k;
  };
  auto rand_value = [&]() {
    std::size_t n;
    switch (rng() % 10) {
      case 0:
        n = 0;
        break;
      case 1:
        n = param.page_size * 2 + rng() % 5000;
        break;  // overflow pages
      default:
        n = rng() % 200;
    }
    std::string v(n, 'a' + static_cast<char>(rng() % 26));
    if (!v.empty()) v[0] = static_cast<char>('A' + rng() % 26);
    return v;
  };

  const int kTxs = 120;
  for (int t = 0; t < kTxs; ++t) {
    auto txr = (*db)->Begin(true);
    ASSERT_TRUE(txr.ok()) << txr.status().ToString();
    Tx& tx = **txr;
    int ops = 1 + static_cast<int>(rng() % 300);
    for (int i = 0; i < ops; ++i) {
      int op = static_cast<int>(rng() % 100);
      std::vector<std::string> paths;
      for (const auto& [p, kv] : model.keys) paths.push_back(p);
      if (paths.empty() || (op < 4 && paths.size() < 24)) {
        // Create a bucket: top-level or under an existing one.
        std::string name = "b" + std::to_string(rng() % 12);
        std::string parent = (!paths.empty() && rng() % 2) ? paths[rng() % paths.size()] : "";
        std::string path = parent.empty() ? name : parent + "/" + name;
        if (model.keys.count(path)) continue;
        if (!parent.empty() && model.keys.at(parent).count(name)) continue;  // a key there
        Result<Bucket> b = parent.empty() ? tx.CreateBucket(name) : [&]() -> Result<Bucket> {
          LARDER_ASSIGN_OR_RETURN(Bucket p, Resolve(tx, parent));
          return p.CreateBucket(name);
        }();
        ASSERT_TRUE(b.ok()) << path << ": " << b.status().ToString();
        model.keys[path];
        model.seqs[path] = 0;
        continue;
      }
      const std::string path = paths[rng() % paths.size()];
      auto b = Resolve(tx, path);
      ASSERT_TRUE(b.ok()) << path << ": " << b.status().ToString();
      auto& kv = model.keys[path];
      if (op < 60) {
        std::string k = rand_key(3000), v = rand_value();
        bool is_child = model.keys.count(path + "/" + k) != 0;
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
        if (model.keys.count(path + "/" + k)) continue;
        ASSERT_TRUE(b->Delete(k).ok());
        kv.erase(k);
      } else if (op < 92) {
        auto got = b->NextSequence();
        ASSERT_TRUE(got.ok());
        EXPECT_EQ(*got, ++model.seqs[path]);
      } else if (op < 96 && rng() % 40 == 0) {
        // Delete a whole bucket (and everything nested).
        std::size_t slash = path.rfind('/');
        Status s;
        if (slash == std::string::npos) {
          s = tx.DeleteBucket(path);
        } else {
          auto parent = Resolve(tx, path.substr(0, slash));
          ASSERT_TRUE(parent.ok());
          s = parent->DeleteBucket(path.substr(slash + 1));
        }
        ASSERT_TRUE(s.ok()) << s.ToString();
        for (auto it = model.keys.begin(); it != model.keys.end();) {
          if (it->first == path || it->first.compare(0, path.size() + 1, path + "/") == 0) {
            model.seqs.erase(it->first);
            it = model.keys.erase(it);
          } else {
            ++it;
          }
        }
      } else if (op >= 96) {
        // Read back a key.
        if (kv.empty()) continue;
        auto it = std::next(kv.begin(), rng() % kv.size());
        auto got = b->Get(it->first);
        ASSERT_TRUE(got.ok()) << got.status().ToString();
        EXPECT_EQ(*got, it->second);
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
    auto check = (*db)->Begin(false);
    ASSERT_TRUE(check.ok());
    auto problems = (*check)->Check();
    ASSERT_TRUE(problems.empty()) << "tx " << t << ": " << problems[0];
    check->reset();
    if (t % 10 == 9) {
      ASSERT_EQ(Dump(**db), DumpModel(committed)) << "after tx " << t;
    }
    if (t == kTxs - 1) {
      // Guard against a vacuous run: the workload must have built a sizeable tree.
      std::size_t entries = 0;
      for (const auto& [p, kv] : committed.keys) entries += kv.size();
      EXPECT_GT(entries, 300u);
      EXPECT_GT(committed.keys.size(), 5u);
      std::cerr << "model: " << committed.keys.size() << " buckets, " << entries << " keys\n";
    }
    if (t % 30 == 29 && !param.in_memory) {
      ASSERT_TRUE((*db)->Close().ok());
      db->reset();
      db = DB::Open("/model.db", opts);
      ASSERT_TRUE(db.ok()) << db.status().ToString();
      ASSERT_EQ(Dump(**db), DumpModel(committed)) << "after reopen at tx " << t;
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
