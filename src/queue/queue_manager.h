// QueueManager: larderd's durable queues (docs/queue.md). Queue records live in the metadata
// store (<queue-storage dir>/~queue-storage-partition/); partition N of queue Q in its own store,
// <location dir>/Q-00000N-partition/, at the location placement.h chose. The manager routes
// produces to the least loaded partition and leases to the fullest (each preferring, within
// kStickySlack, the partition an earlier command of its kind in the batch used), checks and
// applies
// completes and retries, runs the partitions' cron work and moves dead letters.
//
// Dead letters cross stores, so they move in three steps, each durable before the next:
// (1) the source partition puts the item in its outbox (with the state change that killed it);
// (2) the dead-letter queue's partition takes it in with a marker naming the source item, and
// syncs; (3) the source drops it from its outbox and syncs; then the marker is forgotten. A
// crash between steps repeats the step, and the marker keeps step (2) from adding it twice.
//
// Errors: user errors come back as InvalidArgument, NotFound (no such queue) or AlreadyExists
// (IsUserError); every other code is the engine's and means the write did not happen.
//
// Lock rule: not thread-safe; every method REQUIRES the owner's lock (larderd's execution
// lock). Partitions handed out (shared_ptr) may be synced without it (Partition::SyncThrough).
#ifndef LARDER_QUEUE_QUEUE_MANAGER_H_
#define LARDER_QUEUE_QUEUE_MANAGER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "larder/file_system.h"
#include "larder/kv.h"
#include "larder/result.h"
#include "larder/status.h"
#include "queue/partition.h"
#include "queue/queue_backup.h"
#include "queue/storage_layout.h"
#include "queue/store_opener.h"

namespace larder::queue {

inline constexpr std::size_t kMaxBatch = 1000;  // items per produce, lease, complete, retry
inline constexpr std::size_t kMaxQueueName = 512;
// Routing prefers a partition that an earlier command of the same kind in the current batch
// (since the last TakeWritten) used, while it is within this many items of the best choice: a
// produce the one produced to, while within this of the least loaded; a lease the one leased
// from, while within this of the one with the most ready items. Under appendfsync always a
// batch then syncs one partition for its produces instead of one per command, as a sticky
// partitioner batches a producer's records, and its leases (and the completes that follow
// them) likewise. Produce routing keeps the partitions' loads within this many items of each
// other plus one produce's items (up to kMaxBatch); the first lease of every batch goes to the
// fullest partition, so no partition's items wait behind items produced meanwhile.
inline constexpr std::uint64_t kStickySlack = 64;

// QCREATE/QUPDATE options; absent fields keep the default (create) or current value (update).
struct QueueOptions {
  std::optional<std::uint32_t> partitions{};
  std::optional<std::int64_t> lease_timeout_ms{};
  std::optional<std::int64_t> expire_timeout_ms{};
  std::optional<std::uint32_t> max_attempts{};
  std::optional<std::string> dead_queue{};  // "" clears it (update)
};

struct PartitionPlacement {
  std::string location;  // the partition-storage name
  std::string dir;
};

struct QueueInfo {
  std::string name;
  QueueSettings settings;
  std::string dead_queue;  // empty: dead items are logged and dropped
  std::int64_t created_ms = 0;
  std::vector<PartitionPlacement> partitions;
};

struct QueueStats {
  PartitionStats total;
  std::vector<PartitionStats> partitions;
};

bool IsUserError(const Status& s);

class QueueManager {
 public:
  // Opens the metadata store and every queue's partitions. `fs` removes deleted queues'
  // directories (not owned; outlives the manager).
  static Result<std::unique_ptr<QueueManager>> Open(StorageLayout layout, StoreOpener opener,
                                                    FileSystem* fs);
  ~QueueManager();
  // Closes every store (the first error is returned; all are closed).
  Status Close();

  Status Create(std::string_view name, const QueueOptions& options, std::int64_t now_ms);
  Status Update(std::string_view name, const QueueOptions& options);
  Status Delete(std::string_view name);
  std::vector<std::string> List() const;
  Result<QueueInfo> Info(std::string_view name) const;
  // Queue `name`'s partitions, by number (offline tools read their stores and meta).
  Result<std::vector<std::shared_ptr<Partition>>> Partitions(std::string_view name) const;
  Status Clear(std::string_view name);

  Status Produce(std::string_view name, std::span<const std::string_view> payloads,
                 const ProduceOptions& options, std::int64_t now_ms, std::vector<std::string>* ids);
  Status Lease(std::string_view name, std::string_view client, std::uint32_t n, std::int64_t now_ms,
               std::vector<LeasedItem>* out);
  // Every id must be leased (else *not_leased lists those that are not and nothing is done).
  Status Complete(std::string_view name, std::span<const std::string_view> ids,
                  std::vector<std::string>* not_leased);
  Status Retry(std::string_view name, std::span<const std::string_view> ids, std::int64_t delay_ms,
               bool dead, std::int64_t now_ms, std::vector<std::string>* not_leased);
  Result<QueueStats> Stats(std::string_view name, std::int64_t now_ms);

