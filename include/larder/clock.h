// Clock: where LarderDB reads the time and sleeps, so that tests can control both.
//
// Leases, TTLs, retention and group-commit windows take a Clock* instead of calling
// std::chrono directly; production code passes SystemClock(), tests a ManualClock.
//
// Two kinds of time:
//  - NowNanos(): monotonic, never goes backwards, arbitrary epoch. For durations and deadlines
//    inside one process; never persist it.
//  - NowUnixMicros()/NowUnixMillis(): wall time since 1970-01-01 UTC. May jump (NTP, an
//    operator); persist it (expiry times, retention), never measure a duration with it.
//
// Thread-safety: every Clock method may be called concurrently.
#ifndef LARDER_CLOCK_H_
#define LARDER_CLOCK_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>

namespace larder {

class Clock {
 public:
  virtual ~Clock() = default;

  // Monotonic nanoseconds since an arbitrary, fixed point.
  virtual std::uint64_t NowNanos() = 0;
  // Wall time: microseconds since the Unix epoch.
  virtual std::uint64_t NowUnixMicros() = 0;
  // Wall time: milliseconds since the Unix epoch (NowUnixMicros() / 1000).
  std::uint64_t NowUnixMillis() { return NowUnixMicros() / 1000; }
  // Returns after at least `d` of this clock's monotonic time has passed (at once when d <= 0).
  virtual void SleepFor(std::chrono::nanoseconds d) = 0;
};

// The operating system's clocks (CLOCK_MONOTONIC via steady_clock, CLOCK_REALTIME via
// system_clock) and std::this_thread::sleep_for. Lives for the whole program.
Clock* SystemClock();

// A clock that moves only when told to, for deterministic tests.
//
// Both times start at the values given to the constructor. Advance() moves both forward;
// SetUnixMicros() moves wall time alone, in either direction (as an NTP step would), and never
// moves monotonic time.
//
// SleepFor depends on the mode:
//  - kAdvance (default): the sleeper advances the clock by `d` itself and returns at once.
//    Single-threaded code under test that sleeps then sees time pass without help.
//  - kWait: the sleeper blocks until other threads have advanced monotonic time by `d`. A test
//    drives a background thread (a lease renewer, a retention sweeper) step by step: it waits
//    for WaitForSleepers(n), then Advance()s exactly as far as it wants the thread to get.
class ManualClock final : public Clock {
 public:
  enum class SleepMode { kAdvance, kWait };

  explicit ManualClock(SleepMode mode = SleepMode::kAdvance, std::uint64_t start_nanos = 0,
                       std::uint64_t start_unix_micros = 0)
      : mode_(mode), nanos_(start_nanos), unix_micros_(start_unix_micros) {}

  std::uint64_t NowNanos() override;
  std::uint64_t NowUnixMicros() override;
  void SleepFor(std::chrono::nanoseconds d) override;

  // Moves monotonic and wall time forward by `d` (nothing when d <= 0) and wakes the sleepers
  // whose time has come.
  void Advance(std::chrono::nanoseconds d);
  // Sets wall time; monotonic time does not move.
  void SetUnixMicros(std::uint64_t unix_micros);
  // Threads blocked in SleepFor whose wake-up time has not come yet (always 0 in kAdvance
  // mode). A sleeper that Advance() has released but that has not returned yet is not counted,
  // so after Advance() and WaitForSleepers(1) the released thread has run on to its next sleep.
  int sleepers();
  // Blocks until sleepers() >= n (kWait mode).
  void WaitForSleepers(int n);

 private:
  const SleepMode mode_;
  std::mutex mu_;
  std::condition_variable cv_;    // time advanced, or the sleeper count changed
  std::uint64_t nanos_;           // guarded by mu_
  std::uint64_t unix_micros_;     // guarded by mu_; whole micros
  std::uint64_t nanos_frac_ = 0;  // guarded by mu_: nanoseconds advanced not yet in unix_micros_
  std::multiset<std::uint64_t> wake_at_;  // guarded by mu_: the sleepers' wake-up times
  int PendingSleepersLocked() const;      // REQUIRES: mu_ held
};

}  // namespace larder

#endif  // LARDER_CLOCK_H_
