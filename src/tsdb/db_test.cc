#include "larder/tsdb/db.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "base/coding.h"
#include "larder/clock.h"
#include "larder/file_system.h"
#include "larder/logging.h"
#include "tests/util/temp_dir.h"
#include "tsdb/aggregate.h"

namespace larder::tsdb {
namespace {

class TsdbDbTest : public ::testing::Test {
 protected:
  Options Opts() {
    Options o;
    o.file_system = fs_.get();
    o.hot_log_sync_ms = 0;
    o.background_flush = false;
    o.page_samples = 64;
    o.max_pages_per_extent = 4;
    return o;
  }
  std::unique_ptr<DB> Open(const Options& o) {
    auto db = DB::Open("/ts", o);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(*db) : nullptr;
  }
  std::vector<Sample> All(DB* db, SeriesId id, const RangeOptions& ro = {}) {
    std::vector<Sample> out;
    const Status s = db->Range(id, 0, kMaxTime, ro, &out);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }
  // The engine's files as they are now, in a new file system: what a crash leaves.
  std::unique_ptr<FileSystem> CrashCopy() {
    auto copy = NewMemFileSystem(std::size_t{1} << 26);
    EXPECT_TRUE(copy->CreateDirs("/ts").ok());
    const std::vector<std::string> names = *fs_->ListDir("/ts");
    for (const std::string& n : names) {
      auto f = *fs_->Open("/ts/" + n, {.read_only = true});
      std::string data(*f->Size(), '\0');
      EXPECT_TRUE(f->ReadAt(0, {reinterpret_cast<std::uint8_t*>(data.data()), data.size()}).ok());
      auto g = *copy->Open("/ts/" + n, {.create = true});
      EXPECT_TRUE(g->WriteAt(0, AsBytes(data)).ok());
    }
    return copy;
  }
  std::unique_ptr<FileSystem> fs_ = NewMemFileSystem(std::size_t{1} << 26);
};

TEST_F(TsdbDbTest, AddQueryReopen) {
  auto db = Open(Opts());
  auto cpu = db->CreateSeries("cpu", 1000);
  ASSERT_TRUE(cpu.ok());
  EXPECT_EQ(db->CreateSeries("cpu", 1000).status().code(), Code::kAlreadyExists);
  std::vector<Sample> want;
  for (int i = 0; i < 1000; ++i) {
    if (i % 17 == 5) continue;  // a gap
    const Sample s{1'000'000 + i * 1000, std::round(std::sin(i / 10.0) * 1000) / 100};
    ASSERT_TRUE(db->Add(*cpu, s.time_ms, s.value).ok());
    want.push_back(s);
  }
  EXPECT_EQ(db->Add(*cpu, 1'000'000, 1).code(), Code::kInvalidArgument);
  EXPECT_EQ(db->Add(99, 1, 1).code(), Code::kNotFound);
  EXPECT_EQ(All(db.get(), *cpu), want);
  ASSERT_TRUE(db->Close().ok());
  db = Open(Opts());
  EXPECT_EQ(*db->FindSeries("cpu"), *cpu);
  EXPECT_EQ(All(db.get(), *cpu), want);
  std::vector<Sample> part;
  ASSERT_TRUE(db->Range(*cpu, 1'010'000, 1'020'000, {.reverse = true}, &part).ok());
  ASSERT_EQ(part.size(), 11u);
  EXPECT_EQ(part.front().time_ms, 1'020'000);
  std::uint64_t problems = 1;
  EXPECT_TRUE(db->Check(&problems).ok());
  EXPECT_EQ(problems, 0u);
  EXPECT_GT(db->GetStats().cache_misses, 0u);
}

TEST_F(TsdbDbTest, IntervalChangeKeepsBothParts) {
  auto db = Open(Opts());
  const SeriesId id = *db->CreateSeries("m", 1000);
  std::vector<Sample> want;
  for (int i = 0; i < 100; ++i) {
    want.push_back({i * 1000, static_cast<double>(i)});
    ASSERT_TRUE(db->Add(id, want.back().time_ms, want.back().value).ok());
  }
  ASSERT_TRUE(db->SetInterval(id, 10'000).ok());
  for (int i = 0; i < 100; ++i) {
    want.push_back({200'000 + i * 10'000, i * 0.5});
    ASSERT_TRUE(db->Add(id, want.back().time_ms, want.back().value).ok());
  }
  EXPECT_EQ(All(db.get(), id), want);
  ASSERT_TRUE(db->Close().ok());
  db = Open(Opts());
  EXPECT_EQ(db->Info(id)->interval_ms, 10'000);
  EXPECT_EQ(All(db.get(), id), want);
  std::vector<Sample> buckets;
  ASSERT_TRUE(db->Range(id, 0, kMaxTime, {.bucket_ms = 100'000, .aggregation = Aggregation::kCount},
                        &buckets)
                  .ok());
  ASSERT_GE(buckets.size(), 2u);
  EXPECT_EQ(buckets[0].value, 100);  // the 1 s part: 100 samples in the first bucket
  EXPECT_EQ(buckets[2].value, 10);   // the 10 s part: 10 a bucket
}

TEST_F(TsdbDbTest, IrregularAndOffGridSamples) {
  auto db = Open(Opts());
  const SeriesId reg = *db->CreateSeries("reg", 1000);
  const SeriesId irr = *db->CreateSeries("irr", 0);
  std::mt19937_64 rng(3);
  std::vector<Sample> want_reg, want_irr;
  std::int64_t t1 = 0, t2 = 0;
  for (int i = 0; i < 700; ++i) {
    t1 += rng() % 10 == 0 ? 1000 + static_cast<std::int64_t>(rng() % 999) : 1000;  // jitter
    t2 += 1 + static_cast<std::int64_t>(rng() % 100000);
    want_reg.push_back({t1, static_cast<double>(rng() % 1000) / 10});
    want_irr.push_back({t2, std::bit_cast<double>(rng())});
    ASSERT_TRUE(db->Add(reg, t1, want_reg.back().value).ok());
    ASSERT_TRUE(db->Add(irr, t2, want_irr.back().value).ok());
  }
  auto same = [](const std::vector<Sample>& a, const std::vector<Sample>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i].time_ms != b[i].time_ms ||
          std::bit_cast<std::uint64_t>(a[i].value) != std::bit_cast<std::uint64_t>(b[i].value)) {
        return false;
      }
    }
    return true;
  };
  EXPECT_TRUE(same(All(db.get(), reg), want_reg));
  EXPECT_TRUE(same(All(db.get(), irr), want_irr));
  ASSERT_TRUE(db->Close().ok());
  db = Open(Opts());
  EXPECT_TRUE(same(All(db.get(), reg), want_reg));
  EXPECT_TRUE(same(All(db.get(), irr), want_irr));
}

TEST_F(TsdbDbTest, EveryAggregationMatchesADirectComputation) {
  auto db = Open(Opts());
  const SeriesId id = *db->CreateSeries("a", 250);
  std::mt19937_64 rng(9);
  std::vector<Sample> raw;
  for (int i = 0; i < 2000; ++i) {
    if (rng() % 5 == 0) continue;
    raw.push_back({i * 250, static_cast<double>(static_cast<int>(rng() % 20001) - 10000) / 100});
    ASSERT_TRUE(db->Add(id, raw.back().time_ms, raw.back().value).ok());
  }
  const std::int64_t from = 12'345, to = 400'000, bucket = 7'000;
  for (Aggregation a : {Aggregation::kAvg, Aggregation::kMin, Aggregation::kMax, Aggregation::kSum,
                        Aggregation::kCount, Aggregation::kFirst, Aggregation::kLast,
                        Aggregation::kRange, Aggregation::kStdP, Aggregation::kVarP}) {
    // The direct computation: bucket by bucket from the raw samples.
    std::map<std::int64_t, std::vector<double>> by_bucket;
    for (const Sample& s : raw) {
      if (s.time_ms >= from && s.time_ms <= to) {
        by_bucket[s.time_ms / bucket * bucket].push_back(s.value);
      }
    }
    std::vector<Sample> want;
    for (const auto& [start, v] : by_bucket) {
      double sum = 0, mn = v[0], mx = v[0];
      for (double x : v) sum += x, mn = std::min(mn, x), mx = std::max(mx, x);
      const double mean = sum / static_cast<double>(v.size());
      double sq = 0;
      for (double x : v) sq += (x - mean) * (x - mean);
      const double var = sq / static_cast<double>(v.size());
      const double n = static_cast<double>(v.size());
      const double value = a == Aggregation::kAvg     ? mean
                           : a == Aggregation::kMin   ? mn
                           : a == Aggregation::kMax   ? mx
                           : a == Aggregation::kSum   ? sum
                           : a == Aggregation::kCount ? n
                           : a == Aggregation::kFirst ? v.front()
                           : a == Aggregation::kLast  ? v.back()
                           : a == Aggregation::kRange ? mx - mn
                           : a == Aggregation::kStdP  ? std::sqrt(var)
                                                      : var;
      want.push_back({start, value});
    }
    for (bool reverse : {false, true}) {
      std::vector<Sample> got;
      ASSERT_TRUE(db->Range(id, from, to, {reverse, bucket, a}, &got).ok());
      std::vector<Sample> expect = want;
      if (reverse) std::reverse(expect.begin(), expect.end());
      ASSERT_EQ(got.size(), expect.size());
      for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].time_ms, expect[i].time_ms);
        EXPECT_NEAR(got[i].value, expect[i].value, 1e-9 * (1 + std::fabs(expect[i].value)))
            << static_cast<int>(a) << " bucket " << i;
      }
    }
  }
}

