// QueueService: larderd's durable queues (docs/queue.md): the queue manager (src/queue) wired to
// the server: opened at start-up from the `queue-config` layout (or the default one under
// <dir>/queues), blocked QLEASEs woken through the blocking service (WaitKey{kQueueNamespace,
// queue}), the cron's lease ends, scheduled items and dead letters, and durability per
// appendfsync: always: each batch's partition writes are synced after the batch, before its
// replies (Server::SetSideSyncSource); everysec and no: each batch's partition writes are
// handed to the OS at the end of the batch, under the lock, before its replies (one write per
// partition written), and with everysec the cron syncs every written partition once a second
// without the execution lock; with no the OS decides.
//
// QBACKUP copies without the execution lock: the command takes the partitions' snapshots under
// it (QueueManager::StartBackup) and hands the copy to a thread of its own (StartBackupCopy);
// its client waits blocked on WaitKey{kQueueBackupNamespace, client id}; the cron sees the copy
// done and wakes it, and the re-run command replies (TakeBackupResult). Meanwhile every other
// command runs; QDELETE and QREBALANCE of that queue are refused until the copy ends.
//
// Lock rule: every method REQUIRES the server's execution lock, except SyncEverySecond (which
// takes it briefly itself). The manager's partitions are synced without it (Partition's
// SyncThrough is thread-safe and they are held by shared_ptr while synced). A backup copy's
// thread touches only its BackupCopy's backup, result and done (published by done's release
// store); backups_ and the other fields are guarded by the execution lock, and a BackupCopy is
// erased only after its thread is joined (which never waits for the lock: Close joins with it
// held).
#ifndef LARDER_SERVER_QUEUE_SERVICE_H_
#define LARDER_SERVER_QUEUE_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "larder/status.h"
#include "queue/queue_manager.h"
#include "server/server.h"

namespace larder::server {

inline constexpr int kQueueNamespace = -2;        // blocking.h WaitKey namespace of queue names
inline constexpr int kQueueBackupNamespace = -3;  // ... of QBACKUP copies (by client id)

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

  // QBACKUP (see above). Starts copying `backup` on a thread for client `client_id`.
  void StartBackupCopy(std::uint64_t client_id, std::unique_ptr<queue::QueueBackup> backup);
  // The client's copy: nullopt when it has none, else whether it is done.
  std::optional<bool> BackupDone(std::uint64_t client_id) const;
  // The done copy's outcome (REQUIRES: BackupDone() is true): the items copied, or the error;
  // the copy is finished (snapshots released) and forgotten.
  Result<std::uint64_t> TakeBackupResult(std::uint64_t client_id);
  // The client stopped waiting (closed, CLIENT UNBLOCK): its copy ends unobserved.
  void AbandonBackup(std::uint64_t client_id);

 private:
  struct BackupCopy {
    std::unique_ptr<queue::QueueBackup> backup;  // Write() on `thread` until `done`
    std::thread thread;
    Status result;                  // set by the thread before `done`
    std::atomic<bool> done{false};  // release by the thread, acquire by readers
    bool abandoned = false;         // the client went away
    bool signaled = false;          // its waiter was woken
  };
  // Joins the copy's thread and ends the backup (the lock held); returns its result.
  Status FinishCopy(BackupCopy& copy);

  Server& server_;
  std::unique_ptr<queue::QueueManager> manager_;
  Status open_status_;
  bool opened_ = false;
  std::int64_t last_sync_ms_ = 0;  // SyncEverySecond's (only the cron thread calls it)
  std::map<std::uint64_t, std::unique_ptr<BackupCopy>> backups_;  // by client id
};

}  // namespace larder::server

#endif  // LARDER_SERVER_QUEUE_SERVICE_H_
