// Real power cuts for the LSM engine (the harness and its requirements: tests/util/power_cut.h):
// a child writes synced batches on ext4 over a loop device, with memtables small enough that
// flushes, compactions and value-log rotations run all along, until the file system is cut;
// after the remount the database must open, pass lsm::Check and hold every acknowledged batch
// (and at most the one in flight). LARDER_POWER_CUTS=n sets the number of cuts (default 20).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <iostream>
#include <string>

#include "larder/lsm/db.h"
#include "tests/util/power_cut.h"

namespace larder::lsm {
namespace {

Options PowerCutOptions() {
  Options o;
  o.write_buffer_size = 32 << 10;
  o.value_threshold = 1000;  // values of 1000+ bytes stay in the value log
  o.target_file_size = 16 << 10;
  o.max_bytes_for_level_base = 64 << 10;
  o.level0_compaction_trigger = 2;
  return o;
}

// Key "t<n>" (built by append: GCC 12 at -O3 warns falsely, -Wrestrict, on "t" + string).
std::string CutKey(std::uint64_t n) {
  std::string k = "t";
  k += std::to_string(n);
  return k;
}

std::size_t ValueSize(std::uint64_t t) { return (t * 37) % 3000; }

// The child: batch t (t = first, first+1, ...) sets counter = t and adds key "t<t>"; every
// batch is synced; acknowledge each by writing t to `fd`.
[[noreturn]] void PowerCutWriter(const std::string& path, int fd, std::uint64_t first, int) {
  auto db = DB::Open(path, PowerCutOptions());
  if (!db.ok()) {
    std::cerr << "writer: " << db.status().ToString() << "\n";
    _exit(2);
  }
  for (std::uint64_t t = first;; ++t) {
    kv::WriteBatch b;
    b.Put("counter", std::to_string(t));
    b.Put(CutKey(t), std::string(ValueSize(t), 'v'));
    Status s = (*db)->Write({.sync = true}, b);
    if (!s.ok()) {
      if (t == first) std::cerr << "writer: first write: " << s.ToString() << "\n";
      _exit(3);
    }
    if (write(fd, &t, sizeof t) != sizeof t) _exit(4);
  }
}

// Opens the database (recovery removes what an interrupted flush or compaction left), verifies
// its keys, closes and checks it; returns the last batch it holds.
Result<std::uint64_t> PowerCutVerify(const std::string& path, int cycle) {
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<DB> db, DB::Open(path, PowerCutOptions()));
  std::string counter;
  LARDER_RETURN_IF_ERROR(db->Get("counter", &counter));
  const std::uint64_t last = std::stoull(counter);
  for (std::uint64_t i = 1; i <= last; i += 1 + last / 64) {
    std::string v;
    Status s = db->Get(CutKey(i), &v);
    EXPECT_TRUE(s.ok() && v.size() == ValueSize(i))
        << "cycle " << cycle << " key " << i << ": " << s.ToString();
  }
  LARDER_RETURN_IF_ERROR(db->Close());
  db.reset();
  LARDER_ASSIGN_OR_RETURN(std::vector<std::string> problems, Check(path, PowerCutOptions()));
  EXPECT_TRUE(problems.empty()) << "cycle " << cycle << ": " << problems[0];
  return last;
}

TEST(LsmPowerCutTest, Ext4ShutdownNeverLosesAcknowledgedWrites) {
  test::PowerCutReport r;
  test::RunPowerCuts({.name = "cut-lsm", .writer = PowerCutWriter, .verify = PowerCutVerify}, &r);
  if (!r.skipped.empty()) GTEST_SKIP() << "real power cut not possible here: " << r.skipped;
  std::cerr << test::Summary(r, "batch") << "\n";
}

}  // namespace
}  // namespace larder::lsm
