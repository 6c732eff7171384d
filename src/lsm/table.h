// Table: a sorted table (.sst) opened for reading (format in docs/formats/lsm.md, "Sorted
// tables"; written by TableBuilder).
//
// Open reads and checks the footer, the index, the filter, the properties and the
// range-deletion block, and keeps them in memory; data blocks are read on demand, through the
// block cache when there is one. A table opened with `map_file` reads its data blocks from a
// read-only memory mapping of the file: a block stored uncompressed is used where it lies,
// without the cache (its checksum and restart array are checked on its first read, and the
// table remembers the result in a word per block, so later reads take no lock, hash lookup or
// reference count), a compressed one is inflated from the mapping into the cache. Every block
// is bounds-checked and (on a read from the file) checksummed: damage gives Corruption naming
// the file and the block's offset, never a crash or a wrong answer.
//
// Lifetime: iterators made by a Table must be destroyed before it. The Table owns its File and
// its mapping. The cache (when given) must outlive the Table; it holds no block that views the
// mapping, so a closed table's mapping (and a deleted file) is let go at once.
//
// Thread-safety: every const method may run concurrently. After Open the table changes only
// in its per-block words (set once each, to a value computed from the immutable file; relaxed
// atomics).
#ifndef LARDER_LSM_TABLE_H_
#define LARDER_LSM_TABLE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "larder/file_system.h"
#include "larder/result.h"
#include "larder/status.h"
#include "lsm/block.h"
#include "lsm/block_cache.h"
#include "lsm/dbformat.h"
#include "lsm/filter.h"
#include "lsm/internal_iterator.h"
#include "lsm/table_format.h"

namespace larder::lsm {

class Table {
 public:
  // Opens the table of `file_size` bytes at the start of `file`. `cache_id` names this open
  // table in `cache` (BlockCache::NewId()); `cache` may be nullptr. With `verify_checksums`,
  // Open also checks every data block (as VerifyAll does, without the order checks). With
  // `map_file`, data blocks are read from a memory mapping (see above); when the file system
  // cannot map the file, the table reads with ReadAt instead.
  static Result<std::unique_ptr<Table>> Open(std::unique_ptr<File> file, std::uint64_t file_size,
                                             std::uint64_t cache_id, BlockCache* cache,
                                             bool verify_checksums, bool map_file = false);
  ~Table();
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  // Every entry of the data blocks (range deletions excluded), in internal-key order.
  // `fill_cache` false keeps the blocks it reads out of the cache.
  std::unique_ptr<InternalIterator> NewIterator(bool verify_checksums, bool fill_cache) const;

  // Point read: the first entry >= key.internal_key() with the same user key, when the filter
  // says the user key may be here. *found = false when there is none. Range deletions are not
  // applied (the caller reads NewRangeTombstoneIterator).
  [[nodiscard]] Status Get(const LookupKey& key, bool verify_checksums, bool* found,
                           std::string* internal_key_out, std::string* value_out) const;

  // The range-deletion entries (key: begin ++ trailer, value: end user key), sorted; nullptr
  // when the table has none.
  std::unique_ptr<InternalIterator> NewRangeTombstoneIterator() const;

  // False only when no entry of `user_key` is in the table (the Bloom filter's answer).
  bool KeyMayMatch(std::string_view user_key) const { return filter_.KeyMayMatch(user_key); }

  const TableProperties& properties() const { return props_; }
  // Bytes this open table holds in memory (index, filter, range deletions): what a table
  // cache charges for keeping it open. Data blocks are charged to the block cache.
  std::size_t ApproximateMemoryUsage() const;
  const std::string& path() const { return file_->path(); }
  std::uint64_t file_size() const { return file_size_; }

  // The file offset at which the data for `internal_key` would be (the start of its block;
  // the end of the data blocks when it is past the last key).
  std::uint64_t ApproximateOffsetOf(std::string_view internal_key) const;

  // Reads every block and checks its checksum, that keys increase across the whole table, that
  // the index separates the blocks, and that the properties count what is there. For
  // `larder lsm check`.
  [[nodiscard]] Status VerifyAll() const;

  // The data block at `h`: through the cache, or (mapped and stored uncompressed) a view of the
  // mapping that the cache does not keep.
  Result<std::shared_ptr<const Block>> ReadDataBlock(BlockHandle h, bool verify_checksums,
                                                     bool fill_cache) const;
  // For the table's readers: points `*data` at the data block of the entry under `index` (a
  // valid cursor of NewIndexIterator()) whose handle is `h` (DecodeIndexValue). A mapped block
  // stored uncompressed is borrowed from the mapping (valid while the table is); any other
  // block is ReadDataBlock's. On error `*data` is left as it was.
  [[nodiscard]] Status LoadDataBlock(const BlockIter& index, BlockHandle h, bool verify_checksums,
                                     bool fill_cache, std::optional<BlockIter>* data) const;
  // A cursor over the index block (separator -> encoded BlockHandle).
  std::unique_ptr<BlockIter> NewIndexIterator() const;
  // index->Seek(target) for a cursor of NewIndexIterator(), narrowed first by the separators'
  // key prefixes held in memory (one array of 8-byte integers instead of a search through the
  // index block's keys, which a cold seek pays a cache miss each for).
  void SeekIndex(std::string_view target, BlockIter* index) const;
  // Decodes an index entry's value; Corruption naming the file when it is bad.
  [[nodiscard]] Status DecodeIndexValue(std::string_view value, BlockHandle* h) const;

 private:
  Table() = default;
  Status ReadMetaBlock(BlockHandle h, std::string_view what, std::string* out) const;
  // When every index entry is a restart point (as TableBuilder writes them), so that an index
  // cursor's restart_index() numbers the data blocks: sets up index_prefixes_, and
  // mapped_blocks_ when the table is mapped.
  void InitBlockNumbering();
  // Checks the mapped block at `h` on its first read: its mapped_blocks_ word.
  Result<std::uint64_t> CheckMappedBlock(BlockHandle h) const;

  std::unique_ptr<File> file_;
  std::uint64_t file_size_ = 0;
  std::uint64_t data_end_ = 0;  // where the data blocks end
  std::uint64_t cache_id_ = 0;
  BlockCache* cache_ = nullptr;
  // The whole file, mapped (nullptr: blocks are read with ReadAt). Its size is file_size_.
  std::shared_ptr<const MappedRegion> map_;
  // One word per data block (by index entry ordinal) when map_ is set: 0 until its first read,
  // then kMappedView with its BlockLayout, or kMappedCompressed (read through the cache). A
  // word is written once from the file's immutable bytes, so relaxed atomics suffice (two
  // first readers write the same value). nullptr: not mapped, or the index is not one entry
  // per restart point.
  std::unique_ptr<std::atomic<std::uint64_t>[]> mapped_blocks_;
  // KeyHead of each index entry's separator, by ordinal (nondecreasing); nullptr when
  // the index is not one entry per restart point.
  std::unique_ptr<std::uint64_t[]> index_prefixes_;
  std::uint32_t num_blocks_ = 0;  // index entries, when index_prefixes_ is set
  Footer footer_;
  std::shared_ptr<const Block> index_;
  std::shared_ptr<const Block> range_dels_;  // nullptr when none
  FilterReader filter_;
  TableProperties props_;
};

}  // namespace larder::lsm

#endif  // LARDER_LSM_TABLE_H_
