// ZSetRankCache: the in-memory rank indexes (ZSetRanks) of the sorted sets that rank queries
// have touched, by collection version, within a byte budget, least recently used dropped first.
//
// The rank index is derived data: it is not on disk, so a ZADD writes only the member and score
// records. A set's index is built from its score index by the first query that needs ranks
// (ZSetRankIndex), then kept in step by every change of that set; a set not cached is changed
// without any rank work, and pays one walk of its score index at its next rank query.
//
// Coherence (the rule the code keeps): every change of a set's score index goes through
// ZSetStore, which tells the cached index (ZSetRankIndex::OnInsert / OnErase) in the same
// command. Versions are never reused (a deleted, flushed or copied set has a new version or
// none), so an entry can only go stale by being unreachable; those age out by the budget, and
// a flush clears them at once. The keyspace never rolls a write back while usable (an engine
// error refuses every later call until restart), so the cache never has to either. It starts
// empty at each open of the keyspace.
//
// Thread-safety: none; every call under the owner's serialization (larderd's execution lock,
// like every Database call). Pointers returned stay valid until the entry is erased or evicted:
// by Erase, Clear, or an Insert/Charge of another version; do not keep them across those.
#ifndef LARDER_SERVER_ZSET_RANK_CACHE_H_
#define LARDER_SERVER_ZSET_RANK_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <unordered_map>

#include "server/zset_ranks.h"

namespace larder::server {

class ZSetRankCache {
 public:
  // 64 MiB holds the indexes of about 60 million members (about one byte per member).
  static constexpr std::size_t kDefaultBudget = std::size_t{64} << 20;

  explicit ZSetRankCache(std::size_t budget_bytes = kDefaultBudget) : budget_(budget_bytes) {}
  ZSetRankCache(const ZSetRankCache&) = delete;
  ZSetRankCache& operator=(const ZSetRankCache&) = delete;

  // The version's index, now the most recently used; nullptr when not cached.
  ZSetRanks* Find(std::uint64_t version);
  // Caches a built index (replacing any) and evicts others past the budget; returns it.
  ZSetRanks* Insert(std::uint64_t version, ZSetRanks ranks);
  // After the version's index changed size (a chunk split or emptied): recharges it and evicts
  // others past the budget. A version not cached is ignored.
  void Charge(std::uint64_t version);
  void Erase(std::uint64_t version);
  void Clear();

  std::size_t entries() const { return index_.size(); }
  std::size_t bytes() const { return bytes_; }
  std::uint64_t builds() const { return builds_; }        // Inserts so far (INFO, tests)
  std::uint64_t evictions() const { return evictions_; }  // entries dropped by the budget
  // Indexes dropped because they disagreed with the score index (ZSetRankIndex): 0 unless
  // there is a bug, which tests assert.
  std::uint64_t distrusted() const { return distrusted_; }
  void CountDistrusted() { ++distrusted_; }

 private:
  struct Entry {
    std::uint64_t version;
    ZSetRanks ranks;
    std::size_t charged;
  };
  using List = std::list<Entry>;  // most recently used first
  void EvictFor(List::iterator keep);

  std::size_t budget_;
  std::size_t bytes_ = 0;
  std::uint64_t builds_ = 0;
  std::uint64_t evictions_ = 0;
  std::uint64_t distrusted_ = 0;
  List lru_;
  std::unordered_map<std::uint64_t, List::iterator> index_;
};

}  // namespace larder::server

#endif  // LARDER_SERVER_ZSET_RANK_CACHE_H_
