// The LSM engine: a log-structured merge tree in one directory, for write-heavy loads.
//
//   lsm::Options options;
//   LARDER_ASSIGN_OR_RETURN(std::unique_ptr<lsm::DB> db, lsm::DB::Open("events", options));
//   LARDER_RETURN_IF_ERROR(db->Put({}, "k", "v"));          // durable when it returns
//   std::string value;
//   Status s = db->Get("k", &value);                         // NotFound when absent
//   LARDER_RETURN_IF_ERROR(db->Close());
//
// The directory (docs/formats/lsm.md):
//   000007.vlog   value logs: every write, in order (the write-ahead log), and the values of at
//                 least Options::value_threshold bytes, which tables point to
//   000012.sst    sorted tables, in levels 0..num_levels-1
//   MANIFEST      the version edits that say which files make up the database
//   LOCK          held (flock) by the process that has the database open; holds its pid
//
// A DB is a kv::Store (include/larder/kv.h) and keeps that interface's contracts: atomic,
// linearizable writes; WriteOptions::sync as documented there (sync = false: a process crash
// loses nothing, a power loss may lose the latest unsynced writes, in order, never partially;
// with WriteOptions::buffer as well, the log record stays in a buffer of this process, up to
// max_write_group_bytes + 64 KiB, until FlushWrites, SyncWrites or the next unbuffered write);
// snapshots and iterators as there. Beyond kv.h it offers time to live and range deletion
// (lsm::WriteBatch), prefix iteration, optimistic transactions, manual compaction, statistics,
// online backup and checkpoints.
//
// Errors, for every call: IOError and NoSpace from the file system; Corruption naming the file
// when a checksum or a structure read from a file is wrong (never a crash or a wrong answer);
// Poisoned after a failed sync (the database refuses writes until reopened, as the state of an
// fsync'd file is unknown after a failure); ReadOnly for a write to a read-only open.
//
// Thread-safety: every method of DB may be called concurrently from any number of threads;
// concurrent writers are grouped into one log append and at most one sync. A Snapshot, Iterator
// or OptimisticTransaction is used by one thread at a time.
//
// Lifetime: Snapshots, Iterators and transactions must be destroyed before the DB is closed.
#ifndef LARDER_LSM_DB_H_
#define LARDER_LSM_DB_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "larder/kv.h"
#include "larder/lsm/options.h"
#include "larder/lsm/write_batch.h"
#include "larder/result.h"
#include "larder/status.h"

namespace larder::lsm {

// A point in time: the writes with sequence numbers up to sequence(). Also a kv::Snapshot.
class Snapshot : public kv::Snapshot {
 public:
  virtual std::uint64_t sequence() const = 0;
};

struct IteratorOptions : kv::IteratorOptions {
  // Show only keys that start with this prefix (combined with the bounds).
  std::optional<std::string_view> prefix;
};

// An optimistic transaction: reads see a snapshot taken at Begin plus the transaction's own
// writes; writes are buffered. Commit fails with Conflict, applying nothing, when a key the
// transaction read (Get, GetForUpdate) or wrote was written by anyone else after Begin;
// otherwise it applies every write atomically (serializable snapshot isolation on the keys
// touched). Many may be open at once; they never block one another or plain writes.
//
// Thread-safety: one thread at a time. Lifetime: end it before closing the DB.
class OptimisticTransaction {
 public:
  virtual ~OptimisticTransaction() = default;
  virtual Status Get(std::string_view key, std::string* value) = 0;
  virtual Status Put(std::string_view key, std::string_view value) = 0;
  virtual Status Delete(std::string_view key) = 0;
  // Applies the writes unless a conflict is found (Conflict, nothing applied). Ends the
  // transaction either way.
  virtual Status Commit(const kv::WriteOptions& options = {}) = 0;
  virtual void Rollback() = 0;
};

// What `larder lsm info` shows; a copy, consistent as of the call.
struct Stats {
  struct Level {
    int tables = 0;
    std::uint64_t bytes = 0;
  };
  std::vector<Level> levels;
  // The memtable flushes level 0 holds, what its triggers count (levels[0].tables may be more:
  // Options::table_cut_prefix_length).
  int level0_flushes = 0;
  int vlog_files = 0;
  std::uint64_t vlog_bytes = 0;
  std::uint64_t memtable_bytes = 0;  // mutable and frozen memtables
  std::uint64_t last_sequence = 0;
  std::uint64_t user_bytes_written = 0;  // keys and values given to Write since Open
  std::uint64_t disk_bytes_written = 0;  // log, tables and MANIFEST bytes written since Open
  std::uint64_t live_disk_bytes = 0;     // every file of the database now
  std::uint64_t flushes = 0;
  std::uint64_t compactions = 0;
  std::uint64_t vlog_gc_runs = 0;
  std::uint64_t stall_micros = 0;  // writers' time in slowdowns and stops
  // Times the background put memory already faulted in into the memtable arena's block cache
  // ahead of the writers (memtable_arena.h).
  std::uint64_t arena_warmings = 0;
  // Value-log bytes the background mapped ahead of reads just after they were written
  // (ValueLogReader::WarmOpenLog; 0 with mmap_reads off or where the system cannot).
  std::uint64_t vlog_warmed_bytes = 0;
  // SyncWrites calls that fsynced the log, and those served by an fsync already running.
  std::uint64_t sync_writes_syncs = 0;
  std::uint64_t sync_writes_joined = 0;
  std::uint64_t block_cache_bytes = 0;
  std::uint64_t block_cache_hits = 0;
  std::uint64_t block_cache_misses = 0;
  // Tables the table cache holds open now (at most Options::max_open_tables).
  int open_tables = 0;
  // disk_bytes_written / user_bytes_written (0 before any write).
  double write_amplification() const;
};

class DB : public kv::Store {
 public:
  // Opens (creating it unless options say otherwise) the database in directory `dir`,
  // recovering from the value logs whatever a crash left unflushed, up to the last intact
  // record. Errors: Busy "Cannot acquire directory lock on <dir>: held by process <pid>..."
  // when another process (or DB object) has it open; NotFound (missing, create_if_missing
  // false); InvalidArgument (bad options, error_if_exists); Corruption naming the file.
  static Result<std::unique_ptr<DB>> Open(const std::string& dir, const Options& options = {});

