// QueueStore: larderd's durable queues (docs/queue.md) opened from their storage layout, for
// programs other than larderd, with larderd stopped: `larder queue info|check|backup|restore`.
//
//   LARDER_ASSIGN_OR_RETURN(auto queues, larder::queue::QueueStore::Open("queues.yaml", {}));
//   for (const std::string& name : queues->List()) {
//     LARDER_ASSIGN_OR_RETURN(larder::queue::QueueSummary q, queues->Describe(name));
//     ...
//   }
//   LARDER_ASSIGN_OR_RETURN(larder::queue::QueueCheckReport report, queues->Check());
//
// It opens the stores exactly as larderd does (the same drivers, directories and records: the
// code is larderd's queue manager), so a QBACKUP directory restores here and a Backup here
// restores with QRESTORE. Nothing runs in the background: leases are not ended, scheduled items
// not promoted, dead letters not moved (larderd's cron does that when it starts).
//
// Opening: every store of the layout (the metadata store and each queue's partitions) is
// opened read-only (QueueStoreOptions::read_only, for Describe and Check: nothing is created or
// written) or read-write (for Restore; Backup works either way). The engines' LOCK files keep
// larderd and a QueueStore from using the stores at the same time: opening fails (Busy,
// naming the directory and the process holding it) while larderd runs, and larderd does not open
// its queues while a QueueStore has them open. A layout without the metadata store is NotFound (no
// queues were ever created there); the memory driver has nothing on disk and is refused read-only.
//
// Errors: NotFound (no such queue, no such store), Busy (larderd holds the stores), InvalidArgument
// (a bad layout file, naming its line and field; a bad backup; a name in use), Corruption (a record
// that does not decode: Open fails on a damaged queue record or partition meta; Check reports the
// rest), the engines' IOError. No exceptions.
//
// Thread-safety: not thread-safe; one thread at a time. Lifetime: Close (or destroy) it before
// another program opens the stores; returned values are copies.
#ifndef LARDER_QUEUE_QUEUE_STORE_H_
#define LARDER_QUEUE_QUEUE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "larder/file_system.h"
#include "larder/result.h"
#include "larder/status.h"

namespace larder::queue {

struct QueueStoreOptions {
  // Open every store read-only (see the file comment). Restore needs false.
  bool read_only = true;
  // The file system; nullptr means the operating system's. Not owned; outlives the store.
  FileSystem* file_system = nullptr;
};

// One partition: where it lives and its counters (from its meta record).
struct PartitionSummary {
  std::uint32_t number = 0;
  std::string location;  // the partition-storage name it was placed on
  std::string driver;    // "lsm", "bolt" or "memory"
  std::string dir;
  std::uint64_t ready = 0, leased = 0, scheduled = 0;
  std::uint64_t outbox = 0;         // on their way to the dead-letter queue
  std::uint64_t dead_lettered = 0;  // moved out (or dropped) so far
  std::uint64_t next_seq = 0;
};

// One queue: its settings (as QINFO shows them) and its partitions.
struct QueueSummary {
  std::string name;
  std::int64_t lease_timeout_ms = 0;
  std::int64_t expire_timeout_ms = 0;  // 0: never
  std::uint32_t max_attempts = 0;      // 0: unlimited
  std::string dead_queue;              // empty: none
  std::int64_t created_ms = 0;
  std::vector<PartitionSummary> partitions;
};

// What Check found. ok() when no invariant of docs/formats/queue.md is broken.
struct QueueCheckReport {
  std::uint64_t queues = 0, partitions = 0;
  std::uint64_t records = 0;  // keys read
  std::uint64_t items = 0;    // ready + leased + scheduled + outbox entries
  std::uint64_t problem_count = 0;
  // One line per problem found (at most a few per partition are kept; problem_count counts
  // them all), each naming the queue, the partition and the record.
  std::vector<std::string> problems;
  bool ok() const { return problem_count == 0; }
};

class QueueStore {
 public:
  // Opens the queues of the layout file `layout_path` (larderd's queue-config YAML).
  static Result<std::unique_ptr<QueueStore>> Open(const std::string& layout_path,
                                                  const QueueStoreOptions& options = {});
  // Opens the queues of a larderd started without queue-config: everything under
  // `<data_dir>/queues` with the lsm driver.
  static Result<std::unique_ptr<QueueStore>> OpenDefault(const std::string& data_dir,
                                                         const QueueStoreOptions& options = {});
  virtual ~QueueStore() = default;

  // The queue names, sorted.
  virtual std::vector<std::string> List() const = 0;
  // One queue's settings and partitions. NotFound for an unknown name.
  virtual Result<QueueSummary> Describe(std::string_view name) = 0;
  // Reads every queue's records and checks them: the queue records (partition directories named
  // and placed as the layout says, the dead-letter queue present) and every partition's
  // records (counters, payloads, expiry index, outbox; docs/formats/queue.md "Invariants").
  // Problems go into the report; an error means a store could not be read. `progress`, when
  // set, is called after each partition with the partitions done and the total.
  using Progress = std::function<void(std::uint64_t done, std::uint64_t total)>;
  virtual Result<QueueCheckReport> Check(const Progress& progress = {}) = 0;
  // Copies queue `name` into `dir` (absent or empty) in QBACKUP's format; *items receives the
  // number of items copied.
  virtual Status Backup(std::string_view name, const std::string& dir, std::uint64_t* items) = 0;
  // Creates queue `name` from a QBACKUP (or Backup) directory, placed by this layout.
  // InvalidArgument when it exists, the backup is not whole or its dead-letter queue is missing.
  virtual Status Restore(std::string_view name, const std::string& dir) = 0;
  // Closes every store (the first error is returned; all are closed).
  virtual Status Close() = 0;
};

}  // namespace larder::queue

#endif  // LARDER_QUEUE_QUEUE_STORE_H_
