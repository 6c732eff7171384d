// The time-series engine: series of (time, double) samples in one directory, compressed pages
// packed into extents in datafile/journal pairs under a disk quota (docs/tsdb.md; the formats:
// docs/formats/tsdb.md).
//
//   tsdb::Options options;
//   LARDER_ASSIGN_OR_RETURN(std::unique_ptr<tsdb::DB> db, tsdb::DB::Open("metrics", options));
//   LARDER_ASSIGN_OR_RETURN(tsdb::SeriesId cpu, db->CreateSeries("cpu.user", 1000));
//   LARDER_RETURN_IF_ERROR(db->Add(cpu, 1'700'000'000'000, 12.5));
//   std::vector<tsdb::Sample> out;
//   LARDER_RETURN_IF_ERROR(db->Range(cpu, 0, tsdb::kMaxTime, {}, &out));
//   LARDER_RETURN_IF_ERROR(db->Close());
//
// The directory:
//   datafile-1-0000000001.ndf     extents: compressed groups of encoded pages
//   journalfile-1-0000000001.njf  which pages went into which extent; replayed at Open
//   series.meta                   series names, ids, interval changes and deleted ranges
//   hotlog-0000000001.log         samples not yet in a flushed page, synced on a timer
//   LOCK                          held by the process that has the engine open
// A higher pair number is newer. The oldest pairs may be deleted while the engine is stopped;
// it opens with the rest and their series return nothing for the removed time.
//
// Durability: a page is durable once flushed (its extent synced, then its journal record);
// samples still in hot pages are durable once the hot log is synced (Options::hot_log_sync_ms,
// or SyncHotLog()). Close flushes every hot page, cut short, so nothing is lost at a clean stop.
//
// Errors, for every call: IOError and NoSpace from the file system; Corruption naming the file
// and offset when a checksum or a structure read from a file is wrong (never a crash); NotFound
// for an unknown series id or name; InvalidArgument as stated per call; Poisoned after a failed
// write or sync of the engine's files (every later write fails until reopened).
//
// Thread-safety: every method may be called concurrently from any number of threads. Adds to
// one series are serialised; queries run beside adds and see every sample added before they
// started.
//
// Lifetime: the DB must outlive nothing it returns: results are copied into the caller's
// vectors. Close (or the destructor, which ignores errors) stops the background thread.
#ifndef LARDER_TSDB_DB_H_
#define LARDER_TSDB_DB_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "larder/result.h"
#include "larder/status.h"
#include "larder/tsdb/options.h"

namespace larder::tsdb {

using SeriesId = std::uint32_t;

// Times are milliseconds, 0 <= time_ms <= kMaxTime (RedisTimeSeries' timestamps).
inline constexpr std::int64_t kMaxTime = (std::int64_t{1} << 62) - 1;

struct Sample {
  std::int64_t time_ms = 0;
  double value = 0;
  friend bool operator==(const Sample&, const Sample&) = default;
};

// Aggregations over buckets (RedisTimeSeries' names): std.p and var.p are the population
// standard deviation and variance, std.s and var.s the sample ones (n - 1; 0 for one sample);
// range is max - min. twa (time-weighted average) needs samples outside the bucket: larderd
// computes it; Range refuses it (InvalidArgument).
enum class Aggregation {
  kAvg,
  kMin,
  kMax,
  kSum,
  kCount,
  kFirst,
  kLast,
  kRange,
  kStdP,
  kVarP,
  kStdS,
  kVarS,
  kTwa,
};

struct RangeOptions {
  bool reverse = false;  // newest first
  // Aggregate into buckets of this many milliseconds (0: raw samples). Buckets are aligned to
  // the epoch (start = time - time % bucket_ms) and reported at their start; empty buckets are
  // left out.
  std::int64_t bucket_ms = 0;
  Aggregation aggregation = Aggregation::kAvg;
  // Raw queries only (bucket_ms == 0): at most this many samples, the first in the order
  // returned (0: all). With reverse, the newest `limit`: the last sample is limit 1, and only
  // the newest pages are read.
  std::size_t limit = 0;
};

struct SeriesInfo {
  SeriesId id = 0;
  std::string name;
  std::int64_t interval_ms = 0;  // 0: irregular
  // Oldest time still stored; -1 when none. After a Delete it may be the time of a deleted
  // sample in a page that still holds others (a lower bound, cheap to compute).
  std::int64_t first_time_ms = -1;
  // Newest sample ever added, deleted or not (Add needs a later time); -1 when none.
  std::int64_t last_time_ms = -1;
  std::uint64_t pages_on_disk = 0;
  std::uint32_t hot_samples = 0;  // in memory, not yet in a flushed page
};

struct Stats {
  std::uint32_t pairs = 0;            // datafile/journal pairs, the open one included
  std::uint64_t disk_bytes = 0;       // every file of the directory
  std::uint64_t datafile_target = 0;  // bytes after which a datafile is closed
  std::uint64_t pages_flushed = 0;    // since Open
  std::uint64_t pairs_deleted = 0;    // by the quota, since Open
  std::uint64_t cache_bytes = 0;      // page cache contents
  std::uint64_t cache_hits = 0;
  std::uint64_t cache_misses = 0;
  std::uint64_t samples_recovered = 0;  // from the hot log at Open
  // series.meta records Open's compaction dropped (superseded intervals, merged deleted
  // ranges, late samples replaced or deleted); 0 when the log was not rewritten.
  std::uint64_t meta_records_compacted = 0;
  bool direct_io = false;  // in effect for the open pair
};

class DB {
 public:
  // Opens (or creates, with create_if_missing) the engine in `dir`: replays the journals, then
  // the hot log (Options::read_only: for inspection, writing nothing). Errors: NotFound (no
  // engine and !create_if_missing, or read_only), Busy (another open holds LOCK: a writer
  // excludes every other open, readers only writers), InvalidArgument (bad options), Corruption
  // (series.meta damaged before its tail; a damaged journal record or hot-log record ends that
  // file's replay: a torn tail, cut and logged).
  static Result<std::unique_ptr<DB>> Open(const std::string& dir, const Options& options);
  virtual ~DB() = default;

