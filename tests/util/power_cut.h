// Real power cuts for any engine: ext4 on a loop device, cut with the EXT4_IOC_SHUTDOWN ioctl
// without flushing the journal (EXT4_GOING_FLAGS_NOLOGFLUSH) while a child process commits.
// From that moment the file system drops every write it has not yet made durable, as a power
// loss would; what fsync and fdatasync returned OK for is on the device. After each cut the
// harness unmounts, mounts again (the journal replays) and lets the engine open, check and
// verify its database: every commit the child acknowledged before the cut must be there, and
// at most one more than it acknowledged at all (committed, cut before its acknowledgment). At the
// end e2fsck checks the image: the harness itself must not have damaged the file system, or the
// test proves nothing.
//
// Needs root, /dev/loop-control, mkfs.ext4 (e2fsprogs) and a kernel that lets us mount ext4.
// Where any of these is missing (a container, say) RunPowerCuts says why in `skipped` and the
// test should GTEST_SKIP with it. LARDER_POWER_CUTS=n sets the number of cuts (default 20).
#ifndef LARDER_TESTS_UTIL_POWER_CUT_H_
#define LARDER_TESTS_UTIL_POWER_CUT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "larder/result.h"

namespace larder::test {

struct PowerCutWorkload {
  // The database's name (file or directory) under the mount point.
  std::string name;
  // Runs in the child process and never returns: commits t = first, first+1, ..., each making
  // t the database's last commit, and after each acknowledged one writes t (a std::uint64_t) to
  // `fd`. Exits with status 3 when a commit fails (the cut), 2 when it cannot open. `cycle`
  // lets it vary options between cuts.
  std::function<void(const std::string& path, int fd, std::uint64_t first, int cycle)> writer;
  // After the remount, in the test process: opens and checks the database at `path`, verifies
  // commits 1..t and returns t, the last commit found (an error fails the test).
  std::function<Result<std::uint64_t>(const std::string& path, int cycle)> verify;
};

struct PowerCutReport {
  std::string skipped;  // why no power cut was possible here; empty when the cuts ran
  int cuts = 0;
  int cuts_during_writes = 0;      // the writer was still committing when the cut came
  std::uint64_t acknowledged = 0;  // the last commit, as found after the final cut
  // Commits the writer acknowledged after the shutdown ioctl began (their fsync raced the cut;
  // a real power loss allows no such acknowledgment), and how many of them were lost: on ext4
  // an appending write's fdatasync that races EXT4_IOC_SHUTDOWN may return OK and still be lost
  // (a raw write+fdatasync loop shows it too), so these are counted, not required.
  std::uint64_t acknowledged_during_cut = 0;
  std::uint64_t lost_during_cut = 0;
};

// Runs the cuts; broken promises are gtest failures.
void RunPowerCuts(const PowerCutWorkload& workload, PowerCutReport* report);

// One line for the test's output: the cuts, and what `unit` ("commit", "batch") the writer had
// acknowledged, including while a cut ran.
std::string Summary(const PowerCutReport& report, std::string_view unit);

}  // namespace larder::test

#endif  // LARDER_TESTS_UTIL_POWER_CUT_H_
