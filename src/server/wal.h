// WriteAheadLog: larderd's redo log. Each batch of kv-level writes the keyspace makes is appended
// as one CRC32C-framed, sequence-numbered record and written to the operating system (write(2))
// before Append returns, so a kill -9 never loses an acknowledged batch; WaitDurable then makes
// it as durable as the appendfsync mode promises. A checkpoint (the keyspace commits its engine
// transaction with sync, recording the checkpoint's sequence in the same transaction) makes the
// log up to that sequence redundant: Rotate starts a new log file and deletes the old ones, so
// the log stays bounded. Recovery (Open) replays the records after the engine's checkpoint.
// The record format is written down in docs/formats/larderd.md ("Write-ahead log"); the
// durability contract in docs/server.md ("Durability").
//
// Files: <dir>/wal-<first sequence, 20 decimal digits>.log. A file holds records with
// consecutive sequences starting at the one in its name (or none). Appends go to the newest.
//
// Recovery rules (Open):
//   - Files whose records are all <= checkpoint_seq (the next file starts at or before
//     checkpoint_seq + 1) are not read; the next Rotate deletes them.
//   - The other files are read in order. A record is good when its header is complete, its
//     length fits the file, its CRC matches and its sequence is the next one expected. Reading
//     a file stops at its first bad record: in the newest file that is a torn tail (a crash
//     while appending, or unsynced bytes lost at power loss); the file is truncated there and
//     synced, and the bytes dropped are logged. Records <= checkpoint_seq are skipped, the
//     others passed to `apply` in sequence order.
//   - Never past a gap: when the oldest file read starts after checkpoint_seq + 1, or a file
//     starts after the record following the previous file's last good record (and after
//     checkpoint_seq + 1), records the checkpoint does not hold are missing: Open fails with
//     Corruption, naming the files and sequences, and replays nothing after the gap. A bad record
//     in a file that is not the newest is a gap too when the next file does not continue it.
//   - Each file holding replayed records is synced before the log continues (they may have been
//     in the page cache only, after a kill -9): later records, synced in a newer file, must
//     never outlive them.
//   - After replay the log continues at max(last good sequence, checkpoint_seq) + 1, in a new
//     file (or the newest file, when it is empty and already named for that sequence), created
//     and its directory synced before Open returns. So a later recovery never sees sequences
//     reused or out of order, even when the checkpoint is ahead of the log's good records.
//   Recovery is idempotent: until the keyspace checkpoints, reopening replays the same records
//   onto the same checkpointed engine state.
//
// Lock rules (stated before the code):
//   - Append, Rotate and Close are called by one thread at a time (the keyspace calls them with
//     the server's execution lock held); the log also takes its writer mutex `write_mu_` in them,
//     so a violation serializes rather than corrupts.
//   - WaitDurable, Sync, stats(), SetMode and the accessors are thread-safe and never take
//     `write_mu_`. The durability state (last appended and last durable sequence, the current
//     file, a sync in progress, the sticky error) is guarded by `mu_`. Lock order: write_mu_,
//     then mu_. No file I/O happens with mu_ held: a syncer copies the current file's shared
//     pointer and the last appended sequence under mu_, releases it, fdatasyncs, then retakes
//     mu_ to publish the new durable sequence.
//   - Group commit: at most one fdatasync is in flight. A waiter whose sequence is not durable
//     starts one if none is in flight; otherwise it waits for the one in flight, and if that one
//     did not cover its sequence (it was appended after the sync started) it starts or waits for
//     the next. One fdatasync so covers every record appended before it began.
//   - Rotate marks every sequence <= checkpoint_seq durable (the engine holds them, synced), so
//     a sync still running on a rotated-away file is harmless; the file stays open until that
//     sync drops its reference.
//   - Errors are sticky: after a failed write or sync, every later Append and WaitDurable returns
//     the first error (the file's state is unknown; LevelDB's and PostgreSQL's rule after fsync
//     errors). Recovery on reopen decides what survived.
//
// appendfsync modes:
//   always:   WaitDurable(seq) returns once an fdatasync begun after seq was appended returned.
//   everysec: a background thread fdatasyncs about every `sync_interval_ms` when something was
//             appended since the last sync; WaitDurable returns at once.
//   no:       nothing is synced by the log (a checkpoint still syncs the engine); WaitDurable
//             returns at once.
#ifndef LARDER_SERVER_WAL_H_
#define LARDER_SERVER_WAL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "larder/file_system.h"
#include "larder/kv.h"
#include "larder/result.h"
#include "larder/status.h"
#include "server/keyspace.h"  // AppendFsync

