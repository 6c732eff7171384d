// The ExecutionStore's state and the in-transaction steps its operations and its start-up share.
// Every *In function runs inside the caller's transaction and writes a record together with its
// index and history entries, so that they commit (or roll back) as one.
#ifndef LARDER_SRC_STORES_EXECUTION_STORE_IMPL_H_
#define LARDER_SRC_STORES_EXECUTION_STORE_IMPL_H_

#include <array>
#include <atomic>
#include <memory>
#include <string>

#include "larder/bolt/db.h"
#include "larder/stores/execution_store.h"
#include "stores/store_db.h"

namespace larder::stores {

struct ExecutionBuckets {
  bolt::Bucket records;
  bolt::Bucket history;
  bolt::Bucket index;
};

class ExecutionStore::Impl {
 public:
  explicit Impl(const ExecutionStoreOptions& o) : options(o) {}

  StoreDbOptions DbOptions() const {
    return {options.config, options.file_system, options.no_sync};
  }
  std::int64_t Now() const;
  // TxClosed after Close.
  Status CheckOpen() const;

  // The three buckets; in a writable transaction they are created when missing.
  static Result<ExecutionBuckets> BucketsIn(bolt::Tx& tx);
  static Result<Execution> ReadIn(const ExecutionBuckets& b, const std::string& id);
  // Puts the record and both of its index entries.
  static Status PutIn(ExecutionBuckets& b, const Execution& e);
  static Status RemoveIndexIn(ExecutionBuckets& b, const Execution& e);
  // Appends one history entry with the next sequence number of `id`.
  static Status AppendEventIn(ExecutionBuckets& b, const std::string& id, ExecutionEvent ev);
  // Replaces `cur` with its next revision `next`: moves the state index entry when the state
  // changed and puts the record; with a reason, appends a history entry for the change (time
  // next.modify_time_ns).
  static Status ReplaceIn(ExecutionBuckets& b, const Execution& cur, const Execution& next,
                          const std::string* reason);
  // Deletes the record, its index entries and its history; returns the history entries removed.
  static Result<std::uint64_t> DeleteIn(ExecutionBuckets& b, const Execution& e);

  // Adjusts the counters when `tx` commits.
  void CountOnCommit(bolt::Tx& tx, std::optional<ExecutionState> from,
                     std::optional<ExecutionState> to);

  ExecutionStoreOptions options;
  std::unique_ptr<bolt::DB> db;
  std::array<std::atomic<std::uint64_t>, kExecutionStateCount> counters{};
  StartupReport report;
};

}  // namespace larder::stores

#endif  // LARDER_SRC_STORES_EXECUTION_STORE_IMPL_H_
