// ParallelRunner: runs a batch of independent tasks at once and waits for all of them. Made
// for fsyncs of different files (larderd's queue partitions under appendfsync always): run one
// after another, each costs a device flush; run together, the device and the file system's
// journal serve them with one or a few.
//
//   ParallelRunner runner(7);            // up to 7 worker threads, started on first need
//   std::vector<ParallelRunner::Task> syncs = ...;
//   Status s = runner.RunAll(syncs);     // every task has run when this returns
//
// Thread-safety: RunAll may be called from several threads at once; their tasks share the
// workers (first come, first served). The caller of RunAll runs its own tasks too, so a call
// never waits for a worker that is busy elsewhere when it could make progress itself.
// Lifetime: the tasks are borrowed for the call; the destructor joins the workers and requires
// that no RunAll is running.
#ifndef LARDER_BASE_PARALLEL_RUNNER_H_
#define LARDER_BASE_PARALLEL_RUNNER_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <thread>
#include <vector>

#include "base/mutex.h"
#include "larder/status.h"

namespace larder {

class ParallelRunner {
 public:
  using Task = std::function<Status()>;

  // `max_workers` threads at most (0: every task runs on the calling thread).
  explicit ParallelRunner(int max_workers);
  ~ParallelRunner();
  ParallelRunner(const ParallelRunner&) = delete;
  ParallelRunner& operator=(const ParallelRunner&) = delete;

  // Runs every task of `tasks` exactly once, on the calling thread or a worker, and returns
  // when all have finished: OK, or the first failure in the order of `tasks` (a failure does
  // not stop the others: they are independent). A single task runs on the calling thread
  // without touching the workers.
  [[nodiscard]] Status RunAll(std::span<Task> tasks);

  // The worker threads started so far (for tests).
  int workers_started() const;

 private:
  struct Batch;

  // Claims and runs `batch`'s unclaimed tasks until none is left.
  static void Drain(Batch& batch);
  void WorkerLoop();

  const int max_workers_;
  mutable Mutex mu_;
  CondVar work_;  // queue_ grew or stop_ was set
  // One entry per task handed to the workers; an entry whose batch has no unclaimed task left
  // is dropped when popped.
  std::deque<std::shared_ptr<Batch>> queue_ GUARDED_BY(mu_);
  std::vector<std::thread> workers_ GUARDED_BY(mu_);
  bool stop_ GUARDED_BY(mu_) = false;
};

}  // namespace larder

#endif  // LARDER_BASE_PARALLEL_RUNNER_H_