namespace larder::server {

struct WalOptions {
  AppendFsync mode = AppendFsync::kEverySec;
  // everysec: the period of the background sync. 0: no background thread (tests call Sync()).
  std::uint64_t sync_interval_ms = 1000;
};

struct WalStats {
  std::uint64_t appends = 0;        // records appended since Open
  std::uint64_t syncs = 0;          // fdatasyncs of log files since Open (all modes)
  std::uint64_t rotations = 0;      // Rotate calls that started a new file
  std::uint64_t log_bytes = 0;      // bytes in the log files not yet deleted
  std::uint64_t last_seq = 0;       // last sequence appended (or recovered)
  std::uint64_t durable_seq = 0;    // every sequence <= it is durable (log or checkpoint)
  std::uint64_t replayed = 0;       // records passed to `apply` by Open
  std::uint64_t dropped_bytes = 0;  // torn-tail bytes truncated by Open
};

class WriteAheadLog {
 public:
  // Called by Open for each record after the checkpoint, in sequence order. The batch is valid
  // during the call only. An error stops recovery and Open returns it.
  using ReplayFn = std::function<Status(std::uint64_t seq, const kv::WriteBatch& batch)>;

  // Opens (creating `dir` when missing) and recovers the log in `dir` (see the recovery rules
  // above). `checkpoint_seq`: the sequence the engine's last committed checkpoint holds (0 for a
  // new database). `fs` must outlive the log. Errors: Corruption (a gap, or a record the
  // checkpoint needs that cannot be read), the callback's error, I/O errors.
  static Result<std::unique_ptr<WriteAheadLog>> Open(FileSystem* fs, const std::string& dir,
                                                     const WalOptions& options,
                                                     std::uint64_t checkpoint_seq,
                                                     const ReplayFn& apply);

  // Stops the background thread; closes without syncing (call Sync or checkpoint first).
  virtual ~WriteAheadLog() = default;

  // Appends `batch` as the next record and writes it to the OS (not synced). Returns its
  // sequence (the previous one + 1). An empty batch is logged too (callers skip them).
  // Errors: the sticky error; IOError/NoSpace of the write (then sticky).
  virtual Result<std::uint64_t> Append(const kv::WriteBatch& batch) = 0;

  // Returns once `seq` is as durable as the current mode promises (see the modes above).
  // REQUIRES: seq <= last_seq(). Errors: the sticky error.
  virtual Status WaitDurable(std::uint64_t seq) = 0;

  // Makes every record appended so far durable now, whatever the mode (group-committed with any
  // sync in flight). Used by everysec's thread, Close paths and tests.
  virtual Status Sync() = 0;

  // After the engine durably holds every record <= checkpoint_seq: starts a new file for the
  // records after last_seq() (unless the current file is empty), syncs the directory, and
  // deletes every file whose records are all <= checkpoint_seq. REQUIRES: checkpoint_seq <=
  // last_seq(); the engine commit recording it has been synced.
  virtual Status Rotate(std::uint64_t checkpoint_seq) = 0;

  // OK, or the sticky error that stops the log (see the lock rules).
  virtual Status health() const = 0;

  virtual void SetMode(AppendFsync mode) = 0;
  virtual AppendFsync mode() const = 0;

  virtual std::uint64_t last_seq() const = 0;
  // What a batch that wrote nothing must wait for before its replies go out: under
  // appendfsync always, the last sequence appended while it is not yet durable (the batch may
  // have read its writes, which must not be seen before they are acknowledged); else 0.
  virtual std::uint64_t ReadBarrierSeq() const = 0;
  // Bytes in the log files (current and not yet deleted): the checkpoint policy's size input.
  virtual std::uint64_t log_bytes() const = 0;
  virtual WalStats stats() const = 0;
};

// The log file name for a file whose first record has sequence `first_seq`, and its inverse
// (false for names that are not log files).
std::string WalFileName(std::uint64_t first_seq);
bool ParseWalFileName(const std::string& name, std::uint64_t* first_seq);

}  // namespace larder::server

#endif  // LARDER_SERVER_WAL_H_
