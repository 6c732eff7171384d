// DBImpl: the LSM engine behind lsm::DB (include/larder/lsm/db.h): the write path (value log +
// memtable, group commit), reads (memtables, then the current Version's tables), the memtable
// switch, flushes and compactions on a background thread, snapshots and transactions.
//
// The state and who may touch it:
//  - mu_ guards every field marked GUARDED_BY(mu_): the writer queue, the read state (memtables
//    and Version readers take), the snapshot list, the background-work flags, the poisoned
//    status, the statistics and the VersionSet (LogAndApply runs with mu_ held, releasing it
//    around its I/O as the VersionSet documents).
//  - The writer queue (writers_) admits one leader at a time: the writer at its front. Only the
//    leader appends to the current value log (log_), inserts into the mutable memtable and
//    switches memtables, and it does all three WITHOUT mu_ (the front position is the token):
//    nobody else touches log_ or inserts into mem while a leader runs. Followers wait on their
//    own CondVar until the leader marks them done.
//  - The published last sequence (last_sequence_) is stored by the leader after every entry of
//    its group is in the memtable, with release order; readers load it with acquire order and
//    read at most that sequence, so they never see part of a group.
//  - Readers take a reference to the read state (ReadState: the mutable memtable, the frozen
//    ones, the current Version) under mu_ and then read without any lock: memtables take
//    concurrent readers with one writer, tables and Versions are immutable. The read state is
//    rebuilt (under mu_) whenever one of its three parts changes.
//  - The background threads (Options::background_threads; each takes a flush first, then a
//    compaction) own the frozen memtables' flushes and the compactions. They take mu_ to pick
//    work, to install results and to delete files nobody references. Flushes run one at a time
//    (flush_running_), oldest first. Compactions run side by side on disjoint inputs: the
//    picker never takes a table being compacted (compaction_picker.h), so their outputs never
//    overlap in one level. A manual request runs on one thread at a time (Manual::running).
//  - Edits go to the VersionSet one at a time (manifest_writer_busy_): ApplyEdit releases mu_
//    for the MANIFEST write and fsync, so writers and readers are not held up by it, and
//    installs the new Version and rebuilds the read state with mu_ held again. A table written
//    by a flush or compaction stays in pending_outputs_ until its edit is applied, so a
//    DeleteObsoleteFiles on another thread in that window keeps it.
//  - Files are deleted only when no Version (LiveFiles) references a table and no memtable,
//    frozen memtable or table points into a value log (the log numbers at or after the
//    VersionSet's log number, plus those a table's values point to).
//
// Lock order: mu_, then a Writer's state (guarded by mu_ too), then the table cache's own lock.
// No I/O under mu_ except file deletion (and listing the directory for it and for GetStats).
#ifndef LARDER_LSM_DB_IMPL_H_
#define LARDER_LSM_DB_IMPL_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/arena.h"
#include "base/mutex.h"
#include "base/thread_annotations.h"
#include "larder/clock.h"
#include "larder/file_system.h"
#include "larder/lsm/db.h"
#include "lsm/dbformat.h"
#include "lsm/range_tombstones.h"
#include "lsm/version.h"
#include "lsm/write_pacer.h"

namespace larder::lsm {

class MemTable;
class TableCache;
class VersionSet;
class LogWriter;
class DirLock;
class BlockCache;
class CompactionPicker;
class TableOutputs;
class ValueLogReader;
struct Compaction;

// What a reader reads: the memtables and the Version current when it was built. Immutable
// (the mutable memtable takes concurrent readers); shared by every reader that took it.
struct ReadState {
  std::shared_ptr<MemTable> mem;
  std::vector<std::shared_ptr<MemTable>> imm;  // newest first
  std::shared_ptr<const Version> version;
  // Whether `imm` or `version` hold range tombstones (set when built).
  bool frozen_tombstones = false;

  // The range tombstones of `imm` and `version`, collected at the first call (opening the
  // tables that hold some). Thread-safe; the views live as long as the ReadState.
  Status Frozen(TableCache* tables, const std::vector<RangeTombstone>** list,
                const RangeTombstones** set) const;

 private:
  mutable std::once_flag frozen_once_;
  mutable std::vector<RangeTombstone> frozen_list_;
  mutable RangeTombstones frozen_set_;
  mutable Status frozen_status_;
};

// A live value a value-log collection copies: the key, and its entry as the collection read it.
struct GcValue {
  std::string key;
  ValueType type;
  std::string stored;  // the entry's value: (expiry ++) pointer bytes
};

class DBImpl final : public DB {
 public:
  static Result<std::unique_ptr<DB>> OpenImpl(const std::string& dir, const Options& options);
  ~DBImpl() override;

