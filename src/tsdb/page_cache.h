// The page cache: pages read from disk for queries, kept as the decompressed extents that hold
// them (an extent packs pages of many series, so a query over many series decompresses each
// extent once), within a byte budget, the least recently used evicted first (docs/tsdb.md,
// "Memory").
//
// Invariant: bytes_ == sum of the sizes of the entries in map_; lru_ lists exactly the keys of
// map_, most recently used first; bytes_ <= budget_ after every Insert returns (an entry larger
// than the budget is not kept).
// Lock rule: mu_ guards everything; no call made while holding it leaves the class.
// Thread-safety: every method may be called concurrently.
#ifndef LARDER_TSDB_PAGE_CACHE_H_
#define LARDER_TSDB_PAGE_CACHE_H_

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace larder::tsdb {

// An extent (raw_offset 0) or a page in it: its pair, its extent's offset in the datafile, its
// offset in the extent's raw bytes.
struct PageKey {
  std::uint32_t pair = 0;
  std::uint64_t extent_offset = 0;
  std::uint32_t raw_offset = 0;
  friend bool operator==(const PageKey&, const PageKey&) = default;
};

class PageCache {
 public:
  explicit PageCache(std::size_t budget_bytes) : budget_(budget_bytes) {}

  // The page, or nullptr. The returned bytes stay valid while the caller holds the pointer.
  std::shared_ptr<const std::string> Lookup(const PageKey& key);
  void Insert(const PageKey& key, std::shared_ptr<const std::string> page);
  // Drops every page of `pair` (deleted by the quota).
  void ErasePair(std::uint32_t pair);

  std::size_t bytes();
  std::uint64_t hits();
  std::uint64_t misses();

 private:
  struct KeyHash {
    std::size_t operator()(const PageKey& k) const {
      return std::hash<std::uint64_t>()((std::uint64_t{k.pair} << 48) ^ (k.extent_offset << 16) ^
                                        k.raw_offset);
    }
  };
  struct Entry {
    std::shared_ptr<const std::string> page;
    std::list<PageKey>::iterator lru;
  };
  void EvictLocked();

  const std::size_t budget_;
  std::mutex mu_;
  std::unordered_map<PageKey, Entry, KeyHash> map_;
  std::list<PageKey> lru_;
  std::size_t bytes_ = 0;
  std::uint64_t hits_ = 0, misses_ = 0;
};

}  // namespace larder::tsdb

#endif  // LARDER_TSDB_PAGE_CACHE_H_
