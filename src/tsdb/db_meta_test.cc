// series.meta's compaction at Open (db_meta.cc): the rewritten log replays to the state the old
// one did (a randomized run against a model, reopened before and after), and a crash at any
// point of the rewrite leaves one of the two equal logs (the shared crash harness).
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <functional>
#include <map>
#include <random>
#include <string>

#include "larder/file_system.h"
#include "larder/tsdb/db.h"
#include "tests/util/crash_harness.h"

namespace larder::tsdb {
namespace {

// Every series: name, interval and samples (time and value bits), as text.
std::string DumpState(DB* db) {
  std::string out;
  for (const SeriesInfo& info : db->ListSeries()) {
    out += info.name + "@" + std::to_string(info.interval_ms) + ":";
    std::vector<Sample> got;
    const Status s = db->Range(info.id, 0, kMaxTime, {}, &got);
    if (!s.ok()) return "error: " + s.ToString();
    for (const Sample& x : got) {
      out += std::to_string(x.time_ms) + "=" +
             std::to_string(std::bit_cast<std::uint64_t>(x.value)) + ",";
    }
    out += ";";
  }
  return out;
}

// Indexed by series id; a dropped series has an empty name (ListSeries leaves it out).
using Model =
    std::vector<std::pair<std::pair<std::string, std::int64_t>, std::map<std::int64_t, double>>>;

std::string DumpModel(const Model& m) {
  std::string out;
  for (const auto& [head, samples] : m) {
    if (head.first.empty()) continue;
    out += head.first + "@" + std::to_string(head.second) + ":";
    for (const auto& [t, v] : samples) {
      out += std::to_string(t) + "=" + std::to_string(std::bit_cast<std::uint64_t>(v)) + ",";
    }
    out += ";";
  }
  return out;
}

Options MetaOptions(FileSystem* fs, std::uint64_t compaction) {
  Options o;
  o.file_system = fs;
  o.hot_log_sync_ms = 0;
  o.background_flush = false;
  o.page_samples = 16;
  o.max_pages_per_extent = 2;
  o.meta_compaction_records = compaction;
  return o;
}

std::uint64_t MetaSize(FileSystem* fs, const std::string& dir) {
  auto n = fs->FileSize(dir + "/series.meta");
  return n.ok() ? *n : 0;
}

TEST(TsdbMetaCompactionTest, RewriteKeepsTheStateAcrossReopens) {
  auto fs = NewMemFileSystem(std::size_t{1} << 26);
  std::mt19937_64 rng(18);
  Model model;
  std::vector<std::int64_t> last;
  auto db = std::move(*DB::Open("/ts", MetaOptions(fs.get(), 0)));
  for (int i = 0; i < 3; ++i) {
    const std::string name = "s" + std::to_string(i);
    ASSERT_TRUE(db->CreateSeries(name, 1000).ok());
    model.push_back({{name, 1000}, {}});
    last.push_back(0);
  }
  // Random adds, late samples (many at the same few times), deletes, interval changes and
  // drops (the name re-created at once, under a new id), with a reopen (no compaction) now and
  // then.
  auto random_ops = [&](int n) {
    for (int op = 0; op < n; ++op) {
      const std::size_t k = rng() % model.size();
      auto& samples = model[k].second;
      const auto id = static_cast<SeriesId>(k);
      const int what = static_cast<int>(rng() % 10);
      if (model[k].first.first.empty()) {  // dropped: every call answers NotFound
        std::vector<Sample> got;
        ASSERT_TRUE(db->Add(id, last[k] + 1000, 1).IsNotFound());
        ASSERT_TRUE(db->Upsert(id, 1000, 1).IsNotFound());
        ASSERT_TRUE(db->Delete(id, 0, kMaxTime).status().IsNotFound());
        ASSERT_TRUE(db->SetInterval(id, 1000).IsNotFound());
        ASSERT_TRUE(db->Range(id, 0, kMaxTime, {}, &got).IsNotFound());
        ASSERT_TRUE(db->Info(id).status().IsNotFound());
        ASSERT_TRUE(db->DropSeries(id).IsNotFound());
      } else if (rng() % 25 == 0) {
        const std::string name = model[k].first.first;
        ASSERT_TRUE(db->DropSeries(id).ok());
        ASSERT_TRUE(db->FindSeries(name).status().IsNotFound());
        auto again = db->CreateSeries(name, 1000);
        ASSERT_TRUE(again.ok()) << again.status().ToString();
        ASSERT_EQ(*again, model.size());
        model[k].first.first.clear();
        model[k].second.clear();
        model.push_back({{name, 1000}, {}});
        last.push_back(0);
      } else if (what < 6 || last[k] < 5000) {
        last[k] += 1000 * static_cast<std::int64_t>(1 + rng() % 2);
        const double v = static_cast<double>(rng() % 1000) / 10;
        ASSERT_TRUE(db->Add(id, last[k], v).ok());
        samples[last[k]] = v;
      } else if (what < 8) {
        const auto t = 1000 * static_cast<std::int64_t>(
                                  1 + rng() % std::min<std::uint64_t>(8, last[k] / 1000));
        const double v = static_cast<double>(rng() % 1000) / 10;
        ASSERT_TRUE(db->Upsert(id, t, v).ok());
        samples[t] = v;
      } else if (what < 9) {
        const std::int64_t from = static_cast<std::int64_t>(rng() % last[k]);
        const std::int64_t to = from + static_cast<std::int64_t>(rng() % 6000);
        ASSERT_TRUE(db->Delete(id, from, to).ok());
        samples.erase(samples.lower_bound(from), samples.upper_bound(to));
      } else {
        const std::int64_t interval = model[k].first.second == 1000 ? 500 : 1000;
        ASSERT_TRUE(db->SetInterval(id, interval).ok());
        model[k].first.second = interval;
      }
    }
  };
  for (int round = 0; round < 4; ++round) {
    random_ops(150);
    ASSERT_EQ(DumpState(db.get()), DumpModel(model));
    ASSERT_TRUE(db->Close().ok());
    db = std::move(*DB::Open("/ts", MetaOptions(fs.get(), 0)));
    ASSERT_EQ(db->GetStats().meta_records_compacted, 0u);
  }
  const std::string before = DumpState(db.get());
  ASSERT_EQ(before, DumpModel(model));
  ASSERT_GT(model.size(), 3u);  // some drops happened
  ASSERT_TRUE(db->Close().ok());
  const std::uint64_t old_size = MetaSize(fs.get(), "/ts");

  db = std::move(*DB::Open("/ts", MetaOptions(fs.get(), 10)));
  EXPECT_GE(db->GetStats().meta_records_compacted, 10u);
  EXPECT_LT(MetaSize(fs.get(), "/ts"), old_size);
  EXPECT_FALSE(*fs->Exists("/ts/series.meta.compact"));
  EXPECT_EQ(DumpState(db.get()), before);
  ASSERT_TRUE(db->Close().ok());
  // Nothing left to drop: the next Open keeps the log; then more records append to it.
  db = std::move(*DB::Open("/ts", MetaOptions(fs.get(), 1)));
  EXPECT_EQ(db->GetStats().meta_records_compacted, 0u);
  EXPECT_EQ(DumpState(db.get()), before);
  random_ops(100);
  ASSERT_TRUE(db->Close().ok());
  db = std::move(*DB::Open("/ts", MetaOptions(fs.get(), 0)));
  EXPECT_EQ(DumpState(db.get()), DumpModel(model));
  ASSERT_TRUE(db->Close().ok());
}

// One series given superseded intervals, late samples replaced and deleted, and overlapping
// deletes; closed; reopened with compaction on (the rewrite happens inside Open). Every crash
// point must recover the same samples.
test::CrashWorkload MetaWorkload() {
  test::CrashWorkload w;
  w.initial_state = "";
  w.run = [](FileSystem* fs, test::CrashTracker* tracker) {
    Model model;
    auto step = [&](bool durable, const std::function<bool()>& fn) {
      tracker->InFlight(DumpModel(model));
      if (!fn()) return false;
      tracker->Acknowledged(durable);
      return true;
    };
    auto db = DB::Open("/crash", MetaOptions(fs, 0));
    if (!db.ok()) return;
    model.push_back({{"s", 2000}, {}});
    auto& m = model[0].second;
    if (!step(true, [&] { return (*db)->CreateSeries("s", 2000).ok(); })) return;
    for (std::int64_t interval : {500, 1000}) {
      model[0].first.second = interval;
      if (!step(true, [&] { return (*db)->SetInterval(0, interval).ok(); })) return;
    }
    for (int i = 1; i <= 20; ++i) {
      m[i * 1000] = i;
      if (!step(false, [&] { return (*db)->Add(0, i * 1000, i).ok(); })) return;
    }
    if (!step(true, [&] { return (*db)->SyncHotLog().ok(); })) return;
    for (double v : {1.5, 2.5, 3.5}) {
      m[5000] = v;
      if (!step(true, [&] { return (*db)->Upsert(0, 5000, v).ok(); })) return;
    }
    m[7000] = 9;
    if (!step(true, [&] { return (*db)->Upsert(0, 7000, 9).ok(); })) return;
    m.erase(m.lower_bound(6000), m.upper_bound(8000));
    if (!step(true, [&] { return (*db)->Delete(0, 6000, 8000).ok(); })) return;
    m.erase(m.lower_bound(8000), m.upper_bound(10000));
    if (!step(true, [&] { return (*db)->Delete(0, 8000, 10000).ok(); })) return;
    m[9000] = 4;
    if (!step(true, [&] { return (*db)->Upsert(0, 9000, 4).ok(); })) return;
    if (!step(true, [&] { return (*db)->Close().ok(); })) return;
    db->reset();
    // 10 records, 4 needed: the Open rewrites series.meta, the state unchanged.
    auto again = DB::Open("/crash", MetaOptions(fs, 4));
    if (!again.ok()) return;
    tracker->InFlight(DumpModel(model));
    if ((*again)->GetStats().meta_records_compacted != 6) {
      ADD_FAILURE() << "no compaction: " << (*again)->GetStats().meta_records_compacted;
    }
    if ((*again)->Close().ok()) tracker->Acknowledged(true);
  };
  w.recover = [](FileSystem* fs) -> Result<std::string> {
    LARDER_ASSIGN_OR_RETURN(std::unique_ptr<DB> db, DB::Open("/crash", MetaOptions(fs, 4)));
    std::uint64_t problems = 0;
    LARDER_RETURN_IF_ERROR(db->Check(&problems));
    const std::string state = DumpState(db.get());
    LARDER_RETURN_IF_ERROR(db->Close());
    return state;
  };
  return w;
}

TEST(TsdbMetaCompactionTest, EveryCrashPointOfTheRewriteRecovers) {
  const test::CrashReport r = test::RunCrashPoints(MetaWorkload(), {.seeds_per_point = 3});
  EXPECT_GE(r.mutating_ops, 30u);
  EXPECT_EQ(r.states_checked, r.crash_points * 3);
  EXPECT_GT(r.interrupted, 0u);
}

}  // namespace
}  // namespace larder::tsdb
