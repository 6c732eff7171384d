// Options for the LSM engine (include/larder/lsm/db.h): one store per directory.
//
// Every field has a default fit for a server with a few GiB of memory; the figures behind each
// default are in docs/benchmarks.md ("LSM engine"). Options are read at Open; changing the struct
// later has no effect on an open database.
#ifndef LARDER_LSM_OPTIONS_H_
#define LARDER_LSM_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace larder {
class FileSystem;
class Clock;
}  // namespace larder

namespace larder::lsm {

// How a table's data blocks are compressed. A block that does not shrink by at least 1/8 is
// stored uncompressed whatever this says.
enum class Compression : std::uint8_t { kNone = 0, kLz4 = 1, kZstd = 2 };

// A block cache (an LRU of uncompressed table blocks within a byte budget) that several
// databases can share through Options::block_cache, so that many small databases (larderd's
// queue partitions) have one budget instead of one each. Opaque; thread-safe.
class BlockCache;
std::shared_ptr<BlockCache> NewBlockCache(std::size_t capacity_bytes);

struct Options {
  // --- Opening -----------------------------------------------------------------------------
  // Create the directory and an empty database when none exists (else NotFound).
  bool create_if_missing = true;
  // Fail (InvalidArgument) when a database already exists in the directory.
  bool error_if_exists = false;
  // Open for reading only: no LOCK taken exclusively (a shared lock), no recovery writes, no
  // background work; writes fail with ReadOnly. A log tail left by a crash is replayed into
  // memory, not truncated.
  bool read_only = false;
  // The file system to use; nullptr means the operating system's. Not owned; must outlive the
  // database. Tests pass an in-memory or fault-injecting one.
  FileSystem* file_system = nullptr;
  // Keep the whole database on a private in-memory file system: the same engine and formats,
  // nothing survives Close. `file_system` must be nullptr.
  bool in_memory = false;
  // Time for TTLs (milliseconds since the Unix epoch); nullptr means the system clock. Not owned.
  Clock* clock = nullptr;
  // Recovery replays the value logs up to the first record that is not intact (point in time).
  // A crash only tears what was not synced yet, so that is normally a torn tail. When the
  // files prove the damaged record had been synced (a later log holds intact records: logs are
  // synced before the next one starts; or a later sync mark in the same log covers it), the
  // damage is bit rot or a stray write and stopping there would drop acknowledged writes:
  // false (the default) fails Open with Corruption naming the file and offset, changing nothing
  // on disk; true opens at the point before the damage, dropping those writes (a read-write
  // open then removes them from the logs). docs/lsm.md, "Open".
  bool drop_synced_writes_after_damage = false;

  // --- Writes ------------------------------------------------------------------------------
  // Bytes of writes a memtable takes before it is frozen and flushed to a level-0 table. Also
  // the size of each value-log file (one per memtable).
  std::size_t write_buffer_size = std::size_t{64} << 20;
  // Frozen memtables waiting for their flush before writers stop (graduated slowdown first).
  int max_immutable_memtables = 2;
  // Values of at least this many bytes stay in the value log, with a pointer in the tables;
  // smaller ones are copied into the tables at flush. 0 disables key-value separation.
  // Separated values are written once (no flush or compaction copies them) and read from a
  // mapping of their log; the price is value-log collection, which rewrites the live values
  // of a log half discarded, and space: up to about twice the live values. 4 KiB was chosen by
  // benchmark (docs/benchmarks.md, "Choosing value_threshold"): at 4 KiB and 16 KiB
  // separation led inline values in writes and reads; at 1 KiB collection halved overwrites.
  std::size_t value_threshold = std::size_t{4} << 10;
  // Logs and tables start the device writeback of each this many bytes written
  // (File::WriteBack: sync_file_range), so that the fsync of a log at a memtable switch (in the
  // writers' path) or of a table at its end finds little left to write instead of up to
  // write_buffer_size bytes. Durability is unchanged. 0: the kernel decides when to write.
  std::uint64_t writeback_bytes = std::uint64_t{1} << 20;
  // Value logs are extended ahead of their appends, by steps of the log's size so far (at
  // least 64 KiB, at most this many bytes; disk space reserved, reading as zeros), so that a
  // synced write finds the file's size already recorded: its fdatasync then writes the data
  // alone instead of also committing the file system's journal (ext4 on this project's
  // machine: about 1.4x more synced writes per second; docs/benchmarks.md). A log is cut back
  // to its records, durably, when it is finished (before the next log takes a write) and at
  // Close; after a crash, the zeros past the last record are the torn tail recovery expects.
  // Ignored in memory (in_memory). 0: logs grow by their appends.
  std::uint64_t log_preallocate_bytes = std::uint64_t{4} << 20;
  // Upper bound on the bytes of one group commit (the leader's batch plus followers').
  std::size_t max_write_group_bytes = std::size_t{1} << 20;

  // --- Value-log garbage collection (automatic; see docs/lsm.md) ---------------------------
  // A value-log file whose discarded (overwritten or deleted) value bytes reach this fraction
  // of its value bytes is rewritten in the background and then deleted.
  double vlog_gc_discard_ratio = 0.5;

