// WritePacer: the write slowdown's byte rate. While level 0 holds `level0_slowdown_trigger`
// tables or more, each write group is charged its bytes at a rate (Options::slowdown_write_rate,
// divided as level 0 grows further), and a group waits before it writes only for the part of
// the debt beyond a burst allowance of one millisecond.
//
// Why bytes and not a fixed pause per group (LevelDB's 1 ms): a fixed pause costs a small,
// latency-bound write (a queue's lease: a few hundred bytes) as much as a 1 MiB batch, and
// barely slows a writer that batches. Charged by bytes, a burst is slowed to the rate the
// compaction can follow, and sparse small writes pass without waiting (docs/lsm.md, "Slowdowns
// and stops").
//
// The debt is one point in time, `paid_until`: the moment at which every byte charged so far is
// paid at the rate. A charge moves it forward by bytes / rate from max(now, paid_until); a group
// at `now` waits paid_until - now - burst when that is positive. Time is the Clock's monotonic
// nanoseconds, passed in, so tests drive it.
//
// Thread-safety: none; DBImpl calls it under its mutex.
#ifndef LARDER_LSM_WRITE_PACER_H_
#define LARDER_LSM_WRITE_PACER_H_

#include <chrono>
#include <cstdint>

namespace larder::lsm {

class WritePacer {
 public:
  // The debt a group may leave unpaid without waiting.
  static constexpr std::chrono::nanoseconds kBurst = std::chrono::milliseconds(1);

  // `bytes_per_second` > 0 (checked by Options validation).
  explicit WritePacer(std::uint64_t bytes_per_second) : bytes_per_second_(bytes_per_second) {}

  // How long a group about to write at `now_nanos` waits first: the debt beyond kBurst, or 0.
  std::chrono::nanoseconds DelayAt(std::uint64_t now_nanos) const;

  // Charges `bytes` written at `now_nanos`, at the rate divided by `divisor` (at least 1).
  void Charge(std::uint64_t bytes, std::uint64_t divisor, std::uint64_t now_nanos);

  // Forgets the debt: level 0 is back under the trigger.
  void Reset() { paid_until_nanos_ = 0; }

 private:
  std::uint64_t bytes_per_second_;
  std::uint64_t paid_until_nanos_ = 0;
};

}  // namespace larder::lsm

#endif  // LARDER_LSM_WRITE_PACER_H_