  // --- kv::Store ---------------------------------------------------------------------------
  using kv::Store::Delete;
  using kv::Store::Put;
  Status Write(const kv::WriteOptions& options, const kv::WriteBatch& batch) override = 0;
  Status Get(std::string_view key, std::string* value) override = 0;
  Result<std::unique_ptr<kv::Iterator>> NewIterator(
      const kv::IteratorOptions& options = {}) override = 0;
  Result<std::unique_ptr<kv::Snapshot>> GetSnapshot() override = 0;
  // The kv.h transaction (one at a time; Write waits while it is open): its writes are kept
  // in memory and applied as one batch at Commit.
  Result<std::unique_ptr<kv::Transaction>> BeginTransaction() override = 0;
  Status Close() override = 0;

  // --- Beyond kv.h -------------------------------------------------------------------------
  virtual Status Write(const kv::WriteOptions& options, const WriteBatch& batch) = 0;
  // Reads the latest state, or options.snapshot's.
  virtual Status Get(const ReadOptions& options, std::string_view key, std::string* value) = 0;
  virtual Result<std::unique_ptr<kv::Iterator>> NewIterator(const ReadOptions& read,
                                                            const IteratorOptions& options) = 0;
  // A snapshot with its sequence number. Destroy it to release what it pins.
  virtual Result<std::unique_ptr<Snapshot>> NewSnapshot() = 0;
  virtual Result<std::unique_ptr<OptimisticTransaction>> BeginOptimistic() = 0;

  // Writes the memtable to a table now and waits for it.
  virtual Status Flush() = 0;
  // Compacts every table holding keys in [begin, end) (the whole database when both are
  // absent) down to the last level that has data, dropping what is deleted, overwritten or
  // expired and no longer seen by a snapshot; waits for it.
  virtual Status CompactRange(std::optional<std::string_view> begin,
                              std::optional<std::string_view> end) = 0;
  virtual Stats GetStats() = 0;

  // Online backup to one checksummed file while writers go on: the state of one point in time
  // (a sequence number). With `since`, only what changed after that sequence (an incremental
  // backup to apply over the full one it follows). Returns the backup's sequence number: the
  // `since` of the next incremental one.
  virtual Result<std::uint64_t> Backup(const std::string& file,
                                       std::optional<std::uint64_t> since = std::nullopt) = 0;
  // A consistent copy of the database in `dest` (which must not exist), hard-linking the
  // tables and value logs where the file system allows and copying otherwise; the copy opens
  // as a database.
  virtual Status Checkpoint(const std::string& dest) = 0;
};

// Restores backup files into the empty (or absent) directory `dir`: a full backup, then any
// incremental ones in order. Checks every checksum first; on a failure `dir` is left without
// a database. Returns the sequence number restored.
Result<std::uint64_t> Restore(const std::vector<std::string>& backup_files, const std::string& dir,
                              const Options& options = {});

// Checks a closed (or read-only openable) database: every table's blocks and checksums, key
// order within and across tables of a level, the MANIFEST against the files present, the value
// logs' records. One line per problem; empty when all is well. `progress`, when set, is called
// on the calling thread after each file with the bytes checked so far and in all (tables and
// value logs), for a progress display.
using CheckProgress = std::function<void(std::uint64_t done_bytes, std::uint64_t total_bytes)>;
Result<std::vector<std::string>> Check(const std::string& dir, const Options& options = {},
                                       const CheckProgress& progress = {});

}  // namespace larder::lsm

#endif  // LARDER_LSM_DB_H_
