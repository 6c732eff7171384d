// Process crashes of the time-series engine: a child process adds samples to one series in a
// real directory, syncs the hot log every 16 samples and reports each synced sample through a
// pipe; the parent kills it with SIGKILL at a random moment (in adds, flushes, hot-log writes
// and rotations, timer syncs), reopens the engine and checks that the series holds exactly the
// samples 1..c with c at least the last acknowledged one: nothing acknowledged lost, no gap, no
// wrong value.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <random>
#include <string>

#include "larder/tsdb/db.h"
#include "tests/util/kill_cycle.h"
#include "tests/util/temp_dir.h"

namespace larder::tsdb {
namespace {

Options KillOptions() {
  Options o;
  o.page_samples = 64;
  o.max_pages_per_extent = 4;
  o.hot_log_sync_ms = 20;
  o.hot_log_bytes_for_testing = 4096;
  return o;
}

double ValueOf(std::uint64_t t) { return static_cast<double>(t % 1000) / 4; }

[[noreturn]] void KillChild(const std::string& path, int fd, std::uint64_t first) {
  auto db = DB::Open(path, KillOptions());
  if (!db.ok()) _exit(2);
  auto id = (*db)->FindSeries("k");
  if (!id.ok()) id = (*db)->CreateSeries("k", 1000);
  if (!id.ok()) _exit(3);
  for (std::uint64_t t = first;; ++t) {
    if (!(*db)->Add(*id, static_cast<std::int64_t>(t) * 1000, ValueOf(t)).ok()) _exit(4);
    if (t % 16 == 0) {
      if (!(*db)->SyncHotLog().ok()) _exit(5);
      if (write(fd, &t, sizeof t) != sizeof t) _exit(6);
    }
  }
}

TEST(TsdbKillTest, SigkillNeverLosesAcknowledgedSamples) {
  test::TempDir dir;
  const std::string path = dir.File("kill");
  std::mt19937_64 rng(18);
  std::uint64_t acked = 0, have = 0;
  int cycle = 0;
  for (; cycle < 30 || (acked < 2000 && cycle < 300); ++cycle) {
    const test::KillCycle k = test::RunKillCycle(
        [&](int fd) { KillChild(path, fd, have + 1); },
        test::KillDelay(rng, std::chrono::microseconds(40000), cycle, 30), acked);
    acked = k.acked;
    ASSERT_TRUE(k.killed) << "child exited on its own with " << k.exit_code;
    auto db = DB::Open(path, KillOptions());
    ASSERT_TRUE(db.ok()) << "cycle " << cycle << ": " << db.status().ToString();
    auto id = (*db)->FindSeries("k");
    std::vector<Sample> got;
    if (id.ok()) {
      ASSERT_TRUE((*db)->Range(*id, 0, kMaxTime, {}, &got).ok());
    }
    ASSERT_GE(got.size(), acked) << "cycle " << cycle << ": acknowledged samples lost";
    for (std::size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i].time_ms, static_cast<std::int64_t>(i + 1) * 1000) << "cycle " << cycle;
      ASSERT_EQ(got[i].value, ValueOf(i + 1)) << "cycle " << cycle;
    }
    have = got.size();
    ASSERT_TRUE((*db)->Close().ok());
  }
  std::cerr << "tsdb kill -9 cycles: " << cycle << ", samples acknowledged: " << acked
            << ", recovered: " << have << "\n";
  EXPECT_GE(acked, 2000u);
}

}  // namespace
}  // namespace larder::tsdb
