// Options for opening a bolt database (a bbolt 1.3.x-compatible single-file B+tree).
#ifndef LARDER_BOLT_OPTIONS_H_
#define LARDER_BOLT_OPTIONS_H_

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace larder {
class FileSystem;
}

namespace larder::bolt {

struct Options {
  // Page size of a NEW file; an existing file keeps the size in its meta page. 0 means the OS
  // page size. Otherwise a power of two from 1024 to 65536.
  std::uint32_t page_size = 0;

  // Open for reading only: a shared file lock, no write transactions, nothing ever written.
  bool read_only = false;

  // How long Open waits for the file lock (exclusive for read-write, shared for read-only).
  // Zero waits forever, as bbolt does. Expiry gives a Busy status.
  std::chrono::milliseconds lock_timeout{0};

  // Skip fdatasync at commit. A process crash loses nothing, a power loss may lose or damage
  // recent commits. For tests, benchmarks and bulk loads only.
  bool no_sync = false;

  // Skip the fsync after growing the file (bbolt's NoGrowSync).
  bool no_grow_sync = false;

  // Do not write the freelist at commit (faster commits); it is rebuilt at open by scanning the
  // tree, which makes open slower on large files. The file stays readable by bbolt.
  bool no_freelist_sync = false;

  // Default fill percent for splitting pages, clamped to [0.1, 1.0]. Bucket::SetFillPercent
  // overrides it per bucket and transaction. A page that took only appends in a transaction
  // (keys past its last key, no deletes) is split packed full whatever this says, as LMDB
  // does: nothing would ever refill the rest of it.
  double fill_percent = 0.5;

  // Map at least this many bytes at open, so that a growing file is remapped less often.
  std::size_t initial_mmap_size = 0;

  // Refuse commits that would grow the file past this many bytes (NoSpace). 0: no limit.
  std::uint64_t max_size = 0;

  // Memory of ended write transactions (their copies of pages, nodes, keys and values) kept
  // for the next ones, up to this many bytes per DB; the rest goes back to malloc. A
  // transaction that finds none allocates afresh, and the kernel faults each new page in: for
  // one that rewrites hundreds of MiB of pages that costs more than writing them. Above 32 MiB,
  // the DB keeps at most twice what its last write transaction used (32 MiB at least), so that
  // a burst's memory is not held through lighter transactions after it. Kept memory counts in
  // the process's RSS until a write transaction reuses it or DB::ReleaseCachedMemory frees it
  // (DBStats::arena_cache_bytes shows it). 0 keeps nothing; unused by a read-only DB.
  std::size_t arena_cache_bytes = std::size_t{32} << 20;

  // Keep the database in memory instead of a file: the same engine over memory pages. The path
  // given to Open is only a name. Nothing survives Close. `in_memory_max_bytes` caps its size.
  bool in_memory = false;
  std::size_t in_memory_max_bytes = std::size_t{1} << 32;

  // The file system to use; nullptr means the operating system's. Not owned; must outlive the
  // database. Tests pass an in-memory or fault-injecting one.
  FileSystem* file_system = nullptr;

  // Run the consistency check after every commit and fail the commit on a problem
  // (bbolt's StrictMode). Slow; for tests.
  bool strict_mode = false;
};

}  // namespace larder::bolt

#endif  // LARDER_BOLT_OPTIONS_H_
