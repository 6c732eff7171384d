// One life of a kill -9 test: a forked child writes and acknowledges numbers through a pipe; the
// parent kills it with SIGKILL after a delay and collects what it acknowledged.
#ifndef LARDER_TESTS_UTIL_KILL_CYCLE_H_
#define LARDER_TESTS_UTIL_KILL_CYCLE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <random>

namespace larder::test {

struct KillCycle {
  std::uint64_t acked = 0;  // the highest number acknowledged (at least the `acked` given)
  bool killed = false;      // false: the child exited on its own (with exit_code) or fork failed
  int exit_code = 0;
};

// Forks; the child runs child(fd) (which writes each acknowledged number, a std::uint64_t, to
// fd and never returns); after `delay` the parent sends SIGKILL, reaps the child and reads the
// acknowledgments.
KillCycle RunKillCycle(const std::function<void(int fd)>& child, std::chrono::microseconds delay,
                       std::uint64_t acked);

// The delay before a cycle's kill: uniform in [0, window). The window is `base` for the first
// `widen_after` cycles, then grows by base/16 per cycle. A child spends its first milliseconds
// opening (recovering) its database, so on a slow machine most short lives end before any
// write; the widening lets a test's progress guard measure the test's reach, not the machine.
std::chrono::microseconds KillDelay(std::mt19937_64& rng, std::chrono::microseconds base, int cycle,
                                    int widen_after);

}  // namespace larder::test

#endif  // LARDER_TESTS_UTIL_KILL_CYCLE_H_
