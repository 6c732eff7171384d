// Options for the time-series engine (include/larder/tsdb/db.h): one engine per directory.
//
// Options are read at Open; changing the struct later has no effect on an open engine. The
// memory and disk figures behind the defaults are in docs/tsdb.md.
#ifndef LARDER_TSDB_OPTIONS_H_
#define LARDER_TSDB_OPTIONS_H_

#include <cstddef>
#include <cstdint>

namespace larder {
class FileSystem;
class Clock;
}  // namespace larder

namespace larder::tsdb {

struct Options {
  // --- Opening -------------------------------------------------------------------------------
  // Create the directory and an empty engine when none exists (else NotFound).
  bool create_if_missing = true;
  // Open for inspection (`larder ts`, a check): LOCK taken shared, nothing written (no new
  // pair, torn tails not cut, the hot logs' samples replayed into memory and left on disk), no
  // background thread. CreateSeries, SetInterval, Add, SyncHotLog and FlushFullPages return
  // ReadOnly; queries, Info and Check work. NotFound when there is no engine in the directory.
  bool read_only = false;
  // The file system to use; nullptr means the operating system's. Not owned; must outlive the
  // engine. Tests pass an in-memory or fault-injecting one.
  FileSystem* file_system = nullptr;
  // Where the hot-log timer reads the time; nullptr means the system clock. Not owned. The
  // timer's thread also waits on the real clock in steps of at most 50 ms, so a ManualClock
  // advanced by a test is noticed within that step.
  Clock* clock = nullptr;

  // --- Memory --------------------------------------------------------------------------------
  // The page cache's budget in MiB ("page cache size"): encoded pages read from disk for
  // queries, evicted least recently used first. Hot pages (one per collected series, up to
  // 4096 bytes of samples each) are not counted here; docs/tsdb.md gives the RSS formula.
  std::size_t page_cache_mb = 32;

  // --- Disk ----------------------------------------------------------------------------------
  // The disk quota in MiB ("disk space"), for every file in the directory. When the files
  // exceed it the oldest datafile/journal pair is deleted at run time. The datafile size is
  // quota / 15, so that 10 to 20 pairs exist. At least 1.
  std::size_t disk_space_mb = 256;
  // Open datafiles and journals with O_DIRECT (aligned buffers), falling back to buffered I/O,
  // with a warning in the log, where the file system refuses it.
  bool direct_io = false;
  // series.meta keeps one record per deletion, late sample and interval change. When Open
  // finds at least this many records that a rewrite would drop (superseded intervals, ranges
  // merged into others, late samples replaced or deleted later), and at least as many as the
  // rewrite would keep, it rewrites the log with the same effective state (a new file, synced,
  // renamed over the old one). 0 disables the rewrite.
  std::uint64_t meta_compaction_records = 1024;

  // --- Durability ----------------------------------------------------------------------------
  // How often the hot-page log (samples not yet in a flushed page) is synced, in milliseconds,
  // whether or not samples arrive: a kill -9 or power loss loses at most this much of the
  // latest samples, never a flushed page. 0 disables the timer (SyncHotLog() by hand only).
  std::uint32_t hot_log_sync_ms = 1000;
  // Flush full pages from a background thread (true) or inside the Add that completes an
  // extent's worth of them (false: one thread does everything, as the ingest benchmark wants).
  bool background_flush = true;

  // --- Pages ---------------------------------------------------------------------------------
  // Samples a hot page holds before it is full and flushed: 512 doubles (4096 bytes) for a
  // series with an interval, 256 (time, value) pairs for an irregular one. Tests lower it.
  std::uint32_t page_samples = 512;
  // Pages packed into one extent and compressed together. Full pages wait in memory until this
  // many are pending (their samples are in the hot log meanwhile), so that zstd sees them
  // together: at most this many x 4096 bytes of pending pages. A quota below 16 MiB lowers it
  // to one page per 256 KiB of quota, so that the hot log stays a small part of the quota.
  std::uint32_t max_pages_per_extent = 64;

  // --- For tests -----------------------------------------------------------------------------
  // Close the open pair once datafile + journal reach this many bytes; 0 (the default) means
  // disk_space_mb / 15. Crash tests lower it to reach pair rotation with a small workload.
  std::uint64_t datafile_bytes_for_testing = 0;
  // Rotate the hot log once it exceeds this many bytes; 0 (the default) means
  // disk_space_mb / 40, at least 16 KiB.
  std::uint64_t hot_log_bytes_for_testing = 0;
};

}  // namespace larder::tsdb

#endif  // LARDER_TSDB_OPTIONS_H_
