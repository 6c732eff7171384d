#include "tests/util/kill_cycle.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

namespace larder::test {

KillCycle RunKillCycle(const std::function<void(int fd)>& child, std::chrono::microseconds delay,
                       std::uint64_t acked) {
  KillCycle r;
  r.acked = acked;
  int fds[2];
  if (pipe(fds) != 0) return r;
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return r;
  }
  if (pid == 0) {
    close(fds[0]);
    child(fds[1]);
    _exit(5);  // the child must never return
  }
  close(fds[1]);
  std::this_thread::sleep_for(delay);
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  std::uint64_t t;
  while (read(fds[0], &t, sizeof t) == sizeof t) r.acked = std::max(r.acked, t);
  close(fds[0]);
  r.killed = WIFSIGNALED(status);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
  return r;
}

std::chrono::microseconds KillDelay(std::mt19937_64& rng, std::chrono::microseconds base, int cycle,
                                    int widen_after) {
  const auto extra = static_cast<std::uint64_t>(std::max(0, cycle - widen_after + 1));
  const auto window = static_cast<std::uint64_t>(base.count()) * (16 + extra) / 16;
  return std::chrono::microseconds(rng() % std::max<std::uint64_t>(window, 1));
}

}  // namespace larder::test
