// DBImpl: the open file, its map, the committed meta and the freelist.
//
// Locking:
//  - mu_ guards meta_, map_, snapshots_, Snapshot::pinned, writer_active_, poisoned_ and
//    stats_. Held briefly. Readers take it only when every reader slot is in use.
//  - The published snapshot (reader_table_->current()) is stored under mu_ and loaded without
//    it by readers, which register in reader_table_ (see reader_table.h for why the writer then
//    never reuses a page a reader can see).
//  - The writer "token" (writer_active_ + writer_cv_) admits one write transaction at a time;
//    it may be released from another thread than the one that took it.
//  - freelist_ and file growth are touched only by the token holder.
// Readers never wait for the writer and the writer never waits for readers: a remap makes a
// new mapping for new transactions while old ones keep theirs (shared_ptr).
#ifndef LARDER_BOLT_DB_IMPL_H_
#define LARDER_BOLT_DB_IMPL_H_

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/arena.h"
#include "base/mutex.h"
#include "base/thread_annotations.h"
#include "bolt/freelist.h"
#include "bolt/meta.h"
#include "bolt/reader_table.h"
#include "larder/bolt/db.h"
#include "larder/file_system.h"

namespace larder::bolt::internal {

class TxImpl;

// One caller waiting in DB::Batch.
struct BatchCall {
  const std::function<Status(Tx&)>* fn;
  Status result;
  bool done = false;
};

// Group commit state for DB::Batch: callers queue; one leader at a time runs the queue in one
// transaction while the next group gathers.
// A new leader waits until as many callers queue as the previous round saw (its group plus the
// callers that queued while it committed: the writers active now), for at most a window that
// scales with the previous commit's duration (BatchGatherWindow). The callers of a finished
// group come back moments later, but on a loaded machine (8 threads on 2 cores) waking them all
// takes longer than a fixed 200 µs, and groups came out smaller than the writer count.
// Every field, and the BatchCalls in `pending` and in a running group, are guarded by `mu`.
struct BatchQueue {
  Mutex mu;
  CondVar cv;       // a group finished
  CondVar arrived;  // a caller queued
  bool leader GUARDED_BY(mu) = false;
  // The last group's size plus the callers queued at its end.
  std::size_t last_writers GUARDED_BY(mu) = 0;
  // How long the last group's commit took.
  std::chrono::steady_clock::duration last_commit GUARDED_BY(mu){};
  std::vector<BatchCall*> pending GUARDED_BY(mu);
};
inline constexpr std::chrono::microseconds kBatchGatherMin{200};
inline constexpr std::chrono::microseconds kBatchGatherMax{2000};
// How long a new leader waits for callers: half the last commit's duration, within
// [kBatchGatherMin, kBatchGatherMax]. Waiting costs at most a third of the throughput when the
// callers do not come, and the wait ends as soon as they do.
inline std::chrono::steady_clock::duration BatchGatherWindow(
    std::chrono::steady_clock::duration last_commit) {
  return std::clamp<std::chrono::steady_clock::duration>(last_commit / 2, kBatchGatherMin,
                                                         kBatchGatherMax);
}

// What the arena cache keeps whatever the last write transaction used (Options::
// arena_cache_bytes, if smaller): a 1,000-key random batch into a 1M-key tree needs about 10 MiB.
inline constexpr std::size_t kArenaCacheFloorBytes = std::size_t{32} << 20;

class DBImpl {
 public:
  static Result<std::unique_ptr<DBImpl>> Open(const std::string& path, const Options& options);
  ~DBImpl();

