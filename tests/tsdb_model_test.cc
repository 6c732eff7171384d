// The time-series engine against an in-memory model (a std::map per series), with random
// series, samples (regular, jittered, irregular; decimal, integer, arbitrary bits), interval
// changes, deletes of random ranges (the count checked), upserts at or before the newest time
// (new times and stored ones), raw and aggregated queries forward and reverse, with and without
// a limit, and reopens. The background flusher
// and the timer run, as in production.
#include <gtest/gtest.h>

#include <bit>
#include <map>
#include <random>

#include "larder/file_system.h"
#include "larder/tsdb/db.h"
#include "tsdb/aggregate.h"

namespace larder::tsdb {
namespace {

struct ModelSeries {
  std::int64_t interval = 0;
  std::map<std::int64_t, double> samples;
  std::int64_t newest = -1;  // newest sample ever added, deleted or not
};

bool SameBits(const std::vector<Sample>& a, const std::vector<Sample>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].time_ms != b[i].time_ms ||
        std::bit_cast<std::uint64_t>(a[i].value) != std::bit_cast<std::uint64_t>(b[i].value)) {
      return false;
    }
  }
  return true;
}

TEST(TsdbModelTest, RandomOperationsWithReopens) {
  auto fs = NewMemFileSystem(std::size_t{1} << 26);
  Options o;
  o.file_system = fs.get();
  o.page_samples = 32;
  o.max_pages_per_extent = 5;
  o.page_cache_mb = 1;
  o.hot_log_sync_ms = 5;
  auto db = std::move(*DB::Open("/model", o));
  std::mt19937_64 rng(20261202);
  std::vector<ModelSeries> model;
  std::vector<std::int64_t> last;
  auto value = [&](int kind) {
    switch (kind) {
      case 0:
        return static_cast<double>(static_cast<int>(rng() % 2001) - 1000) / 100;
      case 1:
        return static_cast<double>(rng() % 100000);
      default:
        return std::bit_cast<double>(rng());
    }
  };
  int queries = 0, reopens = 0, deletes = 0, upserts = 0;
  std::uint64_t deleted = 0;
  std::uint64_t cache_hits = 0;
  for (int step = 0; step < 20000; ++step) {
    const int op = static_cast<int>(rng() % 1000);
    if (model.empty() || op < 5) {
      const std::int64_t interval =
          (rng() % 3 == 0) ? 0 : 1000 * (1 + static_cast<std::int64_t>(rng() % 3));
      auto id = db->CreateSeries("s" + std::to_string(model.size()), interval);
      ASSERT_TRUE(id.ok()) << id.status().ToString();
      ASSERT_EQ(*id, model.size());
      model.push_back({interval, {}});
      last.push_back(static_cast<std::int64_t>(rng() % 100000));
    } else if (op < 900) {
      const auto id = static_cast<SeriesId>(rng() % model.size());
      ModelSeries& m = model[id];
      std::int64_t step_ms =
          m.interval > 0 ? m.interval : 1 + static_cast<std::int64_t>(rng() % 5000);
      if (rng() % 20 == 0) step_ms += 1 + static_cast<std::int64_t>(rng() % 700);  // jitter, gaps
      if (rng() % 50 == 0) step_ms *= 30;
      last[id] += step_ms;
      const double v = value(static_cast<int>(id % 3));
      ASSERT_TRUE(db->Add(id, last[id], v).ok());
      m.samples[last[id]] = v;
      m.newest = last[id];
      if (rng() % 100 == 0) {
        EXPECT_EQ(db->Add(id, last[id], 1).code(), Code::kInvalidArgument);
      }
    } else if (op < 910) {
      const auto id = static_cast<SeriesId>(rng() % model.size());
      model[id].interval = 1000 * static_cast<std::int64_t>(rng() % 4);
      ASSERT_TRUE(db->SetInterval(id, model[id].interval).ok());
    } else if (op < 920 && model[rng() % model.size()].newest >= 0) {
      // An upsert at or before the newest time: half on a stored sample, half anywhere.
      const auto id = static_cast<SeriesId>(rng() % model.size());
      ModelSeries& m = model[id];
      if (m.newest < 0) continue;
      std::int64_t t = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(m.newest + 1));
      if (rng() % 2 == 0 && !m.samples.empty()) {
        auto it = m.samples.lower_bound(t);
        if (it != m.samples.end()) t = it->first;
      }
      const double v = value(static_cast<int>(rng() % 3));
      ASSERT_TRUE(db->Upsert(id, t, v).ok());
      m.samples[t] = v;
      ++upserts;
    } else if (op < 930) {
      ++deletes;
      const auto id = static_cast<SeriesId>(rng() % model.size());
      ModelSeries& m = model[id];
      const auto span = static_cast<std::uint64_t>(last[id] + 1);
      const std::int64_t from = static_cast<std::int64_t>(rng() % span);
      const std::int64_t to =
          from + static_cast<std::int64_t>(rng() % (rng() % 4 == 0 ? span : span / 20 + 1));
      auto lo = m.samples.lower_bound(from), hi = m.samples.upper_bound(to);
      const auto want = static_cast<std::uint64_t>(std::distance(lo, hi));
      m.samples.erase(lo, hi);
      auto got = db->Delete(id, from, to);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      ASSERT_EQ(*got, want) << "step " << step << " series " << id;
      deleted += want;
    } else if (op < 995) {
      ++queries;
      const auto id = static_cast<SeriesId>(rng() % model.size());
      const ModelSeries& m = model[id];
      const std::int64_t span = last[id] + 1;
      std::int64_t from = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(span));
      std::int64_t to = from + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(span));
      RangeOptions ro;
      ro.reverse = rng() % 2 == 0;
      if (rng() % 4 == 0) {
        ro.limit = 1 + rng() % 40;
      } else if (rng() % 3 == 0) {
        ro.bucket_ms = 1 + static_cast<std::int64_t>(rng() % 60000);
        ro.aggregation = static_cast<Aggregation>(rng() % 10);
      }
      std::vector<Sample> want;
      for (auto it = m.samples.lower_bound(from); it != m.samples.end() && it->first <= to; ++it) {
        want.push_back({it->first, it->second});
      }
      if (ro.bucket_ms > 0) {
        std::vector<Sample> buckets;
        AggregateBuckets(want, ro.bucket_ms, ro.aggregation, &buckets);
        want = std::move(buckets);
      }
      if (ro.reverse) std::reverse(want.begin(), want.end());
      if (ro.limit > 0 && want.size() > ro.limit) want.resize(ro.limit);
      std::vector<Sample> got;
      ASSERT_TRUE(db->Range(id, from, to, ro, &got).ok());
      ASSERT_TRUE(SameBits(got, want)) << "step " << step << " series " << id << " got "
                                       << got.size() << " want " << want.size();
    } else {
      ++reopens;
      if (rng() % 2 == 0) {
        ASSERT_TRUE(db->FlushFullPages().ok());
      }
      cache_hits += db->GetStats().cache_hits;
      ASSERT_TRUE(db->Close().ok());
      db.reset();
      auto reopened = DB::Open("/model", o);
      ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
      db = std::move(*reopened);
      for (std::size_t id = 0; id < model.size(); ++id) {
        auto info = db->Info(static_cast<SeriesId>(id));
        ASSERT_TRUE(info.ok());
        EXPECT_EQ(info->interval_ms, model[id].interval);
        EXPECT_EQ(info->last_time_ms, model[id].newest);
        if (!model[id].samples.empty()) {
          EXPECT_LE(info->first_time_ms, model[id].samples.begin()->first);
        }
      }
    }
  }
  std::uint64_t problems = 1;
  EXPECT_TRUE(db->Check(&problems).ok());
  EXPECT_EQ(problems, 0u);
  EXPECT_GT(queries, 300);
  EXPECT_GT(reopens, 10);
  EXPECT_GT(deletes, 100);
  EXPECT_GT(upserts, 50);
  EXPECT_GT(deleted, 1000u);
  EXPECT_GT(cache_hits + db->GetStats().cache_hits, 0u);
  ASSERT_TRUE(db->Close().ok());
}

}  // namespace
}  // namespace larder::tsdb
