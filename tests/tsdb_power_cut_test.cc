// Real power cuts for the time-series engine (the harness and its requirements:
// tests/util/power_cut.h): a child adds samples to one series on ext4 over a loop device, each
// acknowledged once the hot log holding it is synced, with pages, extents, pairs and hot logs
// small enough that flushes, pair rotations and hot-log rotations run all along, until the file
// system is cut; after the remount the engine must open, pass Check and hold samples 1..t with
// t at least every acknowledged one (and at most the one in flight). LARDER_POWER_CUTS=n sets
// the number of cuts (default 20).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <iostream>
#include <string>

#include "larder/tsdb/db.h"
#include "tests/util/power_cut.h"

namespace larder::tsdb {
namespace {

Options PowerCutOptions() {
  Options o;
  o.page_samples = 32;
  o.max_pages_per_extent = 2;
  o.hot_log_sync_ms = 0;  // synced by each commit
  o.datafile_bytes_for_testing = 4096;
  o.hot_log_bytes_for_testing = 2048;
  return o;
}

double PowerCutValue(std::uint64_t t) { return static_cast<double>(t % 977) / 8; }

[[noreturn]] void Writer(const std::string& path, int fd, std::uint64_t first, int /*cycle*/) {
  auto db = DB::Open(path, PowerCutOptions());
  if (!db.ok()) _exit(2);
  auto id = (*db)->FindSeries("p");
  if (!id.ok()) id = (*db)->CreateSeries("p", 1000);
  if (!id.ok()) _exit(2);
  for (std::uint64_t t = first;; ++t) {
    if (!(*db)->Add(*id, static_cast<std::int64_t>(t) * 1000, PowerCutValue(t)).ok() ||
        !(*db)->SyncHotLog().ok()) {
      _exit(3);
    }
    if (write(fd, &t, sizeof t) != sizeof t) _exit(4);
  }
}

Result<std::uint64_t> Verify(const std::string& path, int /*cycle*/) {
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<DB> db, DB::Open(path, PowerCutOptions()));
  std::vector<Sample> got;
  auto id = db->FindSeries("p");
  if (id.ok()) LARDER_RETURN_IF_ERROR(db->Range(*id, 0, kMaxTime, {}, &got));
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (got[i].time_ms != static_cast<std::int64_t>(i + 1) * 1000 ||
        got[i].value != PowerCutValue(i + 1)) {
      return Status::Corruption("sample " + std::to_string(i + 1) + " is wrong or missing");
    }
  }
  std::uint64_t problems = 0;
  LARDER_RETURN_IF_ERROR(db->Check(&problems));
  LARDER_RETURN_IF_ERROR(db->Close());
  return static_cast<std::uint64_t>(got.size());
}

TEST(TsdbPowerCutTest, Ext4ShutdownNeverLosesAcknowledgedSamples) {
  test::PowerCutReport r;
  test::RunPowerCuts({.name = "cut-tsdb", .writer = Writer, .verify = Verify}, &r);
  if (!r.skipped.empty()) GTEST_SKIP() << "real power cut not possible here: " << r.skipped;
  std::cerr << test::Summary(r, "sample") << "\n";
}

}  // namespace
}  // namespace larder::tsdb
