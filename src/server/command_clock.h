// CommandClock: the times the dispatcher takes around each command (INFO commandstats' usec,
// the slow log), with one clock read per command inside a batch instead of two.
//
// Outside laps, Start() and Stop() each read the clock. Between BeginLaps() and EndLaps() (an
// I/O thread's batch), a command's start is the stop of the command before it (the first one's:
// BeginLaps), so the clock is read once per command. A command's duration then also holds the
// dispatcher's work since the previous handler returned: that command's stats, its reply's
// delivery and this command's lookup, well under a microsecond; commands are parsed before the
// batch, and nothing between two commands of a batch waits.
//
// Thread-safety: REQUIRES the execution lock (one batch runs at a time); the server owns one.
#ifndef LARDER_SERVER_COMMAND_CLOCK_H_
#define LARDER_SERVER_COMMAND_CLOCK_H_

#include <cstdint>

namespace larder::server {

class CommandClock {
 public:
  using NowUsFn = std::int64_t (*)();  // microseconds; never returns 0
  explicit CommandClock(NowUsFn now_us) : now_us_(now_us) {}

  void BeginLaps() { lap_us_ = now_us_(); }
  void EndLaps() { lap_us_ = 0; }

  // The start of the command about to run.
  std::int64_t Start() const { return lap_us_ != 0 ? lap_us_ : now_us_(); }
  // The end of the command that ran (and, in laps, the start of the next).
  std::int64_t Stop() {
    const std::int64_t now = now_us_();
    if (lap_us_ != 0) lap_us_ = now;
    return now;
  }

 private:
  const NowUsFn now_us_;
  std::int64_t lap_us_ = 0;  // 0: not in laps
};

}  // namespace larder::server

#endif  // LARDER_SERVER_COMMAND_CLOCK_H_
