// BlockCache: the LRU cache of uncompressed, checksum-verified table blocks shared by every
// table of a database, within a byte budget (Options::block_cache_bytes).
//
// Keys are (cache_id, block offset): each opened table takes a fresh id from NewId(), so a
// table reopened (or a file number reused) never sees another table's blocks. Values are
// std::shared_ptr<const Block>: an iterator holding a block keeps it alive after eviction;
// the budget counts only the blocks the cache itself holds.
//
// Sharding: 16 shards chosen by a hash of the key, each with its own mutex, LRU list, map and a
// sixteenth of the budget.
//
// Lock rule: a shard's members are read and written only with that shard's `mu` held; no
// thread holds two shard locks at once; nothing is called under a shard lock that could take
// another lock (Block destructors run outside it: evicted blocks are released after unlock).
// Counters (hits, misses) are relaxed atomics, read without a lock.
//
// Invariants, per shard, with `mu` held:
//   - `map` and `lru` hold the same entries; `lru` is ordered most recently used first.
//   - `usage` is the sum of the entries' charges (Block::memory_usage() plus a fixed
//     overhead).
//   - after an Insert returns, usage <= capacity, except that a block larger than the whole
//     shard's capacity is not inserted at all.
//
// Thread-safety: every method is thread-safe.
#ifndef LARDER_LSM_BLOCK_CACHE_H_
#define LARDER_LSM_BLOCK_CACHE_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <unordered_map>

#include "base/mutex.h"
#include "larder/lsm/options.h"
#include "lsm/block.h"

namespace larder::lsm {

class BlockCache {
 public:
  explicit BlockCache(std::size_t capacity_bytes);
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;

  // A cache id never returned before by this cache.
  std::uint64_t NewId() { return next_id_.fetch_add(1, std::memory_order_relaxed); }

  // The block, or nullptr. Counts a hit or a miss; a hit becomes the most recently used.
  std::shared_ptr<const Block> Lookup(std::uint64_t cache_id, std::uint64_t offset);
  // Inserts (or replaces) the block, evicting the least recently used ones over budget.
  void Insert(std::uint64_t cache_id, std::uint64_t offset, std::shared_ptr<const Block> block);
  // Drops every block (tests, and a database closing its cache).
  void Clear();

  std::size_t capacity() const { return capacity_; }
  std::size_t usage() const;  // bytes charged by the blocks held now
  std::uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  std::uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }
  std::size_t entries() const;

  // Bytes charged per entry beyond the block's memory_usage() (list and map nodes, control
  // block).
  static constexpr std::size_t kEntryOverhead = 96;

 private:
  struct Key {
    std::uint64_t id;
    std::uint64_t offset;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const;
  };
  struct Entry {
    Key key;
    std::shared_ptr<const Block> block;
    std::size_t charge;
  };
  struct Shard {
    mutable Mutex mu;
    std::list<Entry> lru GUARDED_BY(mu);  // front: most recently used
    std::unordered_map<Key, std::list<Entry>::iterator, KeyHash> map GUARDED_BY(mu);
    std::size_t usage GUARDED_BY(mu) = 0;
  };
  static constexpr std::size_t kShards = 16;
  Shard& ShardFor(const Key& k) { return shards_[KeyHash()(k) % kShards]; }

  const std::size_t capacity_;
  const std::size_t shard_capacity_;
  std::array<Shard, kShards> shards_;
  std::atomic<std::uint64_t> next_id_{1};
  std::atomic<std::uint64_t> hits_{0};
  std::atomic<std::uint64_t> misses_{0};
};

}  // namespace larder::lsm

#endif  // LARDER_LSM_BLOCK_CACHE_H_