  // --- kv::Store / DB ---------------------------------------------------------------------
  Status Write(const kv::WriteOptions& options, const kv::WriteBatch& batch) override;
  Status Write(const kv::WriteOptions& options, const WriteBatch& batch) override;
  Status Put(const kv::WriteOptions& options, std::string_view key,
             std::string_view value) override;
  Status Delete(const kv::WriteOptions& options, std::string_view key) override;
  Status SyncWrites() override;
  Status FlushWrites() override;
  Status Get(std::string_view key, std::string* value) override;
  Status Get(const ReadOptions& options, std::string_view key, std::string* value) override;
  Result<std::unique_ptr<kv::Iterator>> NewIterator(const kv::IteratorOptions& options) override;
  Result<std::unique_ptr<kv::Iterator>> NewIterator(const ReadOptions& read,
                                                    const IteratorOptions& options) override;
  Result<std::unique_ptr<kv::Snapshot>> GetSnapshot() override;
  Result<std::unique_ptr<Snapshot>> NewSnapshot() override;
  Result<std::unique_ptr<kv::Transaction>> BeginTransaction() override;
  Result<std::unique_ptr<OptimisticTransaction>> BeginOptimistic() override;
  Status Flush() override;
  Status CompactRange(std::optional<std::string_view> begin,
                      std::optional<std::string_view> end) override;
  Stats GetStats() override;
  Result<std::uint64_t> Backup(const std::string& file,
                               std::optional<std::uint64_t> since) override;
  Status Checkpoint(const std::string& dest) override;
  Status Close() override;

  // --- For the snapshot, iterator and transaction objects ------------------------------------
  // Registers a snapshot at the last published sequence until ReleaseSnapshot.
  SequenceNumber AcquireSnapshot();
  void ReleaseSnapshot(SequenceNumber seq);
  // The read state now (nullptr once closed). Thread-safe.
  std::shared_ptr<const ReadState> GetReadState();
  SequenceNumber LastSequence() const { return last_sequence_.load(std::memory_order_acquire); }
  // Reads `key` as of `seq` from `state`.
  Status GetAt(const ReadState& state, SequenceNumber seq, const ReadOptions& options,
               std::string_view key, std::string* value);
  // An iterator over `state` at `seq`; with `owns_snapshot` it releases `seq` (registered by
  // the caller) when destroyed, and even when this fails. `extra` is kept alive with it.
  Result<std::unique_ptr<kv::Iterator>> NewIteratorAt(std::shared_ptr<const ReadState> state,
                                                      SequenceNumber seq, const ReadOptions& read,
                                                      const IteratorOptions& options,
                                                      bool owns_snapshot,
                                                      std::shared_ptr<void> extra);
  // A condition the leader checks before applying a writer's batch (an optimistic
  // transaction's conflict check). Called without mu_, by the leader, with every earlier write
  // in the memtable and none of this group: a non-OK result fails this writer alone.
  class WriteCheck {
   public:
    virtual ~WriteCheck() = default;
    virtual Status Validate(DBImpl* db) = 0;
  };
  // Applies `batch` through the writer queue. `gate`: wait while a kv::Transaction is open
  // (every write but that transaction's commit).
  Status WriteInternal(const kv::WriteOptions& options, const WriteBatch* batch, WriteCheck* check,
                       bool gate = true);
  // The sequence of the newest entry of `key` (point or covering range tombstone) in the
  // memtables and tables, 0 when none. For conflict checks.
  Result<SequenceNumber> LatestSequenceOf(std::string_view key);
  // OK when every key still reads as the entry the collection copied (the leader's check of
  // a value-log collection's rewrite; db_vlog_gc.cc).
  Status CheckValuesUnchanged(const std::vector<GcValue>& values);
  // The kv::Transaction gate: one open at a time; plain writes wait while it is open.
  void OpenTransactionGate();
  void CloseTransactionGate();
  const Options& options() const { return options_; }
  std::uint64_t NowMillis() const { return clock_->NowUnixMillis(); }
  const std::string& dir() const { return dir_; }

 private:
  struct Writer;
  struct Found {
    bool ok = false;
    ValueType type = ValueType::kValue;
    SequenceNumber seq = 0;
    std::string value;  // as stored (pointer, expiry prefix)
  };
  DBImpl(const std::string& dir, const Options& options);

