// Real power cuts for bolt (the harness and its requirements: tests/util/power_cut.h): a child
// commits transactions on ext4 over a loop device until the file system is cut; after the
// remount the file must open, pass the check and hold every acknowledged commit.
// LARDER_POWER_CUTS=n sets the number of cuts (default 20, about 8 s).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <iostream>
#include <string>

#include "larder/bolt/db.h"
#include "tests/util/power_cut.h"

namespace larder::bolt {
namespace {

// Key "t<n>" (built by append: GCC 12 at -O3 warns falsely, -Wrestrict, on "t" + string).
std::string CutKey(std::uint64_t n) {
  std::string k = "t";
  k += std::to_string(n);
  return k;
}

// The child: commit transaction t (t = first, first+1, ...) which sets counter = t and adds
// key "t<t>"; acknowledge each by writing t to `fd`. Exits when a commit fails (the cut).
// Every other cycle runs without the freelist sync.
[[noreturn]] void Writer(const std::string& path, int fd, std::uint64_t first, int cycle) {
  Options o;
  o.no_freelist_sync = cycle % 2 != 0;
  auto db = DB::Open(path, o);
  if (!db.ok()) {
    std::cerr << "writer: " << db.status().ToString() << "\n";
    _exit(2);
  }
  for (std::uint64_t t = first;; ++t) {
    Status s = (*db)->Update([t](Tx& tx) -> Status {
      LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucketIfNotExists("cut"));
      LARDER_RETURN_IF_ERROR(b.Put("counter", std::to_string(t)));
      return b.Put(CutKey(t), std::string((t * 53) % 5000, 'p'));
    });
    if (!s.ok()) {
      if (t == first) std::cerr << "writer: first commit: " << s.ToString() << "\n";
      _exit(3);
    }
    if (write(fd, &t, sizeof t) != sizeof t) _exit(4);
  }
}

// Opens and checks the file; returns the last commit it holds after verifying its keys.
Result<std::uint64_t> Verify(const std::string& path, int cycle) {
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<DB> db, DB::Open(path));
  std::uint64_t last = 0;
  LARDER_RETURN_IF_ERROR(db->View([&](Tx& tx) -> Status {
    auto problems = tx.Check();
    EXPECT_TRUE(problems.empty()) << "cycle " << cycle << ": " << problems[0];
    LARDER_ASSIGN_OR_RETURN(Bucket b, tx.GetBucket("cut"));
    LARDER_ASSIGN_OR_RETURN(std::string_view counter, b.Get("counter"));
    last = std::stoull(std::string(counter));
    for (std::uint64_t i = 1; i <= last; i += 1 + last / 64) {
      auto v = b.Get(CutKey(i));
      EXPECT_TRUE(v.ok() && v->size() == (i * 53) % 5000) << "cycle " << cycle << " key " << i;
    }
    return Status::Ok();
  }));
  return last;
}

TEST(BoltPowerCutTest, Ext4ShutdownNeverLosesAcknowledgedCommits) {
  test::PowerCutReport r;
  test::RunPowerCuts({.name = "cut.db", .writer = Writer, .verify = Verify}, &r);
  if (!r.skipped.empty()) GTEST_SKIP() << "real power cut not possible here: " << r.skipped;
  std::cerr << test::Summary(r, "commit") << "\n";
}

}  // namespace
}  // namespace larder::bolt
