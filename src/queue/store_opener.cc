#include "queue/store_opener.h"

#include <fmt/format.h>

#include <chrono>

#include "larder/bolt/kv.h"
#include "larder/lsm/db.h"

namespace larder::queue {

Result<std::unique_ptr<kv::Store>> OpenQueueStore(const StorageLocation& location,
                                                  const std::string& dir,
                                                  const StoreOpenOptions& options) {
  if (options.read_only) {
    if (location.driver == Driver::kMemory) {
      return Status::InvalidArgument(
          fmt::format("location '{}' uses the memory driver: nothing on disk", location.name));
    }
    LARDER_ASSIGN_OR_RETURN(bool exists, options.fs->Exists(dir));
    if (!exists) return Status::NotFound(fmt::format("{}: no such queue store", dir));
  }
  switch (location.driver) {
    case Driver::kLsm:
    case Driver::kMemory: {
      lsm::Options o;
      // Small per partition: a queue's working set is its head and tail (docs/queue.md).
      o.write_buffer_size = std::size_t{4} << 20;
      // Records are tagged by their first byte (M, P, R, L, S, E, X, D: docs/formats/queue.md),
      // and produces write at the tops of P and R at once: tables cut per tag move down the
      // levels without rewriting the other tags' tables (docs/lsm.md, "Flushes and compactions").
      o.table_cut_prefix_length = 1;
      o.block_cache = options.block_cache;
      o.read_only = options.read_only;
      if (location.driver == Driver::kMemory) {
        o.in_memory = true;
      } else {
        o.file_system = options.fs;
      }
      LARDER_ASSIGN_OR_RETURN(std::unique_ptr<lsm::DB> db, lsm::DB::Open(dir, o));
      return std::unique_ptr<kv::Store>(std::move(db));
    }
    case Driver::kBolt: {
      if (!options.read_only) LARDER_RETURN_IF_ERROR(options.fs->CreateDirs(dir));
      bolt::Options o;
      o.file_system = options.fs;
      o.read_only = options.read_only;
      if (options.fail_if_locked) o.lock_timeout = std::chrono::milliseconds(1);
      return bolt::OpenKV(dir + "/partition.db", o);
    }
  }
  return Status::InvalidArgument("unknown queue storage driver");
}

}  // namespace larder::queue