  // --- Open and recovery (db_impl.cc): run before the DB is shared with another thread -------
  Status OpenDirectory() NO_THREAD_SAFETY_ANALYSIS;
  Status Recover() NO_THREAD_SAFETY_ANALYSIS;
  // Replays the batches of value log `number` into mem_; *replayed is the last sequence
  // replayed (batches must go past it); *end the end of the last batch applied; *stopped when
  // damage or a torn tail ended it.
  Status ReplayLog(const std::string& path, std::uint64_t number, SequenceNumber* replayed,
                   bool* has_values, std::uint64_t* end, bool* stopped) NO_THREAD_SAFETY_ANALYSIS;
  // After the replay of a log stopped at offset `damaged` (options.h,
  // drop_synced_writes_after_damage): Corruption when a sync mark after it in `file` covers
  // it, or (RefuseToDropLaterLogs) when one of logs[from..] holds an intact record; else OK.
  Status RefuseToDropSynced(File* file, const std::string& path, std::uint64_t damaged,
                            std::uint64_t size, const Status& why) NO_THREAD_SAFETY_ANALYSIS;
  Status RefuseToDropLaterLogs(std::uint64_t stopped_log, std::uint64_t damaged,
                               const std::vector<std::uint64_t>& logs,
                               std::size_t from) NO_THREAD_SAFETY_ANALYSIS;
  // Corruption(what + advice), or OK after logging `what` when drop_synced_writes_after_damage.
  Status SyncedDamageVerdict(const std::string& what) const;
  Status NewLogFile(std::uint64_t number) NO_THREAD_SAFETY_ANALYSIS;
  // How value logs are appended to: the write group's buffer, writeback, preallocation.
  AppendWriterOptions LogAppendOptions() const;
  void RebuildReadStateLocked() REQUIRES(mu_);

  // --- Reads (db_read.cc) ------------------------------------------------------------------
  // The newest entry of lk.user_key() at lk's sequence, ignoring range tombstones.
  Status FindNewest(const ReadState& state, const LookupKey& lk, bool verify, Found* found);
  // The largest sequence <= seq of a range tombstone covering `key` in `state`; 0 when none.
  Result<SequenceNumber> CoveringTombstone(const ReadState& state, std::string_view key,
                                           SequenceNumber seq);
  Status ResolveValue(ValueType type, std::string_view stored, std::string* value);

  // --- Writes (db_write.cc) -----------------------------------------------------------------
  // Makes room in the memtable for the leader's group: slowdowns, stops, memtable switch.
  // Called by the leader with mu_ held; may release and retake it.
  Status MakeRoomForWrite(bool force) REQUIRES(mu_);
  Status SwitchMemtable() REQUIRES(mu_);
  // After a group of `bytes` is written: charges it to the slowdown's pacer while level 0 is at
  // or past level0_slowdown_trigger, else clears the pacer's debt.
  void ChargeSlowdown(std::uint64_t bytes) REQUIRES(mu_);
  // Joins followers' batches to the leader's (same sync mode, up to max_write_group_bytes).
  // Returns the last writer of the group.
  // *buffer: every write of the group asked for WriteOptions::buffer.
  Writer* BuildGroup(const WriteBatch** merged, bool* buffer) REQUIRES(mu_);
  // Appends the group's value records and batch record to log_ (one flush unless every write
  // of the group is buffered, a sync when asked) and inserts it into `mem`. The leader,
  // without mu_.
  Status AppendAndInsert(const WriteBatch* group, SequenceNumber first, bool sync, bool buffer,
                         MemTable* mem);
  Status CheckWritable() REQUIRES(mu_);
  // After the front writer left writers_: wakes the next one, or Close waiting for the queue
  // to drain.
  void WakeNextWriter() REQUIRES(mu_);
  void Poison(const Status& cause) REQUIRES(mu_);

