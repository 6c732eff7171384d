#include "base/parallel_runner.h"

#include <algorithm>
#include <atomic>

namespace larder {

// One RunAll call. Invariant: a task index is claimed (next.fetch_add) by exactly one thread,
// which runs it and then counts it in `finished`; RunAll returns only once `finished` equals
// the task count, so `tasks` (borrowed from the caller) is touched only while RunAll waits.
// A worker that pops the batch later finds no index left and touches nothing but `next`,
// which the shared_ptr keeps alive.
struct ParallelRunner::Batch {
  std::span<Task> tasks;
  std::vector<Status> results;
  std::atomic<std::size_t> next{0};
  Mutex mu;
  CondVar all_finished;
  std::size_t finished GUARDED_BY(mu) = 0;
};

ParallelRunner::ParallelRunner(int max_workers) : max_workers_(std::max(0, max_workers)) {}

ParallelRunner::~ParallelRunner() {
  std::vector<std::thread> workers;
  {
    MutexLock l(&mu_);
    stop_ = true;
    workers.swap(workers_);
  }
  work_.SignalAll();
  for (std::thread& t : workers) t.join();
}

int ParallelRunner::workers_started() const {
  MutexLock l(&mu_);
  return static_cast<int>(workers_.size());
}

void ParallelRunner::Drain(Batch& batch) {
  while (true) {
    const std::size_t i = batch.next.fetch_add(1, std::memory_order_acq_rel);
    if (i >= batch.tasks.size()) return;
    Status s = batch.tasks[i]();
    MutexLock l(&batch.mu);
    batch.results[i] = std::move(s);
    if (++batch.finished == batch.tasks.size()) batch.all_finished.SignalAll();
  }
}

Status ParallelRunner::RunAll(std::span<Task> tasks) {
  if (tasks.size() <= 1 || max_workers_ == 0) {
    // Every task runs even after a failure: they are independent, and the caller counts on it.
    Status first;
    for (Task& t : tasks) {
      Status s = t();
      if (first.ok()) first = std::move(s);
    }
    return first;
  }
  auto batch = std::make_shared<Batch>();
  batch->tasks = tasks;
  batch->results.resize(tasks.size());
  const std::size_t helpers = std::min<std::size_t>(tasks.size() - 1, max_workers_);
  {
    MutexLock l(&mu_);
    for (std::size_t i = 0; i < helpers; ++i) queue_.push_back(batch);
    // One worker per queued entry, up to the maximum (an idle worker takes the next entry).
    while (workers_.size() < std::min<std::size_t>(queue_.size(), max_workers_)) {
      workers_.emplace_back([this] { WorkerLoop(); });
    }
  }
  if (helpers == 1) {
    work_.Signal();
  } else {
    work_.SignalAll();
  }
  Drain(*batch);
  {
    MutexLock l(&batch->mu);
    while (batch->finished < tasks.size()) batch->all_finished.Wait(batch->mu);
  }
  for (Status& s : batch->results) {
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

void ParallelRunner::WorkerLoop() {
  while (true) {
    std::shared_ptr<Batch> batch;
    {
      MutexLock l(&mu_);
      while (!stop_ && queue_.empty()) work_.Wait(mu_);
      if (queue_.empty()) return;  // stop_, and nothing left to run
      batch = std::move(queue_.front());
      queue_.pop_front();
    }
    Drain(*batch);
  }
}

}  // namespace larder
