// TableCache: the open Tables of one database, at most Options::max_open_tables of them, the
// least recently used closed first; every Table shares the database's BlockCache.
//
// A Table is handed out as std::shared_ptr<const Table>: an iterator or a read holding one keeps
// it open after eviction (its File closes when the last holder lets go). A table file is never
// reopened for the same number after Evict (the file is deleted then), and a failed open is not
// cached: the next read tries again and reports the error again.
//
// Lock rule: mu_ guards the map and the LRU list; Table::Open (I/O) runs without it, so two
// threads missing on the same table may both open it: the first to insert wins, the other copy
// is dropped.
//
// Thread-safety: every method is thread-safe.
#ifndef LARDER_LSM_TABLE_CACHE_H_
#define LARDER_LSM_TABLE_CACHE_H_

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>

#include "base/mutex.h"
#include "base/thread_annotations.h"
#include "larder/file_system.h"
#include "larder/result.h"

namespace larder::lsm {

class BlockCache;
class InternalIterator;
class Table;

class TableCache {
 public:
  // `fs` and `cache` (may be nullptr) must outlive the TableCache. `map_files`: tables read
  // their data blocks from memory mappings (Options::mmap_reads).
  TableCache(std::string dir, FileSystem* fs, BlockCache* cache, int max_open,
             bool map_files = false);
  ~TableCache();

  // The open table `number` of `file_size` bytes, opening it when needed.
  Result<std::shared_ptr<const Table>> Get(std::uint64_t number, std::uint64_t file_size);
  // Forgets table `number` (its file is being deleted).
  void Evict(std::uint64_t number);
  int open_tables() const;
  // An iterator over table `number`'s entries that keeps the table open while it lives; an
  // error iterator (status() set) when the table cannot be opened.
  std::unique_ptr<InternalIterator> NewIterator(std::uint64_t number, std::uint64_t file_size,
                                                bool verify_checksums, bool fill_cache);

 private:
  struct Entry {
    std::shared_ptr<const Table> table;
    std::list<std::uint64_t>::iterator lru;
  };

  const std::string dir_;
  FileSystem* const fs_;
  BlockCache* const cache_;
  const std::size_t max_open_;
  const bool map_files_;
  mutable Mutex mu_;
  std::unordered_map<std::uint64_t, Entry> map_ GUARDED_BY(mu_);
  std::list<std::uint64_t> lru_ GUARDED_BY(mu_);  // front: most recently used
};

}  // namespace larder::lsm

#endif  // LARDER_LSM_TABLE_CACHE_H_
