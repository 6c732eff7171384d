// The set type's internal API: a set's members are the records of its collection version
// (record = member bytes, value = ""; docs/formats/larderd.md, "Sets"), so a member test is one
// GetRecord and the members come out in byte order. Add and Remove are the only writers of a
// live set's members: they keep its cached rank index (random picks) in step. Used by the set
// commands (set_*.cc) and by SORT (sort_command.cc). Not a contract for other families.
//
// Every call: under the execution lock, inside a batch (a command handler's context). The
// caller has checked the key's type (LookupTyped); `info` is the KeyInfo that lookup returned
// and stays valid until the caller writes the key (these calls update the copy they are given).
#ifndef LARDER_SERVER_SET_STORE_H_
#define LARDER_SERVER_SET_STORE_H_

#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "larder/result.h"
#include "server/keyspace.h"
#include "server/rank_index.h"

namespace larder::server::sets {

// Redis 7.0's set-max-intset-entries default: a set of at most this many members, all of them
// integers, is reported as "intset" (OBJECT ENCODING) and returned whole by one SSCAN call.
inline constexpr std::uint64_t kIntsetEntries = 512;

// Adds `members` to the set at `key` (info: nullopt when the key is absent, else its set's
// KeyInfo, updated). Writes the key's metadata once, and not at all when nothing was added (so
// WATCH sees no change). Returns how many members were new.
Result<std::int64_t> Add(Database& db, std::string_view key, std::optional<KeyInfo>* info,
                         std::span<const std::string_view> members);
// Removes `members`; the key disappears with its last member. Returns how many existed.
Result<std::int64_t> Remove(Database& db, std::string_view key, KeyInfo* info,
                            std::span<const std::string_view> members);
Result<bool> Contains(Database& db, const KeyInfo& info, std::string_view member);
// Every member, in byte order.
Result<std::vector<std::string>> All(Database& db, const KeyInfo& info);
// Replaces `key` (of any type, or absent) with a set of `members` (distinct; any order). An
// empty `members` only deletes the key. Returns whether the key existed before.
Result<bool> Store(Database& db, std::string_view key, const std::vector<std::string>& members);
// Whether Redis 7.0 would keep these members as an intset (all integers, few enough).
bool IsIntsetLike(std::span<const std::string> members);

// Random members of a non-empty set, exactly uniform: a pick is a uniformly random rank, found
// through the set's rank index (rank_index.h: built by the set's first pick with one walk of
// its members, then kept in step by Add and Remove; a pick then sums counts in memory and
// walks at most one chunk of 128 members on disk).
class Sampler {
 public:
  // REQUIRES: info.size > 0. `rng` outlives the sampler.
  Sampler(Database& db, const KeyInfo& info, std::mt19937_64& rng);
  // `count` members drawn independently (repeats possible), in draw order.
  Result<std::vector<std::string>> WithRepeats(std::uint64_t count);
  // `count` distinct members (count <= size) in random order. When count is a large part of
  // the set (at least a quarter) the set is walked once (selection sampling), the reply being
  // about as big as the set anyway; otherwise distinct ranks (Floyd's sampling).
  Result<std::vector<std::string>> Distinct(std::uint64_t count);

 private:
  Result<std::vector<std::string>> SelectionSample(std::uint64_t count);

  Database& db_;
  const KeyInfo info_;
  std::mt19937_64& rng_;
  RankIndex index_;
};

}  // namespace larder::server::sets

#endif  // LARDER_SERVER_SET_STORE_H_