  // Creates a series; `interval_ms` is its collection interval (0: irregular samples). Durable
  // when it returns. AlreadyExists when the name is taken; InvalidArgument for an empty name
  // or a negative interval.
  virtual Result<SeriesId> CreateSeries(std::string_view name, std::int64_t interval_ms) = 0;
  // NotFound when no series has that name.
  virtual Result<SeriesId> FindSeries(std::string_view name) = 0;
  // Drops a series: durable when it returns (a record in series.meta). Its name becomes free:
  // a later CreateSeries of it gets a new id and starts empty. The dropped id answers NotFound
  // to every call and ListSeries leaves it out. Its flushed pages stay on disk until the quota
  // removes their pair, and are never returned. NotFound for an unknown (or dropped) id.
  virtual Status DropSeries(SeriesId id) = 0;
  // Changes the collection interval: the hot page is cut, samples before keep their spacing.
  virtual Status SetInterval(SeriesId id, std::int64_t interval_ms) = 0;

  // Appends one sample. InvalidArgument when time_ms is out of [0, kMaxTime] or not after the
  // series' last sample (time_ms <= last_time_ms). Cheap: a lock and a store into the hot page;
  // a full page goes to the background flusher.
  virtual Status Add(SeriesId id, std::int64_t time_ms, double value) = 0;

  // Sets the sample at time_ms to `value`, whatever the series holds: after last_time_ms it is an
  // Add; at or before it (an out-of-order sample, or a new value for a stored one) it is a
  // *late sample*: a record in series.meta, synced before it returns, and an entry in memory
  // that every read lays over the stored samples (24 bytes or so each, never compacted into
  // pages: meant for occasional corrections, not a second ingest path). InvalidArgument when
  // time_ms is out of [0, kMaxTime].
  virtual Status Upsert(SeriesId id, std::int64_t time_ms, double value) = 0;

  // Deletes the samples with from_ms <= time <= to_ms and returns how many there were (samples
  // the quota removes at the same moment may be counted). Durable when it returns (a record in
  // series.meta); every later read, and every read after a reopen or a crash, leaves them out.
  // Pages whose whole span is deleted leave the page index (their bytes go with their pair).
  // Adds still need a time after last_time_ms, deleted or not (Upsert writes before it).
  // InvalidArgument when from_ms > to_ms or either is out of [0, kMaxTime]. Deletes of one series
  // are serialised.
  virtual Result<std::uint64_t> Delete(SeriesId id, std::int64_t from_ms, std::int64_t to_ms) = 0;

  // The samples (or buckets, see RangeOptions) with from_ms <= time <= to_ms, appended to
  // `*out`, oldest first (newest first with reverse). Time removed by the quota or by Delete
  // returns nothing. Corruption when an extent it needs is damaged (file and offset named).
  virtual Status Range(SeriesId id, std::int64_t from_ms, std::int64_t to_ms,
                       const RangeOptions& options, std::vector<Sample>* out) = 0;

  virtual Result<SeriesInfo> Info(SeriesId id) = 0;
  virtual std::vector<SeriesInfo> ListSeries() = 0;
  virtual Stats GetStats() = 0;

  // Writes and syncs the hot log now (the timer does this every hot_log_sync_ms).
  virtual Status SyncHotLog() = 0;
  // Flushes every full page now, even fewer than an extent's worth (the flusher otherwise waits
  // for max_pages_per_extent of them; their samples are in the hot log meanwhile).
  virtual Status FlushFullPages() = 0;
  // Reads every extent of every pair and checks its checksum and pages; returns the first
  // problem (Corruption naming file and offset) after looking at all of them, `*problems`
  // counting them.
  virtual Status Check(std::uint64_t* problems) = 0;

  // Flushes every hot page (cut short), syncs, stops the background thread. Later calls
  // other than Close fail with InvalidArgument.
  virtual Status Close() = 0;
};

}  // namespace larder::tsdb

#endif  // LARDER_TSDB_DB_H_
