// The bolt database under a store: opened from a StoreConfig, and compacted safely in place.
#ifndef LARDER_SRC_STORES_STORE_DB_H_
#define LARDER_SRC_STORES_STORE_DB_H_

#include <cstdint>
#include <memory>
#include <string>

#include "larder/bolt/db.h"
#include "larder/result.h"
#include "larder/stores/config.h"

namespace larder {
class FileSystem;
}

namespace larder::stores {

struct StoreDbOptions {
  StoreConfig config;
  FileSystem* file_system = nullptr;  // nullptr: the OS's
  bool no_sync = false;
};

// Opens the store's database: a bolt file (its directory created when missing; a stale
// "<path>.compact" left by an interrupted compaction removed) or an in-memory one. A file
// held by another process is Busy after a few seconds rather than a hang.
Result<std::unique_ptr<bolt::DB>> OpenStoreDb(const StoreDbOptions& options);

struct CompactionOutcome {
  bool compacted = false;
  std::uint64_t free_pages_before = 0;
  std::uint64_t free_pages_after = 0;
  std::uint64_t file_bytes_before = 0;
  std::uint64_t file_bytes_after = 0;
};

// When `*db` is a bolt file with more than `threshold` free pages (threshold 0: never), copies it
// into "<path>.compact", syncs that file, closes `*db`, renames the copy over the file, syncs
// the directory and reopens into `*db`. A crash leaves the old or the new complete file. On an
// error before the rename `*db` stays open on the old file; after it, `*db` may be null.
// REQUIRES: no transaction open on `*db`.
Result<CompactionOutcome> CompactIfNeeded(std::unique_ptr<bolt::DB>* db,
                                          const StoreDbOptions& options, std::uint64_t threshold);

}  // namespace larder::stores

#endif  // LARDER_SRC_STORES_STORE_DB_H_