  // --- Tables --------------------------------------------------------------------------------
  // Uncompressed bytes of a data block.
  std::size_t block_size = 4096;
  // Keys between restart points (full keys) in a data block; the others share a prefix.
  int block_restart_interval = 16;
  // Bloom filter bits per key (about 1% false positives at 10); 0 builds no filter.
  int bloom_bits_per_key = 10;
  // Compression of the tables of each level; levels past the vector's end use its last entry.
  std::vector<Compression> compression_per_level = {Compression::kNone, Compression::kNone,
                                                    Compression::kLz4};
  // The block cache shared by every table of the database, in bytes.
  std::size_t block_cache_bytes = std::size_t{32} << 20;
  // When set, the database uses this cache (shared with the other databases given it) instead
  // of one of its own; block_cache_bytes is then ignored, and Stats::block_cache_* describe the
  // shared cache.
  std::shared_ptr<BlockCache> block_cache;
  // Tables kept open (their index and filter in memory); the least recently used are closed.
  int max_open_tables = 1000;
  // Target size of a table written by a compaction.
  std::uint64_t target_file_size = std::uint64_t{64} << 20;
  // When positive, flushes and compactions also start a new table where the first
  // `table_cut_prefix_length` bytes of the user key change (a shorter key is its own prefix),
  // so that no table spans two prefixes. Meant for key spaces made of a few ranges that grow
  // at their tops at once, as the durable queue's payload and ready-entry ranges
  // (docs/formats/queue.md): each range's tables then move down the levels without the other
  // ranges' tables being rewritten with them. A flush may then write several tables; the
  // level-0 triggers below count flushes, not tables. 0 (the default): no prefix cuts.
  std::size_t table_cut_prefix_length = 0;
  // Read tables' data blocks through read-only memory mappings of their files: a block stored
  // uncompressed (levels 0 and 1 by default) is read where it lies in the OS page cache, with
  // no copy and without the block cache; its checksum is checked on its first read, which the
  // table remembers in 8 bytes per block (Stats::block_cache_* do not count these reads).
  // Compressed blocks are inflated from the mapping into the cache as before. Off: every block is
  // read with pread into the cache. Values in the value log (value_threshold) are likewise checked
  // and copied straight from a mapping of their log instead of read into a buffer. Costs address
  // space only (one mapping per open table, max_open_tables, and per value log read).
  bool mmap_reads = true;
  // Check every block's checksum on each read (the block cache holds checked blocks, so this
  // costs only on a cache miss). Tables and logs are always checked at open and recovery.
  bool verify_checksums = true;

  // --- Compaction and write slowdowns --------------------------------------------------------
  int num_levels = 7;
  // Level-0 counts of flushed memtables (the tables of one flush count once; docs/lsm.md,
  // "Flushes and compactions"): compact at `level0_compaction_trigger`; from
  // `level0_slowdown_trigger` writes are paced at `slowdown_write_rate` (below); at
  // `level0_stop_trigger` writers wait until compaction catches up.
  int level0_compaction_trigger = 4;
  int level0_slowdown_trigger = 12;
  int level0_stop_trigger = 24;
  // Bytes per second that writes may take while level 0 is at or past its slowdown trigger,
  // divided by 2 from 4 past it, by 3 from 8 and so on. A write group waits only for
  // the debt beyond 1 ms, so sparse small writes (a lease, a lock) pass at once and a burst is
  // held to the rate. Must be positive. docs/lsm.md, "Slowdowns and stops".
  std::uint64_t slowdown_write_rate = std::uint64_t{32} << 20;
  // Size of level 1; each deeper level is `level_size_multiplier` times larger.
  std::uint64_t max_bytes_for_level_base = std::uint64_t{256} << 20;
  double level_size_multiplier = 10;
  // Deletion-density trigger: a table whose tombstones make up at least this fraction of its
  // entries (and at least `deletion_compaction_min_entries` of them) is compacted even when its
  // level is within size, so delete-heavy key ranges (a queue's head) do not rot.
  double deletion_compaction_ratio = 0.5;
  std::uint64_t deletion_compaction_min_entries = 1000;
  // Background threads for flushes and compactions, in [1, 64]. Each takes a waiting flush
  // first (one flush runs at a time), else a compaction; compactions on disjoint tables run
  // side by side. Two let a flush go ahead while a long compaction runs, so writers are not
  // slowed down behind it.
  int background_threads = 2;
};

class Snapshot;

struct ReadOptions {
  // Read the state of this snapshot; nullptr reads the latest state.
  const Snapshot* snapshot = nullptr;
  // Check the checksum of every block read from a table, even when Options::verify_checksums
  // is off.
  bool verify_checksums = false;
  // Keep blocks read by this read out of the block cache (scans that should not evict the
  // working set).
  bool fill_cache = true;
};

}  // namespace larder::lsm

#endif  // LARDER_LSM_OPTIONS_H_
