// Process crashes: a child process writes synced batches to a real directory and reports each
// acknowledgment through a pipe; the parent kills it with SIGKILL at a random moment, reopens
// the database and verifies that every acknowledged batch is there (and at most the one in
// flight beyond it). Memtables are tiny, so kills land in flushes and compactions too.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <random>
#include <string>
#include <string_view>

#include "larder/lsm/db.h"
#include "tests/util/kill_cycle.h"
#include "tests/util/kv_model.h"
#include "tests/util/temp_dir.h"

namespace larder::lsm {
namespace {

Options KillOptions() {
  Options o;
  o.write_buffer_size = 8 << 10;
  o.value_threshold = 1000;
  o.target_file_size = 8 << 10;
  o.max_bytes_for_level_base = 16 << 10;
  o.level0_compaction_trigger = 2;
  return o;
}

// The child: batch t (t = first, first+1, ...) sets counter = t and adds key "t<t>";
// acknowledge each by writing t to `fd`. Never returns.
[[noreturn]] void KillChild(const std::string& path, int fd, std::uint64_t first) {
  auto db = DB::Open(path, KillOptions());
  if (!db.ok()) _exit(2);
  for (std::uint64_t t = first;; ++t) {
    kv::WriteBatch b;
    b.Put("counter", std::to_string(t));
    b.Put(test::NumberedKey("t", t), std::string((t * 37) % 3000, 'v'));  // some in the vlog
    if (!(*db)->Write({.sync = true}, b).ok()) _exit(3);
    if (write(fd, &t, sizeof t) != sizeof t) _exit(4);
  }
}

TEST(LsmKillTest, SigkillNeverLosesAcknowledgedWrites) {
  test::TempDir dir;
  const std::string path = dir.File("kill");
  std::mt19937_64 rng(42);
  std::uint64_t acked = 0;
  int cycle = 0;
  for (; cycle < 100 || (acked < 50 && cycle < 1000); ++cycle) {
    const test::KillCycle k = test::RunKillCycle(
        [&](int fd) { KillChild(path, fd, acked + 1); },
        test::KillDelay(rng, std::chrono::microseconds(30000), cycle, 100), acked);
    acked = k.acked;
    ASSERT_TRUE(k.killed) << "child exited on its own with " << k.exit_code;

    auto db = DB::Open(path, KillOptions());
    ASSERT_TRUE(db.ok()) << "cycle " << cycle << ": " << db.status().ToString();
    std::string counter;
    Status s = (*db)->Get("counter", &counter);
    if (s.IsNotFound()) {
      ASSERT_EQ(acked, 0u) << "cycle " << cycle << ": counter lost";
    } else {
      ASSERT_TRUE(s.ok()) << s.ToString();
      const std::uint64_t c = std::stoull(counter);
      ASSERT_GE(c, acked) << "cycle " << cycle;
      ASSERT_LE(c, acked + 1) << "cycle " << cycle;
      for (std::uint64_t i = 1; i <= c; i += 1 + c / 50) {
        std::string v;
        ASSERT_TRUE((*db)->Get(test::NumberedKey("t", i), &v).ok())
            << "cycle " << cycle << " " << i;
        ASSERT_EQ(v.size(), (i * 37) % 3000) << "cycle " << cycle << " " << i;
      }
      acked = c;
    }
    ASSERT_TRUE((*db)->Close().ok());
  }
  std::cerr << "kill -9 cycles: " << cycle << ", batches acknowledged: " << acked << "\n";
  EXPECT_GE(acked, 50u);
}

}  // namespace
}  // namespace larder::lsm