  // --- Background work (db_background.cc) ----------------------------------------------------
  void MaybeScheduleWork() REQUIRES(mu_);
  void BackgroundThread();
  // One step of background work: warming the arena cache when a writer asked for it, else
  // mapping the open log's new values ahead of reads when asked, else a flush when one waits,
  // else a compaction. False when there was nothing to do.
  bool BackgroundStep() REQUIRES(mu_);
  // After a write group (the leader, holding mu_): asks the background for warm arena blocks
  // when the mutable memtable has reached huge-page blocks and the cache holds fewer than
  // kArenaWarmBlocks idle ones.
  void MaybeWantWarmArena() REQUIRES(mu_);
  // Puts warm blocks (MemTableArena::NewWarmBlock) in the arena cache until it holds
  // kArenaWarmBlocks; runs without mu_.
  void WarmArenaCache();
  static constexpr std::size_t kArenaWarmBlocks = 2;
  // After a write group (the leader, holding mu_): asks the background to map the open value
  // log's newest values ahead of reads (ValueLogReader::WarmOpenLog) once kValueWarmBytes of it
  // are not.
  void MaybeWantWarmValues() REQUIRES(mu_);
  static constexpr std::uint64_t kValueWarmBytes = std::uint64_t{1} << 20;
  Status FlushOldest() REQUIRES(mu_);
  // Writes `mem`'s entries and range tombstones to new level-0 tables through *outputs
  // (none when it is empty).
  Status WriteLevel0Tables(const MemTable& mem, TableOutputs* outputs);
  // A source of numbers for new tables (TableOutputs): each is reserved in pending_outputs_
  // (taking mu_: call it without mu_) and appended to *reserved, which the caller passes to
  // ReleaseOutputNumbers once its edit is applied or has failed.
  std::function<std::uint64_t()> OutputNumbers(std::vector<std::uint64_t>* reserved);
  void ReleaseOutputNumbers(const std::vector<std::uint64_t>& reserved) REQUIRES(mu_);
  Status RunCompaction(Compaction* c) REQUIRES(mu_);
  // Applies `edit` to the VersionSet once no other thread is applying one; releases mu_ while
  // the MANIFEST is written and synced (see the file comment).
  Status ApplyEdit(VersionEdit* edit) REQUIRES(mu_);
  void DeleteObsoleteFiles() REQUIRES(mu_);
  // Value-log garbage collection (db_vlog_gc.cc): one step; false when there was nothing to do.
  bool MaybeCollectValueLog() REQUIRES(mu_);
  // Copies the live values of value log `number` into the current log; *last: the sequence
  // after the copies.
  Status RewriteLiveValues(std::uint64_t number, SequenceNumber* last);
  // Adds a Put of `v`'s value (read from its value log) to *batch.
  Status AddCopy(const GcValue& v, WriteBatch* batch, std::string* scratch);
  std::vector<SequenceNumber> SnapshotList() REQUIRES(mu_);

  // --- Configuration, fixed at Open ----------------------------------------------------------
  const std::string dir_;
  Options options_;
  std::unique_ptr<FileSystem> owned_fs_;  // in_memory mode
  FileSystem* fs_ = nullptr;
  Clock* clock_ = nullptr;
  std::unique_ptr<DirLock> lock_;
  std::shared_ptr<BlockCache> block_cache_;
  std::unique_ptr<TableCache> table_cache_;
  std::unique_ptr<ValueLogReader> vlog_reader_;
  std::unique_ptr<CompactionPicker> picker_;
  std::shared_ptr<ArenaBlockCache> arena_cache_;

  // --- State --------------------------------------------------------------------------------
  mutable Mutex mu_;
  // The VersionSet's own methods are thread-safe; LogAndApply is called through ApplyEdit only
  // (one at a time; readers never see a Version without the memtable it replaced, or both).
  std::unique_ptr<VersionSet> versions_;
  std::atomic<SequenceNumber> last_sequence_{0};
  std::deque<Writer*> writers_ GUARDED_BY(mu_);
  // Leader-only scratch (see the file comment): the merged group and its copy with pointers.
  WriteBatch group_batch_;
  WriteBatch pointer_batch_;
  // The current value log: appended to by the leader only; replaced by the leader (under mu_)
  // at a memtable switch. log_has_values_: it holds kValue records (leader only).
  std::unique_ptr<LogWriter> log_;
  // SyncWrites calls syncing log_'s file without the writer role; log_ is neither switched out
  // nor closed while above 0 (log_sync_cv_ signals the drop to 0).
  int log_sync_pins_ GUARDED_BY(mu_) = 0;
  // The largest log_ offset a running SyncWrites fsync covers (0 when none runs): a later call
  // with nothing appended since waits for that sync instead of starting its own.
  std::uint64_t log_sync_target_ GUARDED_BY(mu_) = 0;
  CondVar log_sync_cv_;                // a SyncWrites fsync finished
  std::uint64_t log_file_number_ = 0;  // log_'s number (log_number_ without the lock)
  // Log bytes written for mem_ (what write_buffer_size limits); leader only.
  std::uint64_t mem_bytes_ = 0;
  // Value-log bytes written since Open (for Stats::disk_bytes_written).
  std::atomic<std::uint64_t> log_bytes_written_{0};
  bool log_has_values_ = false;
  std::uint64_t log_number_ GUARDED_BY(mu_) = 0;
  std::shared_ptr<MemTable> mem_ GUARDED_BY(mu_);
  // The first value log whose writes mem_ holds (a recovered memtable spans several).
  std::uint64_t mem_first_log_ GUARDED_BY(mu_) = 0;
  // Frozen memtables waiting for their flush, oldest first, each with the first value log its
  // writes went to.
  struct Frozen {
    std::shared_ptr<MemTable> mem;
    std::uint64_t first_log;
  };
  std::deque<Frozen> imm_ GUARDED_BY(mu_);
  // Value logs that hold kValue records: kept (and listed in the MANIFEST) after their
  // memtable's flush, as tables point into them.
  std::set<std::uint64_t> logs_with_values_ GUARDED_BY(mu_);
  // Tables being written (not yet in a Version): never deleted as obsolete.
  std::set<std::uint64_t> pending_outputs_ GUARDED_BY(mu_);
  std::shared_ptr<const ReadState> read_state_ GUARDED_BY(mu_);
  int l0_runs_ GUARDED_BY(mu_) = 0;  // the current Version's Level0Runs()
  std::multiset<SequenceNumber> snapshots_ GUARDED_BY(mu_);

