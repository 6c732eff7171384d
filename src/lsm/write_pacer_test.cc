#include "lsm/write_pacer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>

namespace larder::lsm {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;
constexpr std::uint64_t kSecond = 1'000'000'000;

TEST(WritePacerTest, SparseSmallWritesNeverWait) {
  WritePacer pacer(kMiB);  // 1 MiB/s: 200 bytes cost about 191 µs
  std::uint64_t now = 0;
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(pacer.DelayAt(now), nanoseconds(0)) << i;
    pacer.Charge(200, 1, now);
    now += 1'000'000;  // one a millisecond: each is paid before the next
  }
}

TEST(WritePacerTest, ABurstWaitsForItsBytesBeyondTheAllowance) {
  WritePacer pacer(kMiB);
  pacer.Charge(kMiB, 1, 0);  // one second of bytes at t = 0
  EXPECT_EQ(pacer.DelayAt(0), nanoseconds(kSecond) - WritePacer::kBurst);
  // Time pays the debt: half a second later, half is left.
  EXPECT_EQ(pacer.DelayAt(kSecond / 2), nanoseconds(kSecond / 2) - WritePacer::kBurst);
  EXPECT_EQ(pacer.DelayAt(kSecond), nanoseconds(0));
}

TEST(WritePacerTest, ChargesAddUpAtTheRate) {
  WritePacer pacer(kMiB);
  // 64 writes of 16 KiB at the same moment: one second of bytes in all.
  for (int i = 0; i < 64; ++i) pacer.Charge(16 << 10, 1, 0);
  EXPECT_EQ(pacer.DelayAt(0), nanoseconds(kSecond) - WritePacer::kBurst);
}

TEST(WritePacerTest, ADivisorSlowsTheRate) {
  WritePacer pacer(kMiB);
  pacer.Charge(kMiB, 3, 0);  // a third of the rate: three seconds
  EXPECT_EQ(pacer.DelayAt(0), nanoseconds(3 * kSecond) - WritePacer::kBurst);
}

TEST(WritePacerTest, IdleTimeIsNotSavedUpAsCredit) {
  WritePacer pacer(kMiB);
  // Ten idle seconds, then a burst: it pays from now, as if the pacer were new.
  const std::uint64_t later = 10 * kSecond;
  pacer.Charge(kMiB, 1, later);
  EXPECT_EQ(pacer.DelayAt(later), nanoseconds(kSecond) - WritePacer::kBurst);
}

TEST(WritePacerTest, ResetForgetsTheDebt) {
  WritePacer pacer(kMiB);
  pacer.Charge(10 * kMiB, 1, 0);
  ASSERT_GT(pacer.DelayAt(0), milliseconds(9000));
  pacer.Reset();
  EXPECT_EQ(pacer.DelayAt(0), nanoseconds(0));
}

}  // namespace
}  // namespace larder::lsm
