// Crash-point enumeration over the time-series engine (tests/util/crash_harness.h): one series
// fed sample by sample, with pages of 16 samples, extents of 2 pages, pairs closed every ~1.5
// KiB and a hot log rotated every ~600 bytes, so that the workload spans page flushes (datafile
// append and sync, journal append and sync), pair rotations, hot-log syncs and rotations, an
// interval change, deletes (a series.meta record each, after a hot-log sync), and at the end a
// DropSeries and a CreateSeries of the same name fed a few samples. Crashed after
// every mutating I/O operation and reopened after several simulated power losses each, the engine
// must show the samples of an allowed state: at least everything acknowledged durable (a synced hot
// log, a flushed page, a clean Close), and then a prefix of the samples added after it, never a
// gap.
#include <gtest/gtest.h>

#include <bit>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "larder/tsdb/db.h"
#include "tests/util/crash_harness.h"

namespace larder::tsdb {
namespace {

constexpr int kCrashSamples = 240;

Options CrashOptions(FileSystem* fs) {
  Options o;
  o.file_system = fs;
  o.hot_log_sync_ms = 0;  // synced by the workload, deterministically
  o.background_flush = false;
  o.page_samples = 16;
  o.max_pages_per_extent = 2;
  o.datafile_bytes_for_testing = 1536;
  o.hot_log_bytes_for_testing = 600;
  return o;
}

std::string Dump(const std::vector<Sample>& samples) {
  std::string s;
  for (const Sample& x : samples) {
    s += std::to_string(x.time_ms) + "=" + std::to_string(std::bit_cast<std::uint64_t>(x.value)) +
         ";";
  }
  return s;
}

double ValueOf(int i) { return static_cast<double>((i * 37) % 1000) / 100; }

test::CrashWorkload TsdbWorkload() {
  test::CrashWorkload w;
  w.initial_state = Dump({});
  w.run = [](FileSystem* fs, test::CrashTracker* tracker) {
    auto db = DB::Open("/crash", CrashOptions(fs));
    if (!db.ok()) return;
    auto id = (*db)->CreateSeries("s", 1000);
    if (!id.ok()) return;
    std::vector<Sample> model;
    std::int64_t t = 0;
    for (int i = 0; i < kCrashSamples; ++i) {
      if (i == kCrashSamples / 2 && !(*db)->SetInterval(*id, 3000).ok()) return;
      t += i < kCrashSamples / 2 ? 1000 : (i % 7 == 0 ? 4500 : 3000);
      model.push_back({t, ValueOf(i)});
      tracker->InFlight(Dump(model));
      if (!(*db)->Add(*id, t, ValueOf(i)).ok()) return;
      tracker->Acknowledged(false);
      if (i % 8 == 7) {
        if (!(*db)->SyncHotLog().ok()) return;
        tracker->Acknowledged(true);
      }
      if (i % 40 == 39) {  // a few samples before the newest, durable when Delete returns
        const std::int64_t from = t - 5500, to = t - 2000;
        const auto n = std::erase_if(
            model, [&](const Sample& x) { return x.time_ms >= from && x.time_ms <= to; });
        tracker->InFlight(Dump(model));
        auto deleted = (*db)->Delete(*id, from, to);
        if (!deleted.ok() || *deleted != n) return;
        tracker->Acknowledged(true);
      }
    }
    // The series dropped and its name re-created (a new, empty series): each durable when it
    // returns; the old series' pages and hot-log samples must never come back under the name.
    model.clear();
    tracker->InFlight(Dump(model));
    if (!(*db)->DropSeries(*id).ok()) return;
    tracker->Acknowledged(true);
    id = (*db)->CreateSeries("s", 1000);
    if (!id.ok()) return;
    tracker->Acknowledged(true);
    for (int i = 0; i < 12; ++i) {
      t += 1000;
      model.push_back({t, ValueOf(i)});
      tracker->InFlight(Dump(model));
      if (!(*db)->Add(*id, t, ValueOf(i)).ok()) return;
      tracker->Acknowledged(false);
    }
    if (!(*db)->SyncHotLog().ok()) return;
    tracker->Acknowledged(true);
    if ((*db)->Close().ok()) tracker->Acknowledged(true);
  };
  w.recover = [](FileSystem* fs) -> Result<std::string> {
    LARDER_ASSIGN_OR_RETURN(std::unique_ptr<DB> db, DB::Open("/crash", CrashOptions(fs)));
    auto id = db->FindSeries("s");
    if (!id.ok()) {
      // The crash came before the series was created durably: nothing else may exist.
      LARDER_RETURN_IF_ERROR(db->Close());
      return Dump({});
    }
    std::vector<Sample> got;
    LARDER_RETURN_IF_ERROR(db->Range(*id, 0, kMaxTime, {}, &got));
    std::uint64_t problems = 0;
    LARDER_RETURN_IF_ERROR(db->Check(&problems));
    // The recovered engine takes new samples and keeps them across a reopen.
    const std::int64_t next = got.empty() ? 1 : got.back().time_ms + 1;
    LARDER_RETURN_IF_ERROR(db->Add(*id, next, 42.5));
    LARDER_RETURN_IF_ERROR(db->Close());
    db.reset();
    LARDER_ASSIGN_OR_RETURN(db, DB::Open("/crash", CrashOptions(fs)));
    std::vector<Sample> again;
    LARDER_RETURN_IF_ERROR(db->Range(*id, next, next, {}, &again));
    if (again.size() != 1 || again[0].value != 42.5) {
      return Status::Corruption("the sample added after recovery is missing");
    }
    LARDER_RETURN_IF_ERROR(db->Close());
    return Dump(got);
  };
  return w;
}

TEST(TsdbCrashTest, EveryCrashPointRecoversToAnAllowedState) {
  const char* env = std::getenv("LARDER_CRASH_DAMAGE_SEEDS");
  const int seeds = env != nullptr ? std::atoi(env) : 4;
  const test::CrashReport r = test::RunCrashPoints(TsdbWorkload(), {.seeds_per_point = seeds});
  std::cerr << "tsdb crash states: " << r.states_checked << " over " << r.crash_points
            << " crash points (" << r.interrupted << " interrupted), " << r.mutating_ops
            << " mutating operations; " << r.recovered_in_flight << " kept the sample in flight, "
            << r.recovered_older << " an older state\n";
  EXPECT_GE(r.mutating_ops, 150u);
  EXPECT_EQ(r.states_checked, r.crash_points * static_cast<std::uint64_t>(seeds));
  EXPECT_GT(r.recovered_in_flight, 0u);
}

}  // namespace
}  // namespace larder::tsdb
