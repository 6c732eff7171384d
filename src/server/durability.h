// Durability: the keyspace's one call site for everything durable. It keeps the engine's long
// write transaction and the write-ahead log in step:
//
//   - tx() is the open engine transaction every keyspace read and write goes through. It is a
//     thin wrapper that also records each Put/Delete into the current batch's log record.
//   - EndBatch() appends the batch's recorded writes as one log record (write() to the OS: a
//     kill -9 now loses nothing) and returns the ticket WaitDurable takes; a batch without
//     writes appends nothing and its ticket is the log's read barrier (wal.h: under always,
//     the last record while it is not yet durable, since the batch may have read it; else 0,
//     nothing to wait for).
//   - Checkpoint() puts the log sequence it holds under `checkpoint_key` (8 bytes, big-endian)
//     in the transaction,
//     commits it with sync (the only way the engine's files are ever written: a synced,
//     atomic commit, never damaged by a power loss), begins the next transaction and rotates the
//     log (the old file is deleted). MaybeCheckpoint() does so about every
//     `checkpoint_interval_ms` (or ten times the last commit's duration, up to 10 s, if
//     longer) or when the log exceeds `checkpoint_log_bytes`. When nothing has been written for
//     the interval (1 s at least, 10 s at most) since the last checkpoint ended, it releases the
//     memory the engine keeps for its next transactions (kv::Store::ReleaseCachedMemory) and
//     trims the heap, once.
//   - Open() recovers: it reads the checkpointed sequence from the store's committed state,
//     begins the transaction and replays the log records after it into the transaction, then
//     checkpoints so recovery is not repeated.
//   - BackgroundSave() (BGSAVE) checkpoints, then copies the engine's data online
//     (`copy_engine`: bolt's lock-free hot backup, the LSM engine's online backup) into
//     `backup_file` on a thread of its own; checkpoints are deferred while it runs (the log keeps
//     everything durable meanwhile) so the copy sees one stable commit, unless the log grows past 4
//     x checkpoint_log_bytes.
//
// Lock rule: every method except WaitDurable, stats() and SetAppendFsync is called with the
// server's execution lock held (one thread at a time); tx() and anything it returned must not
// be used across Checkpoint / MaybeCheckpoint / BackgroundSave, which replace the transaction
// (take tx() again). A checkpoint inside a batch first logs the batch's writes so far (as
// EndBatch would; the commit then makes them durable): the keyspace must have written every
// in-memory counter those writes depend on before it calls one there.
// WaitDurable is called without the execution lock (group commit); stats() and SetAppendFsync
// from any thread.
#ifndef LARDER_SERVER_DURABILITY_H_
#define LARDER_SERVER_DURABILITY_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "larder/file_system.h"
#include "larder/kv.h"
#include "larder/result.h"
#include "larder/status.h"
#include "server/keyspace.h"  // AppendFsync

namespace larder {
class Clock;
}

namespace larder::server {

struct DurabilityOptions {
  std::string dir;          // where the log files live (the keyspace's data directory)
  std::string backup_file;  // BGSAVE's destination (replaced atomically when a copy succeeds)
  // Writes a consistent copy of the store's committed data to the path given, while the store
  // is in use (called on BGSAVE's own thread).
  std::function<Status(const std::string&)> copy_engine;
  // The store key holding the checkpointed log sequence (8 bytes, big-endian). The keyspace's
  // encoding reserves it (docs/formats/larderd.md).
  std::string checkpoint_key;
  AppendFsync appendfsync = AppendFsync::kEverySec;
  std::uint64_t checkpoint_interval_ms = 1000;
  std::uint64_t checkpoint_log_bytes = std::uint64_t{64} << 20;
  std::uint64_t sync_interval_ms = 1000;  // everysec's period; 0: no background syncer (tests)
  FileSystem* fs = nullptr;               // null: the operating system's
  Clock* clock = nullptr;                 // null: the system clock
};

struct DurabilityStats {
  std::uint64_t commits = 0;  // log records appended
  std::uint64_t fsyncs = 0;   // log fdatasyncs
  std::uint64_t checkpoints = 0;
  // Time the checkpoints' commits took (the engine's synced commit and the next transaction's
  // begin; the execution lock is held throughout): the last one's and all of them together.
  std::uint64_t checkpoint_last_usec = 0;
  std::uint64_t checkpoint_total_usec = 0;
  std::uint64_t log_bytes = 0;
  std::uint64_t replayed = 0;  // log records replayed by Open
  std::uint64_t last_seq = 0;
  std::uint64_t checkpoint_seq = 0;
  std::int64_t last_save_unix = 0;  // the last checkpoint (or the open), unix seconds
  bool bgsave_in_progress = false;
  Status last_bgsave_status;
};

class Durability {
 public:
  // Recovers (see above). `store` is not owned and must outlive the result; no other
  // transaction may be open on it.
  static Result<std::unique_ptr<Durability>> Open(kv::Store* store,
                                                  const DurabilityOptions& options);
  // Rolls the open transaction back (writes since the last checkpoint stay in the log) and
  // waits for a running BGSAVE. Call Close() first for a final checkpoint.
  virtual ~Durability() = default;

  // The open engine transaction (see the lock rule).
  virtual kv::Transaction& tx() = 0;

  virtual Result<std::uint64_t> EndBatch() = 0;
  virtual Status WaitDurable(std::uint64_t ticket) = 0;

  virtual Status MaybeCheckpoint() = 0;
  virtual Status Checkpoint() = 0;  // SAVE
  // Busy when one is already running; the copy's outcome lands in stats().last_bgsave_status.
  virtual Status BackgroundSave() = 0;
  // Waits for a running BackgroundSave to finish (tests, shutdown).
  virtual void WaitForBackgroundSave() = 0;

  virtual void SetAppendFsync(AppendFsync mode) = 0;
  virtual DurabilityStats stats() const = 0;

  // Final checkpoint (and log rotation); later calls fail.
  virtual Status Close() = 0;
};

}  // namespace larder::server

#endif  // LARDER_SERVER_DURABILITY_H_
