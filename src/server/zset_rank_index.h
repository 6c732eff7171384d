// ZSetRankIndex: rank queries and rank upkeep of one sorted set, over its in-memory rank index
// (ZSetRanks, cached by ZSetRankCache) and its score index on disk.
//
// The counts live in memory only (zset_rank_cache.h says why and how they stay coherent). A
// rank query (CountLess, EntryAt, FirstKey) uses the set's cached index, or builds it with one
// walk of the score index and caches it; OnInsert and OnErase keep a cached index in step and
// cost nothing for a set that is not cached. A query then sums counts in memory and walks at
// most one chunk's entries (chunk_max) on disk.
//
// Self-healing: the index is derived data. When it disagrees with the score index (a chunk
// that should hold more entries than the walk finds), the cached index is dropped, counted in
// ZSetRankCache::distrusted(), and the next query rebuilds it: a wrong count never reaches a
// reply, and a rank bug never poisons the server. Tests assert that nothing was distrusted.
//
// Thread-safety: none (within one command, under the execution lock). Holds `db` for its
// lifetime; use one per call, since a cached index may be evicted between calls.
#ifndef LARDER_SERVER_ZSET_RANK_INDEX_H_
#define LARDER_SERVER_ZSET_RANK_INDEX_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "larder/result.h"
#include "larder/status.h"
#include "server/keyspace.h"
#include "server/zset_ranks.h"

namespace larder::server {

class ZSetRankCache;

class ZSetRankIndex {
 public:
  // `chunk_max`: entries per chunk before it splits (a built index keeps the one it was built
  // with).
  ZSetRankIndex(Database& db, std::uint64_t version, std::uint32_t chunk_max);

  // After the entry's score-index record was written (a new entry).
  Status OnInsert(std::string_view entry);
  // After the entry's score-index record was deleted (it existed).
  Status OnErase(std::string_view entry);
  // The number of entries less than `bound` (any bytes: ordered score, then member bytes).
  Result<std::uint64_t> CountLess(std::string_view bound);
  // The entry at 0-based `rank`. REQUIRES: rank < the number of entries.
  Result<std::string> EntryAt(std::uint64_t rank);
  // A key no entry sorts below ("" when the set is empty), at or near the least entry: a walk
  // from the start of the score index seeks here, skipping the entries removed below it (on an
  // LSM engine, tombstones a walk from the very start would step over one by one).
  Result<std::string> FirstKey();

  // Whether the set's index is in memory now (tests).
  bool cached();
  // Checks the cached index against the score index (ZSetRanks's invariants; `entries` is the
  // set's size): Corruption with a description when one does not hold; OK when not cached.
  Status Check(std::uint64_t entries);

 private:
  // The cached (or this call's) index, or nullptr.
  ZSetRanks* Cached();
  // The cached index, built and cached first when missing.
  Result<ZSetRanks*> Ranks();
  // Drops a cached index found to disagree with the score index.
  void Distrust();
  // The score-index key of the entry `skip` entries after `chunk`'s key, or nullopt when the
  // score index ends first.
  Result<std::optional<std::string>> EntryAfter(const ZSetRanks& ranks, std::size_t chunk,
                                                std::uint64_t skip);

  Database& db_;
  const std::uint64_t version_;
  const std::uint32_t chunk_max_;
  ZSetRankCache* const cache_;      // null: the database keeps none (test fakes)
  std::optional<ZSetRanks> local_;  // the index built for this call when there is no cache
};

}  // namespace larder::server

#endif  // LARDER_SERVER_ZSET_RANK_INDEX_H_
