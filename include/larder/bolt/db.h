// DB: a bolt database, file-compatible with bbolt 1.3.x (go.etcd.io/bbolt) in both directions.
//
//   auto db = larder::bolt::DB::Open("state.db", {});
//   if (!db.ok()) ...
//   Status s = (*db)->Update([](Tx& tx) -> Status {
//     LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucketIfNotExists("jobs"));
//     return b.Put("j-1", "{...}");
//   });
//
// Thread-safety: DB is safe for concurrent use. One read-write transaction runs at a time
// (Begin(true) waits for the previous one to end); read-only transactions run concurrently with
// each other and with the writer and never block it. A thread that holds a read transaction may
// also run a write transaction: no remap ever waits for readers.
//
// Lifetime: every Tx must end before the DB is closed or destroyed.
#ifndef LARDER_BOLT_DB_H_
#define LARDER_BOLT_DB_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "larder/bolt/bucket.h"
#include "larder/bolt/options.h"
#include "larder/bolt/tx.h"
#include "larder/result.h"
#include "larder/status.h"

namespace larder::bolt {

namespace internal {
class DBImpl;
struct Access;
}  // namespace internal

// Counters kept since open.
struct DBStats {
  std::uint64_t read_tx_n = 0;          // read transactions started
  std::uint64_t write_tx_n = 0;         // write transactions committed
  std::uint64_t open_read_tx = 0;       // read transactions open now
  std::uint64_t free_page_n = 0;        // free pages
  std::uint64_t pending_page_n = 0;     // pages freed but still visible to an open reader
  std::uint64_t remap_n = 0;            // times the file was mapped again
  std::uint64_t arena_cache_bytes = 0;  // idle write-transaction memory kept for reuse
};

class DB {
 public:
  // Opens or creates the database at `path`. Errors: NotFound (read-only open of a missing
  // file), InvalidArgument (not a bbolt file, bad option), Corruption (both meta pages bad, a
  // damaged freelist; a read-only open ignores a damaged freelist, which readers do not use),
  // Busy (lock timeout), IOError.
  static Result<std::unique_ptr<DB>> Open(const std::string& path, const Options& options = {});

  ~DB();  // closes; REQUIRES: no open transactions.
  DB(const DB&) = delete;
  DB& operator=(const DB&) = delete;

  // Starts a transaction. A writable Begin waits for the current writer. ReadOnly for a
  // writable Begin on a read-only database; Poisoned after a failed sync.
  Result<std::unique_ptr<Tx>> Begin(bool writable);

  // Runs fn in a read-write transaction: commits when fn returns OK, rolls back otherwise.
  Status Update(const std::function<Status(Tx&)>& fn);
  // Runs fn in a read-only transaction.
  Status View(const std::function<Status(Tx&)>& fn);
  // Like Update, but concurrent callers share one transaction and one commit (one fsync for
  // many). fn may run more than once if another caller's fn fails; it must be idempotent.
  Status Batch(const std::function<Status(Tx&)>& fn);

  // Releases the file lock and the map. REQUIRES: no open transactions.
  Status Close();

  // Frees the memory kept for later write transactions (Options::arena_cache_bytes), for a
  // writer gone idle; they allocate afresh. A write transaction still open keeps its memory and
  // hands it to the cache when it ends. Thread-safe; any time before the DB is destroyed.
  void ReleaseCachedMemory();

  const std::string& path() const;
  std::uint32_t page_size() const;
  bool read_only() const;
  DBStats Stats() const;

 private:
  friend struct internal::Access;  // the engine's own code (src/bolt/access.h)
  explicit DB(std::unique_ptr<internal::DBImpl> impl);
  std::unique_ptr<internal::DBImpl> impl_;
};

// Copies every bucket, key and sequence of `src` into `dst` (bbolt compact), committing every
// `tx_max_size` bytes of keys and values (0: one transaction). Pages are packed full.
Status Compact(DB& dst, DB& src, std::uint64_t tx_max_size = 65536);
// The same, calling `on_entry(entries_copied)` from the calling thread after each key or
// sub-bucket entry is copied (for progress bars; the total is the source's key count, the sum
// of BucketStats::key_n over the top-level buckets).
Status Compact(DB& dst, DB& src, std::uint64_t tx_max_size,
               const std::function<void(std::uint64_t)>& on_entry);

}  // namespace larder::bolt

#endif  // LARDER_BOLT_DB_H_
