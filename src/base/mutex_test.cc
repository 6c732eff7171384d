// Mutex, MutexLock and CondVar: mutual exclusion, waking a waiter, a deadline in the past.
#include "base/mutex.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

namespace larder {
namespace {

// Four threads add to a counter under MutexLock; unsynchronized read-modify-writes would lose
// updates (and TSan would report the race).
TEST(MutexTest, MutexLockExcludesOtherThreads) {
  Mutex mu;
  std::uint64_t count = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        MutexLock lock(&mu);
        const std::uint64_t seen = count;
        std::this_thread::yield();  // invites another thread in between, were it allowed
        count = seen + 1;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(count, 40000u);
}

TEST(MutexTest, WaitReturnsAfterSignalWithTheMutexHeld) {
  Mutex mu;
  CondVar cv;
  bool ready = false;
  std::thread signaller([&] {
    MutexLock lock(&mu);
    ready = true;
    cv.SignalAll();
  });
  {
    MutexLock lock(&mu);
    while (!ready) cv.Wait(mu);
    EXPECT_TRUE(ready);
  }
  signaller.join();
  // The mutex was released by the scope above: taking it again must not block.
  mu.Lock();
  mu.Unlock();
}

TEST(MutexTest, WaitUntilAPassedDeadlineReportsTimeout) {
  Mutex mu;
  CondVar cv;
  MutexLock lock(&mu);
  EXPECT_FALSE(cv.WaitUntil(mu, std::chrono::steady_clock::now() - std::chrono::seconds(1)));
}

}  // namespace
}  // namespace larder
