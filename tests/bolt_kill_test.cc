// Process crashes: a child process commits transactions on a real file and reports each
// acknowledgment through a pipe; the parent kills it with SIGKILL at a random moment, reopens
// the file, checks it and verifies that every acknowledged commit is there.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <random>
#include <string>

#include "larder/bolt/db.h"
#include "tests/util/kill_cycle.h"
#include "tests/util/temp_dir.h"

namespace larder::bolt {
namespace {

// The child: commit transaction t (t = first, first+1, ...) which sets counter = t and adds
// key "t<t>"; acknowledge each by writing t to `fd`. Never returns.
[[noreturn]] void Child(const std::string& path, int fd, std::uint64_t first) {
  auto db = DB::Open(path);
  if (!db.ok()) _exit(2);
  for (std::uint64_t t = first;; ++t) {
    Status s = (*db)->Update([t](Tx& tx) -> Status {
      LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucketIfNotExists("kill"));
      LARDER_RETURN_IF_ERROR(b.Put("counter", std::to_string(t)));
      std::string v((t * 37) % 3000, 'v');  // some values overflow a page
      return b.Put("t" + std::to_string(t), v);
    });
    if (!s.ok()) _exit(3);
    if (write(fd, &t, sizeof t) != sizeof t) _exit(4);
  }
}

TEST(BoltKillTest, SigkillNeverLosesAcknowledgedCommits) {
  test::TempDir dir;
  const std::string path = dir.File("kill.db");
  std::mt19937_64 rng(42);
  std::uint64_t acked = 0;  // highest acknowledged transaction number
  const int kCycles = 200;
  // On a slow disk (a few hundred fsyncs/s) 200 short lives may acknowledge few commits: go on
  // until 50 were acknowledged (at most 1,000 cycles), so the test never passes vacuously.
  int cycle = 0;
  for (; cycle < kCycles || (acked < 50 && cycle < 1000); ++cycle) {
    const test::KillCycle k = test::RunKillCycle(
        [&](int fd) { Child(path, fd, acked + 1); },
        test::KillDelay(rng, std::chrono::microseconds(20000), cycle, kCycles), acked);
    acked = k.acked;
    ASSERT_TRUE(k.killed) << "child exited on its own with " << k.exit_code;

    auto db = DB::Open(path);
    ASSERT_TRUE(db.ok()) << "cycle " << cycle << ": " << db.status().ToString();
    ASSERT_TRUE((*db)
                    ->View([&](Tx& tx) -> Status {
                      auto problems = tx.Check();
                      EXPECT_TRUE(problems.empty()) << "cycle " << cycle << ": " << problems[0];
                      auto b = tx.GetBucket("kill");
                      if (!b.ok()) {
                        EXPECT_EQ(acked, 0u) << "cycle " << cycle << ": bucket lost";
                        return Status::Ok();
                      }
                      LARDER_ASSIGN_OR_RETURN(std::string_view counter, b->Get("counter"));
                      std::uint64_t c = std::stoull(std::string(counter));
                      // Every acknowledged commit is there; at most one unacknowledged one beyond
                      // it.
                      EXPECT_GE(c, acked) << "cycle " << cycle;
                      EXPECT_LE(c, acked + 1) << "cycle " << cycle;
                      for (std::uint64_t i = 1; i <= c; i += 1 + (c / 50)) {
                        EXPECT_TRUE(b->Get("t" + std::to_string(i)).ok())
                            << "cycle " << cycle << " key " << i;
                      }
                      acked = c;  // the child continues from what is on disk
                      return Status::Ok();
                    })
                    .ok());
  }
  std::cerr << "kill -9 cycles: " << cycle << ", commits acknowledged: " << acked << "\n";
  EXPECT_GE(acked, 50u) << "the children must have made progress";
}

}  // namespace
}  // namespace larder::bolt
