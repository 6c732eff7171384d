// QueueService: larderd's durable queues (docs/queue.md): the queue manager (src/queue) wired to
// the server: opened at start-up from the `queue-config` layout (or the default one under
// <dir>/queues), blocked QLEASEs woken through the blocking service (WaitKey{kQueueNamespace,
// queue}), the cron's lease ends, scheduled items and dead letters, and durability per
// appendfsync: always: each batch's partition writes are synced after the batch, before its
// replies (Server::SetSideSyncSource); everysec: the cron syncs every written partition once a
// second without the execution lock; no: never (the OS decides).
//
// Lock rule: every method REQUIRES the server's execution lock, except SyncEverySecond (which
// takes it briefly itself). The manager's partitions are synced without it (Partition's
// SyncThrough is thread-safe and they are held by shared_ptr while synced).
#ifndef LARDER_SERVER_QUEUE_SERVICE_H_
#define LARDER_SERVER_QUEUE_SERVICE_H_

#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include "larder/status.h"
#include "queue/queue_manager.h"
#include "server/server.h"

namespace larder::server {

inline constexpr int kQueueNamespace = -2;  // blocking.h WaitKey namespace of queue names

class QueueService : public ServerService {
 public:
  explicit QueueService(Server& server);
  ~QueueService() override;

  // Opens the queues (once): the layout of `queue-config`, else everything under
  // <dir>/queues with the lsm driver. Errors name the file, line and field (a bad layout) or the
  // store that failed.
  Status Open();
  // The open manager, or the error Open met (commands reply it).
  Result<queue::QueueManager*> Manager();
  Status Close();

  // A queue gained ready items: its blocked QLEASEs are re-run.
  void SignalReady(const std::string& queue);

  // The cron: whether leases end, scheduled items are due or dead letters wait (checked
  // without a batch), and doing it (inside RunInBatch).
  bool TickDue(std::int64_t now_ms) const;
  void Tick(std::int64_t now_ms);
  // appendfsync everysec: syncs the partitions written since the last call, at most once a
  // second. REQUIRES: the execution lock NOT held.
  void SyncEverySecond(std::int64_t now_ms);

 private:
  Server& server_;
  std::unique_ptr<queue::QueueManager> manager_;
  Status open_status_;
  bool opened_ = false;
  std::int64_t last_sync_ms_ = 0;  // SyncEverySecond's (only the cron thread calls it)
};

}  // namespace larder::server

#endif  // LARDER_SERVER_QUEUE_SERVICE_H_
