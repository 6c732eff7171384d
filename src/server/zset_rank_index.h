// The rank index of a sorted set: counts over its score index, so that the rank of an entry and
// the entry at a rank are found without walking the entries before it.
//
// Two levels of records (zset_encoding.h), each keyed by an entry (ordered score + member):
//   - chunks ('r' key -> n): the chunks' keys cut the score index into ranges; chunk i covers
//     the entries in [key_i, key_{i+1}), the first chunk also every entry below its key. n is
//     the number of entries in the range, >= 1. A chunk splits in two when n > chunk_max.
//   - groups ('t' key -> n, c): likewise over the chunks: group j holds the chunks whose keys
//     are in [key_j, key_{j+1}) (the first group also those below), n their entries, c their
//     number (>= 1). A group splits when c > group_max.
// Invariants (checked by ZSetRankIndex::Check): every group key is a chunk key; the first
// group's key is the first chunk's key, and no entry sorts below it (an insert below renames
// the first chunk and group); the counts add up (sum of group n = sum of chunk n =
// number of entries); ranges are as above. A chunk key need not be an entry (its entry may have
// been removed since): keys are only cut points, so removing an entry rewrites one chunk and
// one group, and only a chunk that empties is deleted (renaming its group when it was the
// group's first).
//
// Cost: an insert or erase reads and writes one chunk and one group (plus a split walk of at
// most chunk_max entries or group_max chunks, once per about chunk_max/2 inserts). CountLess and
// EntryAt walk the groups before the target (about N / (chunk_max * group_max / 2) for N
// entries), then at most group_max chunks, then at most chunk_max entries.
//
// Thread-safety: none (within one command). Holds `db` for its lifetime.
#ifndef LARDER_SERVER_ZSET_RANK_INDEX_H_
#define LARDER_SERVER_ZSET_RANK_INDEX_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "larder/result.h"
#include "larder/status.h"
#include "server/keyspace.h"

namespace larder::server {

class ZSetRankIndex {
 public:
  ZSetRankIndex(Database& db, std::uint64_t version, std::uint32_t chunk_max,
                std::uint32_t group_max)
      : db_(db), version_(version), chunk_max_(chunk_max), group_max_(group_max) {}

  // After the entry's score-index record was written (a new entry).
  Status OnInsert(std::string_view entry);
  // After the entry's score-index record was deleted (it existed).
  Status OnErase(std::string_view entry);
  // The number of entries less than `bound` (any bytes: ordered score, then member bytes).
  Result<std::uint64_t> CountLess(std::string_view bound);
  // The entry at 0-based `rank`. REQUIRES: rank < the number of entries.
  Result<std::string> EntryAt(std::uint64_t rank);
  // The first chunk's key: no entry sorts below it ("" when the set has no chunk). A walk from
  // the start of the score index seeks here first, skipping the removed entries below it (on an
  // LSM engine, tombstones a walk from the very start would step over one by one).
  Result<std::string> FirstKey();
  // Checks the invariants above against the score index; `entries` is the set's size.
  // Corruption with a description when one does not hold (tests).
  Status Check(std::uint64_t entries);

 private:
  struct Node {
    bool found = false;
    std::string key;  // the entry it is keyed by
    std::uint64_t n = 0;
    std::uint64_t c = 0;  // groups: chunks
  };
  // The node of level `sub` whose range holds `entry`: the last with key <= entry, else the
  // first; not found when the level is empty.
  Result<Node> Find(char sub, std::string_view entry);
  Status Write(char sub, const Node& node);
  Status SplitChunk(Node* chunk, Node* group);
  Status SplitGroup(Node* group);

  Database& db_;
  const std::uint64_t version_;
  const std::uint32_t chunk_max_;
  const std::uint32_t group_max_;
};

}  // namespace larder::server

#endif  // LARDER_SERVER_ZSET_RANK_INDEX_H_
