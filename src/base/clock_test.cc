#include "larder/clock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace larder {
namespace {

using namespace std::chrono_literals;

TEST(ClockTest, SystemClockMonotonicAndWallTimePlausible) {
  Clock* c = SystemClock();
  EXPECT_EQ(c, SystemClock());
  const std::uint64_t a = c->NowNanos();
  c->SleepFor(1ms);
  const std::uint64_t b = c->NowNanos();
  EXPECT_GE(b - a, 1'000'000u) << "SleepFor returned early";
  // 2020-01-01 .. 2100-01-01: a clock reading seconds or nanoseconds would fail.
  EXPECT_GT(c->NowUnixMicros(), 1'577'836'800'000'000u);
  EXPECT_LT(c->NowUnixMicros(), 4'102'444'800'000'000u);
  const std::uint64_t ms = c->NowUnixMillis();
  EXPECT_GT(ms, 1'577'836'800'000u);
  EXPECT_LT(ms, 4'102'444'800'000u);
}

TEST(ManualClockTest, AdvanceMovesBothTimes) {
  ManualClock c(ManualClock::SleepMode::kAdvance, 100, 5'000'000);
  EXPECT_EQ(c.NowNanos(), 100u);
  EXPECT_EQ(c.NowUnixMicros(), 5'000'000u);
  EXPECT_EQ(c.NowUnixMillis(), 5'000u);
  c.Advance(2500ns);
  EXPECT_EQ(c.NowNanos(), 2600u);
  EXPECT_EQ(c.NowUnixMicros(), 5'000'002u);
  c.Advance(500ns);  // the carried 500 ns make a whole microsecond
  EXPECT_EQ(c.NowUnixMicros(), 5'000'003u);
  c.Advance(-5s);  // never backwards
  EXPECT_EQ(c.NowNanos(), 3100u);
  c.Advance(3ms);
  EXPECT_EQ(c.NowUnixMillis(), 5'003u);
}

TEST(ManualClockTest, WallTimeStepsWithoutMovingMonotonicTime) {
  ManualClock c;
  c.Advance(1s);
  c.SetUnixMicros(42);
  EXPECT_EQ(c.NowUnixMicros(), 42u);
  EXPECT_EQ(c.NowNanos(), 1'000'000'000u);
  c.SetUnixMicros(7);  // backwards, as an NTP step may
  EXPECT_EQ(c.NowUnixMicros(), 7u);
  EXPECT_EQ(c.NowNanos(), 1'000'000'000u);
}

TEST(ManualClockTest, SleepAdvancesInAdvanceMode) {
  ManualClock c;
  c.SleepFor(10ms);
  EXPECT_EQ(c.NowNanos(), 10'000'000u);
  EXPECT_EQ(c.NowUnixMicros(), 10'000u);
  c.SleepFor(0ns);
  c.SleepFor(-1ms);
  EXPECT_EQ(c.NowNanos(), 10'000'000u);
  EXPECT_EQ(c.sleepers(), 0);
}

TEST(ManualClockTest, SleepWaitsForAdvanceInWaitMode) {
  ManualClock c(ManualClock::SleepMode::kWait);
  std::atomic<bool> woke{false};
  std::thread sleeper([&] {
    c.SleepFor(10ms);
    woke = true;
  });
  c.WaitForSleepers(1);
  c.Advance(9ms);  // not yet
  EXPECT_EQ(c.sleepers(), 1);
  EXPECT_FALSE(woke.load());
  c.Advance(1ms);
  sleeper.join();
  EXPECT_TRUE(woke.load());
  EXPECT_EQ(c.sleepers(), 0);
  EXPECT_EQ(c.NowNanos(), 10'000'000u) << "the sleeper must not advance the clock itself";
}

TEST(ManualClockTest, StepsABackgroundLoopExactly) {
  // A loop that ticks every 5 ms: after advancing 12 ms it has ticked exactly twice.
  ManualClock c(ManualClock::SleepMode::kWait);
  std::atomic<int> ticks{0};
  std::atomic<bool> stop{false};
  std::thread loop([&] {
    while (!stop) {
      c.SleepFor(5ms);
      if (!stop) ++ticks;
    }
  });
  for (int step = 0; step < 12; ++step) {
    c.WaitForSleepers(1);
    c.Advance(1ms);
  }
  c.WaitForSleepers(1);
  EXPECT_EQ(ticks.load(), 2);
  stop = true;
  c.Advance(5ms);
  loop.join();
}

}  // namespace
}  // namespace larder