  CondVar bg_cv_;  // background work finished a step, or was asked for; the queue changed
  std::vector<std::thread> bg_threads_;
  bool bg_stop_ GUARDED_BY(mu_) = false;
  // Bumped when work is asked for or a step ends: a thread that saw another value looks again.
  std::uint64_t bg_work_generation_ GUARDED_BY(mu_) = 0;
  Status bg_error_ GUARDED_BY(mu_);
  bool flush_running_ GUARDED_BY(mu_) = false;
  bool manifest_writer_busy_ GUARDED_BY(mu_) = false;
  CondVar manifest_cv_;  // manifest_writer_busy_ went false
  // Manual compactions asked for and not done (CompactRange waits for its own). A running
  // request stays queued until its thread marks it done.
  struct Manual {
    int level = 0;
    std::optional<std::string> begin, end;
    bool in_place = false;         // see CompactionPicker::PickManual
    std::uint64_t older_than = 0;  // likewise
    bool running = false;
    bool done = false;
    Status status;
  };
  // Queues a manual compaction (the fields of Manual), waits until a background thread has run
  // it; its status.
  Status RunManual(int level, const std::optional<std::string>& begin,
                   const std::optional<std::string>& end, bool in_place, std::uint64_t older_than)
      EXCLUDES(mu_);
  // The deepest level >= 1 with a table overlapping [begin, end]; 0 when none.
  int DeepestLevelWith(std::optional<std::string_view> begin,
                       std::optional<std::string_view> end) const;
  std::deque<Manual*> manual_ GUARDED_BY(mu_);
  // A collected value log waiting for older snapshots to end before it is dropped (0: none),
  // and the last sequence of its rewrites.
  std::uint64_t gc_pending_log_ GUARDED_BY(mu_) = 0;
  // The thread copying a log's live values (one at a time), and whether it runs.
  std::thread gc_thread_;
  bool gc_running_ GUARDED_BY(mu_) = false;
  // A background thread is applying the removal of gc_pending_log_ (mu_ released meanwhile).
  bool gc_removing_ GUARDED_BY(mu_) = false;
  SequenceNumber gc_pending_seq_ GUARDED_BY(mu_) = 0;
  // Checkpoints copying files: while above 0, no file is deleted.
  int file_pins_ GUARDED_BY(mu_) = 0;

  // A writer asked for warm arena blocks (MaybeWantWarmArena); cleared by the thread warming.
  bool arena_warm_wanted_ GUARDED_BY(mu_) = false;
  // A writer asked for the open log's values to be mapped ahead (MaybeWantWarmValues), and
  // whether a background thread is doing it (one at a time).
  bool value_warm_wanted_ GUARDED_BY(mu_) = false;
  bool value_warm_running_ GUARDED_BY(mu_) = false;

  Status poisoned_ GUARDED_BY(mu_);
  bool closed_ GUARDED_BY(mu_) = false;
  // Set once Open recovered a writable database: only then may Close delete obsolete files.
  bool opened_writable_ GUARDED_BY(mu_) = false;
  bool tx_open_ GUARDED_BY(mu_) = false;
  CondVar tx_cv_;
  Stats stats_ GUARDED_BY(mu_);
  // The slowdown's debt (write_pacer.h): charged by each group written while level 0 is at or
  // past level0_slowdown_trigger, reset by one written below it.
  WritePacer pacer_ GUARDED_BY(mu_);
};

}  // namespace larder::lsm

#endif  // LARDER_LSM_DB_IMPL_H_
