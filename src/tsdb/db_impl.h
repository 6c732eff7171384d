// DBImpl: the time-series engine behind include/larder/tsdb/db.h.
//
// State and locks (the rule: delete_mu_ before flush_mu_ before hot_mu_ before mu_; no lock is
// taken while mu_ is held, and mu_ is never held across file I/O except series.meta's small
// appends):
//   delete_mu_ serialises Delete (counting, then recording): held across a Range.
//   mu_       series_ (hot pages, page refs, deleted ranges), names_, pending_, unlogged_, pairs_,
//   counters,
//             closed_, bg_error_.
//   flush_mu_ the open pair's writers (datafile, journal), pair rotation and quota deletion:
//             held by whoever flushes (the background thread, Close, an Add without
//             background_flush).
//   hot_mu_   the hot-log writer and its rotation: held by the timer's sync, by SyncHotLog, and
//             by an Add that finds unlogged_threshold_ samples waiting (try_lock: it never
//             waits for a sync).
// Invariants: a series' pages_ are in time order and older than its pending pages, which are
// older than its hot page; a pending page stays in pending_ until its PageRefs are in pages_
// (so a query always finds a sample in exactly one of the three); every sample added and not
// yet written to the hot log is in unlogged_; a deleted range never reaches past the series'
// last_time when recorded, so a later Add is never hidden by it; no page in pages_ lies wholly
// in a deleted range; no late sample lies in a deleted range recorded after it (Delete erases
// them), so reads apply the deleted ranges to the stored samples and then lay the late ones
// over them.
#ifndef LARDER_TSDB_DB_IMPL_H_
#define LARDER_TSDB_DB_IMPL_H_

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "larder/clock.h"
#include "larder/file_system.h"
#include "larder/tsdb/db.h"
#include "tsdb/deleted_ranges.h"
#include "tsdb/hot_page.h"
#include "tsdb/page_cache.h"
#include "tsdb/record_log.h"

namespace larder::tsdb {

// A flushed page: where it lies and what it covers.
struct PageRef {
  std::uint32_t pair = 0;
  std::uint32_t extent_size = 0;
  std::uint64_t extent_offset = 0;
  std::uint32_t raw_offset = 0;
  std::uint32_t raw_length = 0;
  std::int64_t start = 0;
  std::int64_t end = 0;
};

class DBImpl final : public DB {
 public:
  DBImpl(std::string dir, const Options& options);
  ~DBImpl() override;
  Status Open();

  Result<SeriesId> CreateSeries(std::string_view name, std::int64_t interval_ms) override;
  Result<SeriesId> FindSeries(std::string_view name) override;
  Status DropSeries(SeriesId id) override;
  Status SetInterval(SeriesId id, std::int64_t interval_ms) override;
  Status Add(SeriesId id, std::int64_t time_ms, double value) override;
  Status Upsert(SeriesId id, std::int64_t time_ms, double value) override;
  Result<std::uint64_t> Delete(SeriesId id, std::int64_t from_ms, std::int64_t to_ms) override;
  Status Range(SeriesId id, std::int64_t from_ms, std::int64_t to_ms, const RangeOptions& options,
               std::vector<Sample>* out) override;
  Result<SeriesInfo> Info(SeriesId id) override;
  std::vector<SeriesInfo> ListSeries() override;
  Stats GetStats() override;
  Status SyncHotLog() override;
  Status FlushFullPages() override;
  Status Check(std::uint64_t* problems) override;
  Status Close() override;

 private:
  struct Series {
    SeriesId id = 0;
    std::string name;
    std::int64_t interval = 0;
    std::int64_t last_time = -1;
    std::deque<PageRef> pages;
    HotPage hot;
    DeletedRanges deleted;
    std::map<std::int64_t, double> late;  // Upsert at or before last_time: over everything
    // DropSeries: out of names_, no pages, hot samples, ranges or late samples; its id stays
    // taken (ids are dense) and answers NotFound. Its pending pages are still flushed (the
    // flusher pops pending_ in order) but their refs are not kept.
    bool dropped = false;
  };
  struct PendingPage {
    SeriesId id = 0;
    std::int64_t interval = 0;
    std::vector<Sample> samples;
  };
  struct Pair {
    std::uint32_t number = 0;
    std::string data_path, journal_path;
    std::shared_ptr<File> reader;  // opened at first use
    std::mutex reader_mu;          // guards reader's opening
  };
  struct Logged {
    SeriesId id;
    std::int64_t time;
    double value;
  };

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::string DataName(std::uint32_t n) const;
  std::string JournalName(std::uint32_t n) const;
  std::string HotLogName(std::uint32_t n) const;

