// ParallelRunner (threaded: the suite name puts it in `make tsan`): every task runs once, tasks
// of one call run at the same time, failures are reported in order without stopping the
// others, several callers share the workers.
#include "base/parallel_runner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace larder {
namespace {

// A rendezvous of `n` tasks: each arrives and waits for the others, for at most 30 seconds, and
// fails if they did not all arrive (the tasks were not run at the same time).
class Rendezvous {
 public:
  explicit Rendezvous(int n) : n_(n) {}
  Status Arrive() {
    MutexLock l(&mu_);
    if (++arrived_ == n_) all_.SignalAll();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (arrived_ < n_) {
      if (!all_.WaitUntil(mu_, deadline) && arrived_ < n_) {
        return Status::Busy("the tasks did not run at the same time");
      }
    }
    return Status::Ok();
  }

 private:
  const int n_;
  Mutex mu_;
  CondVar all_;
  int arrived_ GUARDED_BY(mu_) = 0;
};

TEST(ParallelRunnerConcurrentTest, RunsTheTasksOfOneCallAtTheSameTime) {
  ParallelRunner runner(3);
  EXPECT_EQ(runner.workers_started(), 0);  // started on first need
  Rendezvous meet(4);                      // the caller and three workers
  std::vector<ParallelRunner::Task> tasks(4, [&] { return meet.Arrive(); });
  EXPECT_TRUE(runner.RunAll(tasks).ok());
  EXPECT_EQ(runner.workers_started(), 3);
}

TEST(ParallelRunnerConcurrentTest, RunsEveryTaskExactlyOnceWithMoreTasksThanWorkers) {
  ParallelRunner runner(2);
  for (int round = 0; round < 50; ++round) {
    std::vector<std::atomic<int>> runs(37);
    std::vector<ParallelRunner::Task> tasks;
    for (auto& r : runs) {
      tasks.push_back([&r] {
        r.fetch_add(1);
        return Status::Ok();
      });
    }
    ASSERT_TRUE(runner.RunAll(tasks).ok());
    for (auto& r : runs) ASSERT_EQ(r.load(), 1);
  }
  EXPECT_LE(runner.workers_started(), 2);
}

TEST(ParallelRunnerConcurrentTest, ReturnsTheFirstFailureInOrderAndStillRunsTheRest) {
  for (int workers : {0, 4}) {
    ParallelRunner runner(workers);
    std::atomic<int> ran{0};
    std::vector<ParallelRunner::Task> tasks;
    for (int i = 0; i < 6; ++i) {
      tasks.push_back([&ran, i]() -> Status {
        ran.fetch_add(1);
        if (i == 2) return Status::IOError("task 2");
        if (i == 4) return Status::IOError("task 4");
        return Status::Ok();
      });
    }
    const Status s = runner.RunAll(tasks);
    EXPECT_TRUE(s.IsIOError()) << workers;
    EXPECT_NE(s.ToString().find("task 2"), std::string::npos) << s.ToString();
    EXPECT_EQ(ran.load(), 6) << workers;
  }
}

TEST(ParallelRunnerConcurrentTest, WithoutWorkersOrWithOneTaskTheCallerRunsIt) {
  ParallelRunner none(0);
  ParallelRunner some(4);
  const std::thread::id caller = std::this_thread::get_id();
  std::vector<std::thread::id> seen;
  std::vector<ParallelRunner::Task> three(3, [&] {
    seen.push_back(std::this_thread::get_id());
    return Status::Ok();
  });
  ASSERT_TRUE(none.RunAll(three).ok());
  std::vector<ParallelRunner::Task> one(1, three[0]);
  ASSERT_TRUE(some.RunAll(one).ok());
  ASSERT_EQ(seen.size(), 4u);
  for (auto id : seen) EXPECT_EQ(id, caller);
  EXPECT_EQ(some.workers_started(), 0);
  std::vector<ParallelRunner::Task> empty;
  EXPECT_TRUE(some.RunAll(empty).ok());
}

TEST(ParallelRunnerConcurrentTest, SeveralCallersShareTheWorkers) {
  ParallelRunner runner(3);
  std::atomic<int> total{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 4; ++c) {
    callers.emplace_back([&] {
      for (int round = 0; round < 200; ++round) {
        std::vector<ParallelRunner::Task> tasks(5, [&] {
          total.fetch_add(1);
          return Status::Ok();
        });
        EXPECT_TRUE(runner.RunAll(tasks).ok());
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(total.load(), 4 * 200 * 5);
}

}  // namespace
}  // namespace larder
