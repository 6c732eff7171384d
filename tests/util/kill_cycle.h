// One life of a kill -9 test: a forked child writes and acknowledges numbers through a pipe; the
// parent kills it with SIGKILL after a delay and collects what it acknowledged.
#ifndef LARDER_TESTS_UTIL_KILL_CYCLE_H_
#define LARDER_TESTS_UTIL_KILL_CYCLE_H_

#include <chrono>
#include <cstdint>
#include <functional>

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

}  // namespace larder::test

#endif  // LARDER_TESTS_UTIL_KILL_CYCLE_H_