  // Open's steps (db_open.cc).
  Status ReplayMeta();
  Status ReplayJournal(Pair* pair);
  Status ReplayHotLogs(const std::vector<std::uint32_t>& numbers);
  Status ApplyMetaRecord(RecordType type, std::string_view payload);
  // series.meta's compaction (db_meta.cc). REQUIRES: Open, before any other thread exists.
  // The records a rewrite of series.meta would keep: one per series, deleted range and late
  // sample.
  std::uint64_t MetaRecordsNeeded() const;
  // Rewrites series.meta at `path` with exactly the replayed state: into `path`.compact (a
  // leftover one removed first), synced, renamed over `path`, the directory synced.
  Status CompactMeta(const std::string& path);

  Status AddLocked(Series& s, std::int64_t t, double v);  // REQUIRES: mu_ held
  void CutLocked(Series& s);                              // REQUIRES: mu_ held
  Status CheckOpenLocked() const;                         // REQUIRES: mu_ held
  // The live series `id`, or nullptr when unknown or dropped. REQUIRES: mu_ held.
  Series* LiveLocked(SeriesId id) const;

  // REQUIRES: flush_mu_ held.
  // Writes pending pages, max_pages_per_extent to an extent; with !all only while a whole
  // extent's worth is pending (the rest waits: the hot log holds its samples).
  Status FlushPendingLocked(bool all);
  Status OpenNewPairLocked(std::uint32_t number);
  Status ClosePairWritersLocked();
  Status EnforceQuotaLocked();
  // REQUIRES: hot_mu_ held.
  Status SyncHotLogLocked();
  // Appends unlogged_ to the hot log; may_rotate: rotates a log grown past its limit.
  Status WriteHotLogLocked(bool sync, bool may_rotate);
  Status RotateHotLogLocked();

  struct ExtentHandle {
    PageKey key;
    std::shared_ptr<const std::string> raw;  // decompressed
  };
  Status ReadPage(Pair* pair, const PageRef& ref, bool use_cache, ExtentHandle* extent,
                  std::string_view* page);
  Result<std::shared_ptr<File>> Reader(Pair* pair);
  void BackgroundLoop();
  void SetBackgroundError(const Status& s);

  const std::string dir_;
  Options options_;
  FileSystem* fs_;
  Clock* clock_;
  std::uint64_t quota_bytes_;
  std::uint64_t datafile_target_;
  std::uint64_t hot_log_limit_;
  std::uint32_t extent_pages_;
  std::size_t unlogged_threshold_;  // unlogged_ samples after which an Add writes them  // pages to
                                    // an extent: max_pages_per_extent, less under a small quota
  PageCache cache_;
  std::unique_ptr<File> lock_;

  std::mutex delete_mu_;
  std::mutex flush_mu_;
  std::unique_ptr<AppendWriter> data_writer_;  // flush_mu_
  std::unique_ptr<RecordWriter> journal_;      // flush_mu_
  std::uint32_t open_pair_ = 0;                // flush_mu_

  std::mutex hot_mu_;
  std::unique_ptr<RecordWriter> hot_log_;  // hot_mu_
  std::uint32_t hot_log_number_ = 0;       // hot_mu_
  // The hot log's size after its last rotation; written under hot_mu_, read by the quota.
  std::atomic<std::uint64_t> hot_log_base_{0};

  std::mutex mu_;
  std::condition_variable cv_;  // pending_ grew, or stop_
  std::vector<std::unique_ptr<Series>> series_;
  std::unordered_map<std::string, SeriesId> names_;
  std::deque<std::shared_ptr<PendingPage>> pending_;
  std::vector<Logged> unlogged_;
  std::map<std::uint32_t, std::shared_ptr<Pair>> pairs_;
  std::unique_ptr<RecordWriter> meta_;  // mu_
  Stats stats_;
  Status bg_error_;
  bool closed_ = false;
  bool stop_ = false;
  std::thread bg_;
};

}  // namespace larder::tsdb

#endif  // LARDER_TSDB_DB_IMPL_H_
