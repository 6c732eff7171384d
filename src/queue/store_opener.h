// The one place in src/queue that names the engines (through their public open functions,
// larder/lsm/db.h and larder/bolt/kv.h): how a storage location's driver opens one store of the
// durable queue (a partition or the queue metadata). larderd's queue service and the offline
// QueueStore (larder/queue/queue_store.h, `larder queue ...`) both open through it, so the
// driver-to-files rule exists once. The queue manager itself still names no engine: it is handed
// an opener (queue_manager.h's StoreOpener), and its tests hand it an in-memory one.
#ifndef LARDER_QUEUE_STORE_OPENER_H_
#define LARDER_QUEUE_STORE_OPENER_H_

#include <functional>
#include <memory>
#include <string>

#include "larder/file_system.h"
#include "larder/kv.h"
#include "larder/lsm/options.h"
#include "larder/result.h"
#include "queue/storage_layout.h"

namespace larder::queue {

struct StoreOpenOptions {
  // Not owned; outlives every store opened. Required (the memory driver ignores it).
  FileSystem* fs = nullptr;
  // LSM stores read through this cache (shared by all of them: one budget); nullptr: their own.
  std::shared_ptr<lsm::BlockCache> block_cache{};
  // Open for reading only: nothing is created or written, a missing store is NotFound, and the
  // engine's lock is taken shared (so it fails while larderd holds the store). The memory
  // driver has nothing to read: InvalidArgument.
  bool read_only = false;
  // Fail (Busy) at once when another process holds the store's lock, instead of waiting for it
  // (the bolt driver waits by default; the LSM engine never waits). Offline tools set it.
  bool fail_if_locked = false;
};

// Opens (creating) the store of one partition, or the metadata store, in directory `dir` of
// `location` (the driver decides what lives inside): what the queue manager is handed.
using StoreOpener = std::function<Result<std::unique_ptr<kv::Store>>(
    const StorageLocation& location, const std::string& dir)>;

// Opens (creating, unless read_only) the store in `dir` with `location`'s driver: lsm (the
// directory itself), bolt (<dir>/partition.db) or memory (the LSM engine in memory: nothing
// survives Close). The engines' own open errors.
Result<std::unique_ptr<kv::Store>> OpenQueueStore(const StorageLocation& location,
                                                  const std::string& dir,
                                                  const StoreOpenOptions& options);

}  // namespace larder::queue

#endif  // LARDER_QUEUE_STORE_OPENER_H_
