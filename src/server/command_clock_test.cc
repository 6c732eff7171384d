#include "server/command_clock.h"

#include <gtest/gtest.h>

namespace larder::server {
namespace {

// A clock that moves 10 µs at every read and counts the reads.
std::int64_t fake_now = 0;
int reads = 0;
std::int64_t FakeNowUs() {
  ++reads;
  fake_now += 10;
  return fake_now;
}

class CommandClockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_now = 1000;
    reads = 0;
  }
  CommandClock clock_{&FakeNowUs};
};

TEST_F(CommandClockTest, OutsideLapsEachCommandReadsTheClockTwice) {
  const std::int64_t start = clock_.Start();
  const std::int64_t stop = clock_.Stop();
  EXPECT_EQ(stop - start, 10);
  EXPECT_EQ(reads, 2);
  EXPECT_EQ(clock_.Start(), 1030);  // a fresh read, not the last stop
  EXPECT_EQ(reads, 3);
}

TEST_F(CommandClockTest, InLapsEachCommandStartsWhereTheLastStopped) {
  clock_.BeginLaps();  // 1010
  std::int64_t start = clock_.Start();
  EXPECT_EQ(start, 1010);
  for (int i = 0; i < 3; ++i) {
    const std::int64_t stop = clock_.Stop();
    EXPECT_EQ(stop - start, 10);
    EXPECT_EQ(clock_.Start(), stop);
    start = stop;
  }
  EXPECT_EQ(reads, 4);  // BeginLaps and one per command
  clock_.EndLaps();
  // After the batch the last stop is not reused: a later command reads the clock.
  EXPECT_EQ(clock_.Start(), 1050);
  EXPECT_EQ(reads, 5);
}

}  // namespace
}  // namespace larder::server
