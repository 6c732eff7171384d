// RankIndex: rank queries over an ordered run of a collection's records (those under its
// version that start with a prefix), and their upkeep, through an in-memory count of them
// (RankChunks, cached by RankCache). A sorted set's score index is one such run (prefix "s":
// ZRANK, ZRANGE by rank, ZCOUNT); a set's or a hash's members are another (prefix "": SPOP,
// SRANDMEMBER and HRANDFIELD pick uniformly random ranks). An *entry* is a record's bytes after the
// prefix.
//
// The counts live in memory only (rank_cache.h says why and how they stay coherent). A rank
// query (CountLess, EntryAt, FirstKey) uses the collection's cached index, or builds it with
// one walk of the records and caches it; OnInsert and OnErase keep a cached index in step and
// cost nothing for a collection that is not cached. A query then sums counts in memory and
// walks at most one chunk's entries (chunk_max) on disk.
//
// Self-healing: the index is derived data. When it disagrees with the records (a chunk that
// should hold more entries than the walk finds), the cached index is dropped, counted in
// RankCache::distrusted(), and the next query rebuilds it: a wrong count never reaches a reply,
// and a rank bug never poisons the server. Tests assert that nothing was distrusted.
//
// Thread-safety: none (within one command, under the execution lock). Holds `db` for its
// lifetime; use one per call, since a cached index may be evicted between calls.
#ifndef LARDER_SERVER_RANK_INDEX_H_
#define LARDER_SERVER_RANK_INDEX_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "larder/result.h"
#include "larder/status.h"
#include "server/keyspace.h"
#include "server/rank_chunks.h"

namespace larder::server {

class RankCache;

class RankIndex {
 public:
  // The records of `version` that start with `prefix` (every record of a version holds one
  // kind of record per prefix: one collection's runs must not share a cache entry, so a
  // version is indexed under one prefix only). `chunk_max`: entries per chunk before it splits
  // (a built index keeps the one it was built with).
  RankIndex(Database& db, std::uint64_t version, std::string_view prefix,
            std::uint32_t chunk_max = kDefaultChunkMax);
  static constexpr std::uint32_t kDefaultChunkMax = 128;

  // After the entry's record was written (a new entry).
  Status OnInsert(std::string_view entry);
  // After the entry's record was deleted (it existed).
  Status OnErase(std::string_view entry);
  // The number of entries less than `bound` (any bytes).
  Result<std::uint64_t> CountLess(std::string_view bound);
  // The entry at 0-based `rank`. REQUIRES: rank < the number of entries.
  Result<std::string> EntryAt(std::uint64_t rank);
  // A key no entry sorts below ("" when there is none), at or near the least entry: a walk
  // from the start of the records seeks here, skipping the entries removed below it (on an
  // LSM engine, tombstones a walk from the very start would step over one by one).
  Result<std::string> FirstKey();

  // Whether the index is in memory now (tests).
  bool cached();
  // Checks the cached index against the records (RankChunks's invariants; `entries` is their
  // number): Corruption with a description when one does not hold; OK when not cached.
  Status Check(std::uint64_t entries);

 private:
  // The cached (or this call's) index, or nullptr.
  RankChunks* Cached();
  // The cached index, built and cached first when missing.
  Result<RankChunks*> Ranks();
  // Drops a cached index found to disagree with the records.
  void Distrust();
  bool IsEntry(const Cursor& it) const;  // on a record of the run
  std::string_view EntryOf(const Cursor& it) const;
  std::string RecordOf(std::string_view entry) const;
  // The entry `skip` entries after `chunk`'s key, or nullopt when the records end first.
  Result<std::optional<std::string>> EntryAfter(const RankChunks& ranks, std::size_t chunk,
                                                std::uint64_t skip);

  Database& db_;
  const std::uint64_t version_;
  const std::string prefix_;
  const std::uint32_t chunk_max_;
  RankCache* const cache_;           // null: the database keeps none (test fakes)
  std::optional<RankChunks> local_;  // the index built for this call when there is no cache
};

}  // namespace larder::server

#endif  // LARDER_SERVER_RANK_INDEX_H_
