#include "larder/clock.h"

#include <iterator>
#include <thread>

namespace larder {
namespace {

class SystemClockImpl final : public Clock {
 public:
  std::uint64_t NowNanos() override {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
  }
  std::uint64_t NowUnixMicros() override {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
  }
  void SleepFor(std::chrono::nanoseconds d) override {
    if (d.count() > 0) std::this_thread::sleep_for(d);
  }
};

}  // namespace

Clock* SystemClock() {
  static SystemClockImpl* clock = new SystemClockImpl();  // never destroyed: used until exit
  return clock;
}

std::uint64_t ManualClock::NowNanos() {
  std::lock_guard lock(mu_);
  return nanos_;
}

std::uint64_t ManualClock::NowUnixMicros() {
  std::lock_guard lock(mu_);
  return unix_micros_;
}

void ManualClock::Advance(std::chrono::nanoseconds d) {
  if (d.count() <= 0) return;
  {
    std::lock_guard lock(mu_);
    const auto n = static_cast<std::uint64_t>(d.count());
    nanos_ += n;
    nanos_frac_ += n;
    unix_micros_ += nanos_frac_ / 1000;
    nanos_frac_ %= 1000;
  }
  cv_.notify_all();
}

void ManualClock::SetUnixMicros(std::uint64_t unix_micros) {
  std::lock_guard lock(mu_);
  unix_micros_ = unix_micros;
  nanos_frac_ = 0;
}

void ManualClock::SleepFor(std::chrono::nanoseconds d) {
  if (d.count() <= 0) return;
  if (mode_ == SleepMode::kAdvance) {
    Advance(d);
    return;
  }
  std::unique_lock lock(mu_);
  const std::uint64_t until = nanos_ + static_cast<std::uint64_t>(d.count());
  auto it = wake_at_.insert(until);
  cv_.notify_all();
  cv_.wait(lock, [&] { return nanos_ >= until; });
  wake_at_.erase(it);
}

int ManualClock::PendingSleepersLocked() const {
  return static_cast<int>(std::distance(wake_at_.upper_bound(nanos_), wake_at_.end()));
}

int ManualClock::sleepers() {
  std::lock_guard lock(mu_);
  return PendingSleepersLocked();
}

void ManualClock::WaitForSleepers(int n) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return PendingSleepersLocked() >= n; });
}

}  // namespace larder
