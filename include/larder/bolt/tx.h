// Tx: a transaction. Read-only transactions see a stable snapshot and run concurrently with each
// other and with the one read-write transaction.
//
// Thread-safety: a Tx and everything obtained from it (buckets, cursors, views) are used by one
// thread at a time. Different transactions may be used from different threads.
// Lifetime: a Tx must end (Commit, Rollback, or destruction, which rolls back) before its DB
// is closed. Everything obtained from it becomes invalid when it ends.
#ifndef LARDER_BOLT_TX_H_
#define LARDER_BOLT_TX_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "larder/bolt/bucket.h"
#include "larder/result.h"
#include "larder/status.h"

namespace larder {
class FileSystem;
}

namespace larder::bolt {

class DB;
namespace internal {
class TxImpl;
struct Access;
}  // namespace internal

class Tx {
 public:
  ~Tx();  // rolls back if still open
  Tx(const Tx&) = delete;
  Tx& operator=(const Tx&) = delete;

  // The transaction id: the snapshot's commit id for a reader, the id the commit will get for
  // a writer.
  std::uint64_t id() const;
  bool writable() const;
  // Size of the database as this snapshot sees it: high-water mark times page size.
  std::uint64_t Size() const;
  std::uint32_t page_size() const;

  // Top-level buckets (the root holds only buckets, as in bbolt).
  Result<Bucket> GetBucket(std::string_view name) const;
  Result<Bucket> CreateBucket(std::string_view name);
  Result<Bucket> CreateBucketIfNotExists(std::string_view name);
  Status DeleteBucket(std::string_view name);
  // Follows a path of nested bucket names from the root.
  Result<Bucket> GetBucketPath(const std::vector<std::string>& path) const;
  // Calls fn(name, bucket) for each top-level bucket in order; stops at the first error.
  Status ForEachBucket(const std::function<Status(std::string_view, Bucket)>& fn) const;
  // A cursor over the top-level bucket names.
  Cursor NewCursor() const;

  // Writes dirty pages, syncs, writes the meta page, syncs. On any error the transaction is
  // rolled back and the database stays at the previous commit; after a failed sync the
  // database refuses further writes (Poisoned) until reopened.
  Status Commit();
  Status Rollback();
  // Runs `fn` after a successful commit.
  void OnCommit(std::function<void()> fn);

  // The consistency check (bbolt's tx.Check plus key order): one message per problem, in
  // bbolt's wording ("page 7: unreachable unfreed"). Empty means consistent.
  std::vector<std::string> Check() const;
  // The same, calling `progress(pages_visited, pages_total)` now and then (about every 1024
  // pages, and once at the end) from the calling thread, for progress bars.
  using CheckProgress = std::function<void(std::uint64_t done, std::uint64_t total)>;
  std::vector<std::string> Check(const CheckProgress& progress) const;

  // Writes a consistent copy of this snapshot (a valid database file of Size() bytes) through
  // `sink`, chunk by chunk. Safe while writers go on.
  Status WriteTo(const std::function<Status(std::span<const std::uint8_t>)>& sink) const;
  // Writes the copy to `path` on `fs` (nullptr: the OS), syncing it before returning.
  Status CopyFile(const std::string& path, larder::FileSystem* fs = nullptr) const;

 private:
  friend class DB;                 // Begin makes transactions
  friend struct internal::Access;  // the engine's own code (src/bolt/access.h)
  explicit Tx(std::unique_ptr<internal::TxImpl> impl);
  std::unique_ptr<internal::TxImpl> impl_;
};

}  // namespace larder::bolt

#endif  // LARDER_BOLT_TX_H_
