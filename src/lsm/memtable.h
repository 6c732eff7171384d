// MemTable: the LSM engine's in-memory write buffer. Every write goes into the mutable memtable
// after its log record; when it is full the DB freezes it (no more Adds), flushes it to a table
// in the background and drops it once the table is installed, while readers may still use it.
//
// Structure: two SkipLists (skiplist.h) in one MemTableArena: the point entries (every type but
// kRangeDeletion) and the range deletions (user key = begin, value = end, exclusive), which are
// few and are consulted separately by the iterators above this layer.
//
// Thread-safety: Add requires external synchronization (one writer at a time, with a
// happens-before edge between successive writers). Everything else (Get, the iterators, the
// counters) is safe concurrently with one Add and with each other, without locks: a reader sees
// every entry whose Add happened before its read began (skiplist.h states the rule).
// Ownership and lifetime: hold it by std::shared_ptr (the DB, its iterators and flush share
// it). Every view it returns (Get's value, an iterator's key() and value()) points into its
// arena and stays valid while the MemTable lives, not only until the iterator moves; an
// iterator must not outlive the MemTable (hold the shared_ptr beside it).
#ifndef LARDER_LSM_MEMTABLE_H_
#define LARDER_LSM_MEMTABLE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "lsm/dbformat.h"
#include "lsm/internal_iterator.h"
#include "lsm/memtable_arena.h"
#include "lsm/skiplist.h"

namespace larder::lsm {

class MemTable {
 public:
  // `cache` (may be null) supplies the arena's blocks and takes them back when the MemTable is
  // destroyed, so that the next memtable finds its memory already faulted in.
  explicit MemTable(std::shared_ptr<ArenaBlockCache> cache = nullptr);
  MemTable(const MemTable&) = delete;
  MemTable& operator=(const MemTable&) = delete;

  // Adds one entry. kRangeDeletion: user_key is the range's begin, value its end (exclusive).
  // REQUIRES: external synchronization; (user_key, seq, type) not added before (sequences are
  // unique per entry, dbformat.h).
  void Add(SequenceNumber seq, ValueType type, std::string_view user_key, std::string_view value);

  // The newest point entry of key.user_key() with sequence <= the lookup's: true and its type
  // (any type but kRangeDeletion, including kDeletion), value and sequence; false when there is
  // none. Range deletions are not consulted. Any out-parameter may be null.
  bool Get(const LookupKey& key, ValueType* type, std::string_view* value,
           SequenceNumber* seq) const;
  // The same without building a LookupKey (no allocation); snapshots above kMaxSequenceNumber
  // read as kMaxSequenceNumber.
  bool Get(std::string_view user_key, SequenceNumber snapshot, ValueType* type,
           std::string_view* value, SequenceNumber* seq) const;

  // Every point entry (not the range deletions), in internal-key order. key()/value() stay
  // valid while the MemTable lives; status() is always OK.
  std::unique_ptr<InternalIterator> NewIterator() const;
  // The range deletions (key = begin ++ trailer, value = end) in internal-key order, or nullptr
  // when the memtable holds none (when the call began). Same lifetime rule.
  std::unique_ptr<InternalIterator> NewRangeTombstoneIterator() const;

  // Arena bytes taken by the entries and their nodes (what the memtable's size limit compares
  // against; the arena maps memory in 2 MiB blocks, memtable_arena.h).
  std::size_t ApproximateMemoryUsage() const {
    return memory_usage_.load(std::memory_order_relaxed);
  }
  // Entries added (point and range); of those, deletions (kDeletion and kRangeDeletion).
  std::uint64_t num_entries() const { return num_entries_.load(std::memory_order_relaxed); }
  std::uint64_t num_deletions() const { return num_deletions_.load(std::memory_order_relaxed); }
  std::uint64_t num_range_deletions() const {
    return num_range_deletions_.load(std::memory_order_relaxed);
  }
  // The smallest and largest sequence added; kMaxSequenceNumber and 0 while empty.
  SequenceNumber smallest_sequence() const {
    return smallest_sequence_.load(std::memory_order_relaxed);
  }
  SequenceNumber largest_sequence() const {
    return largest_sequence_.load(std::memory_order_relaxed);
  }
  bool empty() const { return num_entries() == 0; }

 private:
  MemTableArena arena_;
  SkipList points_;
  SkipList ranges_;
  // Written by the writer only (a load and a store, no read-modify-write); read by anyone.
  std::atomic<std::size_t> memory_usage_{0};
  std::atomic<std::uint64_t> num_entries_{0};
  std::atomic<std::uint64_t> num_deletions_{0};
  std::atomic<std::uint64_t> num_range_deletions_{0};
  std::atomic<SequenceNumber> smallest_sequence_{kMaxSequenceNumber};
  std::atomic<SequenceNumber> largest_sequence_{0};
};

}  // namespace larder::lsm

#endif  // LARDER_LSM_MEMTABLE_H_