TEST_F(TsdbDbTest, QuotaHoldsAndDeletedRangesAreEmpty) {
  Options o = Opts();
  o.disk_space_mb = 1;
  o.page_samples = 512;
  o.max_pages_per_extent = 16;
  auto db = Open(o);
  std::vector<SeriesId> ids;
  for (int s = 0; s < 8; ++s) ids.push_back(*db->CreateSeries("s" + std::to_string(s), 1000));
  std::mt19937_64 rng(1);
  const std::uint64_t quota = std::uint64_t{1} << 20;
  std::uint32_t min_pairs = 1000, max_pairs = 0;
  // Random noise compresses badly: about 10 MiB of files for a 1 MiB quota.
  for (int i = 0; i < 165'000; ++i) {
    for (SeriesId id : ids) {
      ASSERT_TRUE(db->Add(id, std::int64_t{i} * 1000, std::bit_cast<double>(rng() | 1)).ok());
    }
    if (i % 4096 == 4095) {
      const Stats st = db->GetStats();
      EXPECT_LE(st.disk_bytes, quota + st.datafile_target + (64 << 10)) << i;
      if (st.pairs_deleted > 0) {
        min_pairs = std::min(min_pairs, st.pairs);
        max_pairs = std::max(max_pairs, st.pairs);
      }
    }
  }
  const Stats st = db->GetStats();
  EXPECT_GT(st.pairs_deleted, 100u);
  EXPECT_GE(min_pairs, 10u);
  EXPECT_LE(max_pairs, 20u);
  std::vector<Sample> old;
  ASSERT_TRUE(db->Range(ids[0], 0, 10'000'000, {}, &old).ok());
  EXPECT_TRUE(old.empty());
  const auto info = db->Info(ids[0]);
  EXPECT_GT(info->first_time_ms, 10'000'000);
  std::vector<Sample> recent;
  ASSERT_TRUE(db->Range(ids[0], info->first_time_ms, kMaxTime, {}, &recent).ok());
  EXPECT_FALSE(recent.empty());
  ASSERT_TRUE(db->Close().ok());
}