  Result<std::unique_ptr<TxImpl>> BeginTx(bool writable);
  // Called by TxImpl when it ends.
  void EndRead(const TxImpl& tx);
  void EndWrite(const TxImpl& tx, bool committed);
  // The commit's I/O, in bbolt's order. Called by TxImpl::Commit with the token held.
  Status GrowFor(Pgid hwm);
  Status WriteAtV(std::uint64_t offset, std::span<const std::span<const std::uint8_t>> pieces);
  Status SyncData(std::string_view what);
  Status WriteMeta(const Meta& meta);
  // Publishes a committed meta to new transactions, remapping when the file outgrew the map.
  Status Publish(const Meta& meta);
  void Poison(const Status& cause);

  Status Close();

  const std::string& path() const { return path_; }
  std::uint32_t page_size() const { return page_size_; }
  const Options& options() const { return options_; }
  Freelist& freelist() { return freelist_; }
  DBStats Stats() const;
  FileSystem* fs() const { return fs_; }
  BatchQueue& batch_queue() { return batch_; }
  // Arena blocks of ended write transactions, for the next ones.
  const std::shared_ptr<ArenaBlockCache>& arena_cache() { return arena_cache_; }

 private:
  DBImpl(std::string path, const Options& options);
  // The open sequence runs in Open, before the DBImpl is shared with another thread, so it
  // reads and writes the mu_-guarded state without mu_ (except to publish the first snapshot).
  Status OpenFile() NO_THREAD_SAFETY_ANALYSIS;
  Status LockFile();
  Status Initialize() NO_THREAD_SAFETY_ANALYSIS;
  Status LoadMeta() NO_THREAD_SAFETY_ANALYSIS;
  Status LoadFreelist() NO_THREAD_SAFETY_ANALYSIS;
  Status RebuildFreelist(const Meta& meta, std::vector<Pgid>* free_ids) NO_THREAD_SAFETY_ANALYSIS;
  Result<std::shared_ptr<const MappedRegion>> MapFor(std::uint64_t min_bytes);
  Result<std::unique_ptr<TxImpl>> BeginRead();
  // Makes `meta` and `map` the snapshot new readers get.
  void PublishSnapshotLocked(const Meta& meta, std::shared_ptr<const MappedRegion> map)
      REQUIRES(mu_);
  // The oldest snapshot txid a registered reader holds (meta_.txid + 1 if none); frees
  // retired snapshots nobody holds. Called by the writer-token holder or Close.
  Txid OldestReaderLocked() REQUIRES(mu_);
  std::size_t MapSize(std::uint64_t min_bytes) const;

  std::string path_;
  Options options_;
  std::unique_ptr<FileSystem> owned_fs_;  // the in-memory file system of in_memory mode
  FileSystem* fs_ = nullptr;
  std::unique_ptr<File> file_;
  std::uint32_t page_size_ = 0;
  std::uint64_t file_size_ = 0;  // writer only (and Open)
  Freelist freelist_;            // writer only

  mutable Mutex mu_;
  CondVar writer_cv_;  // writer_active_ or closed_ changed
  bool writer_active_ GUARDED_BY(mu_) = false;
  Meta meta_ GUARDED_BY(mu_);
  std::shared_ptr<const MappedRegion> map_ GUARDED_BY(mu_);
  // Every snapshot not yet freed: the current one and retired ones readers may still hold.
  std::vector<std::unique_ptr<Snapshot>> snapshots_ GUARDED_BY(mu_);
  std::vector<const Snapshot*> held_ GUARDED_BY(mu_);  // scratch for OldestReaderLocked
  // Reader slots and the published snapshot (nullptr once closed); shared with every reader
  // TxImpl, whose Tx may outlive the DB.
  std::shared_ptr<ReaderTable> reader_table_ = std::make_shared<ReaderTable>();
  Status poisoned_ GUARDED_BY(mu_);
  DBStats stats_ GUARDED_BY(mu_);
  bool closed_ GUARDED_BY(mu_) = false;
  BatchQueue batch_;
  std::shared_ptr<ArenaBlockCache> arena_cache_;  // Options::arena_cache_bytes
};

}  // namespace larder::bolt::internal

#endif  // LARDER_BOLT_DB_IMPL_H_
