// RankCache: the in-memory rank indexes (RankChunks) of the collections that rank queries have
// touched (sorted sets' score indexes, sets' and hashes' members: rank_index.h), by version,
// within a byte budget (larderd's rank-cache-mb directive), least recently used dropped first;
// the entry last built or used always stays, whatever its size.
//
// A rank index is derived data: it is not on disk, so a ZADD writes only the member and score
// records and an SADD only the member. A collection's index is built from its records by the
// first query that needs ranks (RankIndex), then kept in step by every change of that
// collection; one not cached is changed without any rank work, and pays one walk of its
// records at its next rank query.
//
// Coherence (the rule the code keeps): every change of an indexed run of records goes through
// one place that tells the cached index (RankIndex::OnInsert / OnErase) in the same command:
// ZSetStore for sorted sets, sets::Add / Remove for sets (sets::Store writes a new version),
// DatabaseImpl::SetMember / DeleteMember for hashes.
// Versions are never reused (a deleted, flushed or copied collection has a new version or
// none), and a dropped version's entry is erased (KeyspaceState::DropMembers), so an entry can
// only go stale by being unreachable; a flush clears them all. The keyspace never rolls a write
// back while usable (an engine error refuses every later call until restart), so the cache
// never has to either. It starts empty at each open of the keyspace.
//
// Thread-safety: none; every call under the owner's serialization (larderd's execution lock,
// like every Database call). Pointers returned stay valid until the entry is erased or evicted:
// by Erase, Clear, or an Insert/Charge of another version; do not keep them across those.
#ifndef LARDER_SERVER_RANK_CACHE_H_
#define LARDER_SERVER_RANK_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <unordered_map>

#include "server/rank_chunks.h"

namespace larder::server {

class RankCache {
 public:
  // 64 MiB holds the indexes of about 60 million members (about one byte per member).
  static constexpr std::size_t kDefaultBudget = std::size_t{64} << 20;

  explicit RankCache(std::size_t budget_bytes = kDefaultBudget) : budget_(budget_bytes) {}
  RankCache(const RankCache&) = delete;
  RankCache& operator=(const RankCache&) = delete;

  // The version's index, now the most recently used; nullptr when not cached.
  RankChunks* Find(std::uint64_t version);
  // Caches a built index (replacing any) and evicts others past the budget; returns it.
  RankChunks* Insert(std::uint64_t version, RankChunks ranks);
  // After the version's index changed size (a chunk split or emptied): recharges it and evicts
  // others past the budget. A version not cached is ignored.
  void Charge(std::uint64_t version);
  void Erase(std::uint64_t version);
  void Clear();

  std::size_t entries() const { return index_.size(); }
  std::size_t bytes() const { return bytes_; }
  std::uint64_t builds() const { return builds_; }        // Inserts so far (INFO, tests)
  std::uint64_t evictions() const { return evictions_; }  // entries dropped by the budget
  // Indexes dropped because they disagreed with their records (RankIndex): 0 unless
  // there is a bug, which tests assert.
  std::uint64_t distrusted() const { return distrusted_; }
  void CountDistrusted() { ++distrusted_; }

 private:
  struct Entry {
    std::uint64_t version;
    RankChunks ranks;
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

#endif  // LARDER_SERVER_RANK_CACHE_H_
