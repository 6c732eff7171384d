#include "stores/job_watch.h"

#include <algorithm>
#include <deque>

#include "base/mutex.h"
#include "base/thread_annotations.h"

namespace larder::stores {

class WatchQueue {
 public:
  explicit WatchQueue(std::size_t limit) : limit_(std::max<std::size_t>(limit, 1)) {}

  void Push(const JobEvent& event) {
    {
      MutexLock lock(&mu_);
      if (overflowed_ || closed_) return;
      if (events_.size() >= limit_) {
        overflowed_ = true;
        events_.clear();
      } else {
        events_.push_back(event);
      }
    }
    cv_.Signal();
  }

  void Close() {
    {
      MutexLock lock(&mu_);
      closed_ = true;
    }
    cv_.SignalAll();
  }

  std::optional<JobEvent> Pop(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    MutexLock lock(&mu_);
    while (events_.empty() && !overflowed_ && !closed_ && cv_.WaitUntil(mu_, deadline)) {
    }
    if (events_.empty()) return std::nullopt;
    JobEvent e = std::move(events_.front());
    events_.pop_front();
    return e;
  }

  bool overflowed() const {
    MutexLock lock(&mu_);
    return overflowed_;
  }

 private:
  const std::size_t limit_;
  mutable Mutex mu_;
  CondVar cv_;  // an event queued, or the queue overflowed or closed
  std::deque<JobEvent> events_ GUARDED_BY(mu_);
  bool overflowed_ GUARDED_BY(mu_) = false;
  bool closed_ GUARDED_BY(mu_) = false;
};

namespace {

class Watcher final : public JobWatcher {
 public:
  Watcher(std::shared_ptr<WatchQueue> queue, std::weak_ptr<WatchHub> hub)
      : queue_(std::move(queue)), hub_(std::move(hub)) {}
  ~Watcher() override {
    if (auto hub = hub_.lock()) hub->Remove(queue_.get());
  }
  std::optional<JobEvent> Next(std::chrono::milliseconds timeout) override {
    return queue_->Pop(timeout);
  }
  bool overflowed() const override { return queue_->overflowed(); }

 private:
  std::shared_ptr<WatchQueue> queue_;
  std::weak_ptr<WatchHub> hub_;
};

}  // namespace

std::unique_ptr<JobWatcher> WatchHub::NewWatcher(std::size_t queue_limit) {
  auto queue = std::make_shared<WatchQueue>(queue_limit);
  {
    MutexLock lock(&mu_);
    if (closed_) {
      queue->Close();
    } else {
      queues_.push_back(queue);
    }
  }
  return std::make_unique<Watcher>(std::move(queue), weak_from_this());
}

void WatchHub::Publish(JobEvent event) {
  MutexLock lock(&mu_);
  if (closed_) return;
  event.seq = ++seq_;
  for (const auto& q : queues_) q->Push(event);
}

void WatchHub::Close() {
  MutexLock lock(&mu_);
  closed_ = true;
  for (const auto& q : queues_) q->Close();
  queues_.clear();
}

void WatchHub::Remove(const WatchQueue* queue) {
  MutexLock lock(&mu_);
  std::erase_if(queues_, [queue](const auto& q) { return q.get() == queue; });
}

}  // namespace larder::stores
