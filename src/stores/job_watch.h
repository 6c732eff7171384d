// The job store's watchers: a hub that queues each committed change to every watcher.
//
// Thread-safety: all methods are safe for concurrent use. Publish only appends to queues under
// short internal locks and never calls user code, so it may run with the store's write lock
// held; that is how events keep commit order.
#ifndef LARDER_SRC_STORES_JOB_WATCH_H_
#define LARDER_SRC_STORES_JOB_WATCH_H_

#include <memory>
#include <vector>

#include "base/mutex.h"
#include "base/thread_annotations.h"
#include "larder/stores/job_store.h"

namespace larder::stores {

class WatchQueue;

class WatchHub : public std::enable_shared_from_this<WatchHub> {
 public:
  std::unique_ptr<JobWatcher> NewWatcher(std::size_t queue_limit);
  // Gives `event` the next sequence number and queues it to every watcher.
  // REQUIRES: the caller serializes Publish calls in commit order.
  void Publish(JobEvent event);
  // Wakes every watcher; later Publish calls are ignored.
  void Close();
  void Remove(const WatchQueue* queue);

 private:
  Mutex mu_;
  std::vector<std::shared_ptr<WatchQueue>> queues_ GUARDED_BY(mu_);
  std::uint64_t seq_ GUARDED_BY(mu_) = 0;
  bool closed_ GUARDED_BY(mu_) = false;
};

}  // namespace larder::stores

#endif  // LARDER_SRC_STORES_JOB_WATCH_H_