TEST_F(TsdbDbTest, OpensWithTheOldestPairsDeleted) {
  Options o = Opts();
  o.disk_space_mb = 1;
  auto db = Open(o);
  const SeriesId id = *db->CreateSeries("x", 1000);
  std::mt19937_64 rng(2);
  for (int i = 0; i < 60'000; ++i)
    ASSERT_TRUE(db->Add(id, i * 1000, std::bit_cast<double>(rng() | 1)).ok());
  ASSERT_TRUE(db->Close().ok());
  auto names = *fs_->ListDir("/ts");
  int removed = 0;
  for (const std::string& n : names) {
    if (removed < 4 && n.starts_with("datafile-")) {
      ASSERT_TRUE(fs_->Remove("/ts/" + n).ok());
      ASSERT_TRUE(fs_->Remove("/ts/journalfile-" + n.substr(9, 12) + ".njf").ok());
      ++removed;
    }
  }
  ASSERT_EQ(removed, 4);
  db = Open(o);
  const auto all = All(db.get(), id);
  ASSERT_FALSE(all.empty());
  EXPECT_GT(all.front().time_ms, 0);
  EXPECT_EQ(all.back().time_ms, 59'999'000);
  EXPECT_TRUE(db->Add(id, 60'000'000, 1).ok());
}

TEST_F(TsdbDbTest, HotLogKeepsUnflushedSamplesAcrossACrash) {
  Options o = Opts();
  auto db = Open(o);
  const SeriesId id = *db->CreateSeries("h", 1000);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(db->Add(id, i * 1000, i).ok());
  ASSERT_TRUE(db->FlushFullPages().ok());  // the first page, alone in its extent
  ASSERT_TRUE(db->SyncHotLog().ok());
  for (int i = 100; i < 110; ++i) ASSERT_TRUE(db->Add(id, i * 1000, i).ok());  // not synced
  // A crash: copy the files as they are now, without closing.
  auto copy = CrashCopy();
  ASSERT_TRUE(db->Close().ok());
  o.file_system = copy.get();
  auto db2 = DB::Open("/ts", o);
  ASSERT_TRUE(db2.ok()) << db2.status().ToString();
  const auto got = All(db2->get(), id);
  ASSERT_EQ(got.size(), 100u);
  EXPECT_EQ(got.back().time_ms, 99'000);
  EXPECT_EQ((*db2)->GetStats().samples_recovered, 100u - 64u);  // the first page was flushed
}

// DropSeries of a series with flushed pages, pending and hot samples: gone at once and after a
// crash (no Close) and a clean reopen, its pages never returned; the name re-created under a new
// id starts empty; the other series keeps its samples.
TEST_F(TsdbDbTest, DropSeriesIsDurableAndFreesTheName) {
  Options o = Opts();
  auto db = Open(o);
  const SeriesId a = *db->CreateSeries("a", 1000);
  const SeriesId b = *db->CreateSeries("b", 1000);
  for (int i = 0; i < 150; ++i) {
    ASSERT_TRUE(db->Add(a, i * 1000, i).ok());
    ASSERT_TRUE(db->Add(b, i * 1000, -i).ok());
  }
  ASSERT_TRUE(db->FlushFullPages().ok());
  ASSERT_TRUE(db->SyncHotLog().ok());
  ASSERT_TRUE(db->DropSeries(a).ok());
  EXPECT_TRUE(db->DropSeries(a).IsNotFound());
  EXPECT_TRUE(db->FindSeries("a").status().IsNotFound());
  ASSERT_EQ(db->ListSeries().size(), 1u);
  EXPECT_EQ(db->ListSeries()[0].name, "b");
  auto copy = CrashCopy();
  ASSERT_TRUE(db->Close().ok());
  o.file_system = copy.get();
  for (int reopen = 0; reopen < 2; ++reopen) {
    auto db2 = Open(o);
    ASSERT_NE(db2, nullptr);
    std::vector<Sample> got;
    EXPECT_TRUE(db2->Range(a, 0, kMaxTime, {}, &got).IsNotFound());
    EXPECT_TRUE(db2->Add(a, 200'000, 1).IsNotFound());
    EXPECT_EQ(All(db2.get(), b).size(), 150u);
    if (reopen == 0) {
      const SeriesId a2 = *db2->CreateSeries("a", 500);
      EXPECT_EQ(a2, 2u);
      EXPECT_TRUE(All(db2.get(), a2).empty());
      ASSERT_TRUE(db2->Add(a2, 5, 42).ok());
    }
    EXPECT_EQ(*db2->FindSeries("a"), 2u);
    EXPECT_EQ(All(db2.get(), 2), (std::vector<Sample>{{5, 42}}));
    ASSERT_EQ(db2->ListSeries().size(), 2u);
    ASSERT_TRUE(db2->Close().ok());
  }
}

// Deletes of a whole flushed page, of part of a page and of hot samples: counted, gone from
// every read (raw, aggregated, newest-first with a limit), the whole page out of the index;
// late samples (Upsert) in a deleted range and over a stored sample, and a delete between two
// of them; all of it durable across a crash (no Close) and a clean reopen.
TEST_F(TsdbDbTest, DeleteCountsHidesAndSurvivesACrash) {
  Options o = Opts();
  auto db = Open(o);
  const SeriesId id = *db->CreateSeries("d", 1000);
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(db->Add(id, i * 1000, i).ok());
  ASSERT_TRUE(db->FlushFullPages().ok());
  const std::uint64_t pages = db->Info(id)->pages_on_disk;
  ASSERT_GE(pages, 4u);
  EXPECT_EQ(*db->Delete(id, 0, 63'500), 64u);          // the first page, whole
  EXPECT_EQ(*db->Delete(id, 100'000, 110'000), 11u);   // part of the second
  EXPECT_EQ(*db->Delete(id, 105'000, 120'000), 10u);   // overlapping: only the new ones count
  EXPECT_EQ(*db->Delete(id, 290'000, kMaxTime), 10u);  // hot samples, up to the newest
  EXPECT_EQ(*db->Delete(id, 290'000, 299'000), 0u);
  EXPECT_EQ(db->Info(id)->pages_on_disk, pages - 1);
  EXPECT_EQ(db->Info(id)->last_time_ms, 299'000);
  EXPECT_EQ(db->Add(id, 299'000, 1).code(), Code::kInvalidArgument);  // still appends only
  EXPECT_EQ(db->Delete(id, 5, 4).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(db->Delete(7, 0, 1).status().code(), Code::kNotFound);
  std::vector<Sample> want;
  for (int i = 64; i < 290; ++i) {
    if (i < 100 || i > 120) want.push_back({i * 1000, static_cast<double>(i)});
  }
  EXPECT_EQ(All(db.get(), id), want);
  std::vector<Sample> newest;
  ASSERT_TRUE(db->Range(id, 0, kMaxTime, {.reverse = true, .limit = 2}, &newest).ok());
  EXPECT_EQ(newest, (std::vector<Sample>{{289'000, 289}, {288'000, 288}}));
  const auto counts = All(db.get(), id, {.bucket_ms = 100'000, .aggregation = Aggregation::kCount});
  EXPECT_EQ(counts, (std::vector<Sample>{{0, 36}, {100'000, 79}, {200'000, 90}}));
  // Late samples: one into a deleted range, one over a flushed sample.
  auto at = [&](std::int64_t t) {
    return std::find_if(want.begin(), want.end(), [&](const Sample& x) { return x.time_ms >= t; });
  };
  ASSERT_TRUE(db->Upsert(id, 110'500, 7).ok());
  ASSERT_TRUE(db->Upsert(id, 200'000, -1).ok());
  want.insert(at(110'500), Sample{110'500, 7});
  at(200'000)->value = -1;
  EXPECT_EQ(All(db.get(), id), want);
  EXPECT_EQ(*db->Delete(id, 110'000, 111'000), 1u);  // the late one only: the rest is gone
  ASSERT_TRUE(db->Upsert(id, 110'500, 8).ok());      // after the delete: it stays
  at(110'500)->value = 8;
  ASSERT_TRUE(db->SyncHotLog().ok());  // the hot samples, deleted ones included
  auto copy = CrashCopy();
  ASSERT_TRUE(db->Close().ok());
  o.file_system = copy.get();
  for (int round = 0; round < 2; ++round) {  // after the crash, then after a clean Close
    auto db2 = DB::Open("/ts", o);
    ASSERT_TRUE(db2.ok()) << db2.status().ToString();
    EXPECT_EQ(All(db2->get(), id), want);
    // The clean Close flushed the hot page (deleted samples in it stay hidden).
    EXPECT_EQ((*db2)->Info(id)->pages_on_disk, pages - 1 + round);
    EXPECT_EQ((*db2)->Info(id)->last_time_ms, 299'000);
    std::uint64_t problems = 1;
    EXPECT_TRUE((*db2)->Check(&problems).ok());
    EXPECT_EQ(problems, 0u);
    ASSERT_TRUE((*db2)->Close().ok());
  }
}

TEST_F(TsdbDbTest, ReadOnlyOpenSeesEverythingAndWritesNothing) {
  Options o = Opts();
  auto db = Open(o);
  const SeriesId id = *db->CreateSeries("r", 1000);
  for (int i = 0; i < 150; ++i) ASSERT_TRUE(db->Add(id, i * 1000, i * 0.5).ok());
  ASSERT_TRUE(db->FlushFullPages().ok());
  ASSERT_TRUE(db->SyncHotLog().ok());  // 150 - 128 samples only in the hot log
  Options ro = o;
  ro.read_only = true;
  EXPECT_EQ(DB::Open("/ts", ro).status().code(), Code::kBusy);  // the writer holds LOCK
  EXPECT_EQ(DB::Open("/none", ro).status().code(), Code::kNotFound);
  // Inspect a copy of the files as the writer left them (a crash: no Close).
  auto copy = NewMemFileSystem(std::size_t{1} << 26);
  ASSERT_TRUE(copy->CreateDirs("/ts").ok());
  std::map<std::string, std::string> before;
  const std::vector<std::string> names = *fs_->ListDir("/ts");
  for (const std::string& n : names) {
    auto f = *fs_->Open("/ts/" + n, {.read_only = true});
    std::string data(*f->Size(), '\0');
    ASSERT_TRUE(f->ReadAt(0, {reinterpret_cast<std::uint8_t*>(data.data()), data.size()}).ok());
    auto g = *copy->Open("/ts/" + n, {.create = true});
    ASSERT_TRUE(g->WriteAt(0, AsBytes(data)).ok());
    before[n] = data;
  }
  ro.file_system = copy.get();
  auto rdb = std::move(*DB::Open("/ts", ro));
  const auto got = All(rdb.get(), id);
  ASSERT_EQ(got.size(), 150u);
  EXPECT_EQ(got.back(), (Sample{149'000, 74.5}));
  EXPECT_EQ(rdb->Add(id, 200'000, 1).code(), Code::kReadOnly);
  EXPECT_EQ(rdb->CreateSeries("x", 0).status().code(), Code::kReadOnly);
  std::uint64_t problems = 1;
  EXPECT_TRUE(rdb->Check(&problems).ok());
  EXPECT_EQ(problems, 0u);
  ASSERT_TRUE(rdb->Close().ok());
  const std::vector<std::string> after_names = *copy->ListDir("/ts");
  ASSERT_EQ(after_names.size(), before.size());
  for (const std::string& n : after_names) {
    auto f = *copy->Open("/ts/" + n, {.read_only = true});
    std::string data(*f->Size(), '\0');
    ASSERT_TRUE(f->ReadAt(0, {reinterpret_cast<std::uint8_t*>(data.data()), data.size()}).ok());
    EXPECT_EQ(data, before[n]) << n;
  }
  ASSERT_TRUE(db->Close().ok());
}

TEST_F(TsdbDbTest, TimerSyncsTheHotLog) {
  larder::ManualClock clock;
  Options o = Opts();
  o.clock = &clock;
  o.hot_log_sync_ms = 1000;
  auto db = Open(o);
  const SeriesId id = *db->CreateSeries("t", 1000);
  ASSERT_TRUE(db->Add(id, 5000, 1.5).ok());
  auto size = [&] {
    std::uint64_t n = 0;
    const std::vector<std::string> names = *fs_->ListDir("/ts");
    for (const std::string& name : names) {
      auto s = fs_->FileSize("/ts/" + name);
      if (name.starts_with("hotlog-") && s.ok()) n += *s;
    }
    return n;
  };
  const std::uint64_t before = size();
  // The timer thread may start late: keep moving time until it has synced.
  for (int i = 0; i < 200 && size() == before; ++i) {
    clock.Advance(std::chrono::seconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GT(size(), before);
}

// The operating system's file system, with direct I/O asked for: it is used where the file
// system accepts it (ext4, xfs) and refused with a logged fallback where not (tmpfs before 6.6);
// either way the data round-trips, with the unaligned extents read through aligned buffers.
TEST(TsdbDirectIoTest, RoundTripOnTheRealFileSystem) {
  test::TempDir dir;
  Options o;
  o.direct_io = true;
  o.hot_log_sync_ms = 0;
  o.page_samples = 64;
  o.max_pages_per_extent = 3;
  std::vector<Sample> want;
  {
    auto db = std::move(*DB::Open(dir.File("ts"), o));
    const SeriesId id = *db->CreateSeries("d", 1000);
    for (int i = 0; i < 1000; ++i) {
      want.push_back({i * 1000, i * 0.25});
      ASSERT_TRUE(db->Add(id, want.back().time_ms, want.back().value).ok());
    }
    std::cerr << "direct I/O in effect: " << db->GetStats().direct_io << "\n";
    ASSERT_TRUE(db->Close().ok());
  }
  auto db = std::move(*DB::Open(dir.File("ts"), o));
  std::vector<Sample> got;
  ASSERT_TRUE(db->Range(0, 0, kMaxTime, {}, &got).ok());
  EXPECT_EQ(got, want);
  std::uint64_t problems = 1;
  EXPECT_TRUE(db->Check(&problems).ok());
  EXPECT_EQ(problems, 0u);
  EXPECT_EQ(DB::Open(dir.File("ts"), o).status().code(), Code::kBusy);  // LOCK is held
}

TEST(TsdbAggregateTest, ConstantBucketHasZeroDeviation) {
  const std::vector<double> v(10, 0.1);
  EXPECT_EQ(AggregateValues(v, Aggregation::kStdP), 0);
  EXPECT_EQ(AggregateValues(v, Aggregation::kRange), 0);
}

}  // namespace
}  // namespace larder::tsdb