  // Online backup: a copy of queue `name` as of one moment (the owner's lock keeps every
  // partition still while it is copied) in directory `dir`, which must not exist or be empty:
  // `dir/QUEUE` (the queue record, checksummed) and one LSM store per partition,
  // `dir/partition-NNNNNN`, holding the partition's records (ready, leased, scheduled, outbox,
  // payloads), every file synced. *items receives the items copied.
  // (StartBackup, QueueBackup::Write and FinishBackup in one call, the lock held throughout.)
  Status Backup(std::string_view name, const std::string& dir, std::uint64_t* items);
  // The same backup in three steps, so that the copy runs without the owner's lock:
  // StartBackup (the lock held; quick: checks `dir` and creates it, takes a snapshot of every
  // partition's store and the queue record), then QueueBackup::Write (WITHOUT the lock: copies
  // the snapshots, writes QUEUE last), then FinishBackup (the lock again: releases the
  // snapshots). The backup is the queue as of StartBackup, whatever is written meanwhile.
  // Until FinishBackup the queue cannot be deleted nor rebalanced (InvalidArgument: its
  // partitions' stores must outlive the snapshots), and Close REQUIRES that none is pending.
  Result<std::unique_ptr<QueueBackup>> StartBackup(std::string_view name, const std::string& dir);
  void FinishBackup(std::unique_ptr<QueueBackup> backup);
  // Creates queue `name` from the backup in `dir` (InvalidArgument when it exists, when the
  // backup is not whole, or when its dead-letter queue does not exist here): the same settings
  // and partition count, placed by the current layout, each partition's records copied in.
  // Leases in the backup are kept and end at their deadlines (the cron ends those past).
  Status Restore(std::string_view name, const std::string& dir);

  // Moves partitions so that their locations follow the placement rule over the current layout
  // (after locations were added, removed or reweighted). Each move: copy the partition's records
  // into a new store at the new location (through kv.h, so the driver may change; synced),
  // switch the queue record (synced), remove the old directory, reopen. A crash leaves the
  // record naming the old or the new copy, both whole: an item is never lost or doubled (a
  // half-made copy is ignored, and remade by the next QREBALANCE). Partitions of locations no
  // longer listed move first; *moved receives the numbers of the partitions moved.
  Status Rebalance(std::string_view name, std::vector<std::uint32_t>* moved);

  // The cron: leases ending, scheduled items due, expiry, dead-letter moves. Adds to *readied
  // the queues that gained ready items (their blocked leases can be served).
  Status Tick(std::int64_t now_ms, std::set<std::string>* readied);
  std::int64_t NextDue() const;

  // Partitions written since the last call, with their written() count then: what a batch of
  // commands must SyncThrough before replying (appendfsync always).
  std::vector<std::pair<std::shared_ptr<Partition>, std::uint64_t>> TakeWritten();
  // Every open partition (the everysec syncer).
  std::vector<std::shared_ptr<Partition>> AllPartitions() const;

 private:
  struct Queue;
  QueueManager(StorageLayout layout, StoreOpener opener, FileSystem* fs);
  Status Load();
  Result<Queue*> Find(std::string_view name) const;
  Status Validate(const QueueInfo& info, std::string_view self) const;
  Status SaveRecord(const Queue& q);
  Result<std::shared_ptr<Partition>> OpenPartition(const PartitionPlacement& placement,
                                                   std::uint32_t number);
  Result<PartitionPlacement> PlacementFor(std::string_view queue, std::uint32_t number,
                                          std::uint32_t location) const;
  void NoteWritten(const std::shared_ptr<Partition>& p);
  // The first of `candidates` that is a partition of q and for which `eligible` holds, or
  // nullptr.
  static std::shared_ptr<Partition> FirstOf(
      const std::vector<std::shared_ptr<Partition>>& candidates, const Queue& q,
      const std::function<bool(const Partition&)>& eligible);
  // Drops a closed partition from the batch's lists (written_, leased_from_, produced_to_).
  void Forget(const std::shared_ptr<Partition>& p);
  // InvalidArgument while a backup of queue `name` holds snapshots of its partitions.
  Status CheckNoBackup(std::string_view name, std::string_view what) const;
  // Moves the outboxes of q's partitions to its dead-letter queue (or drops them).
  Status MoveDeadLetters(Queue& q, std::int64_t now_ms, std::set<std::string>* readied);
  // The prelude of Complete and Retry (`verb` names it in errors): 1..kMaxBatch ids of the form
  // "<partition>-<seq>", each leased now, grouped by partition. When some are not, *not_leased
  // names them and the map is empty (nothing may be applied).
  Result<std::map<std::uint32_t, std::vector<std::uint64_t>>> LeasedByPartition(
      const Queue& q, std::string_view verb, std::span<const std::string_view> ids,
      std::vector<std::string>* not_leased) const;

  StorageLayout layout_;
  StoreOpener opener_;
  FileSystem* fs_;
  std::unique_ptr<kv::Store> meta_;
  std::map<std::string, std::unique_ptr<Queue>, std::less<>> queues_;
  std::vector<std::pair<std::shared_ptr<Partition>, std::uint64_t>> written_;
  // The partitions this batch (since the last TakeWritten) leased from and produced to: the
  // sticky choices of Lease and Produce.
  std::vector<std::shared_ptr<Partition>> leased_from_;
  std::vector<std::shared_ptr<Partition>> produced_to_;
  std::map<std::string, int, std::less<>> backups_;  // queue -> backups between Start and Finish
};

}  // namespace larder::queue

#endif  // LARDER_QUEUE_QUEUE_MANAGER_H_
