// The set type's internal API: a set's members are the records of its collection version
// (record = member bytes, value = ""; docs/formats/larderd.md, "Sets"), so a member test is one
// GetRecord and the members come out in byte order. Used by the set commands (set_*.cc) and by
// SORT (sort_command.cc). Not a contract for other families.
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

// Random members of a non-empty set. Sets of at most kExactSampleSize members are read whole
// and sampled exactly uniformly. Bigger sets are never read whole for a pick: a pick descends
// the members' byte trie with seeks. At each branching point (the longest common prefix of the
// subtree's first and last member) it draws one of the "slots" between the smallest and the
// largest next byte present (plus one slot for the member that ends there, if any), seeks to the
// first member at or after the drawn byte, and continues in that child's subtree until the
// subtree holds one member. The descent reaches a member with a chance q it knows (the product
// of 1/slots): a child whose byte follows a gap in the bytes present gets the gap's slots too,
// a member that is a prefix of others ("m:1" before "m:10") gets a whole slot, subtrees of
// different sizes get one slot each. So a drawn member is then kept with probability
// min(1, 1/(kOversample * size * q)) (else the descent is redone, at most kMaxAttempts times):
// the result is uniform over the members with q >= 1/(kOversample * size), and the rarer ones
// (q smaller) are drawn in proportion to q. Cost: about three seeks per branching level (a few
// levels: the log of the size in the members' alphabet), times about kOversample attempts.
// Exact for members of one width over a contiguous alphabet (m:00000..m:99999) and for
// uniformly random members; docs/server.md gives measured figures for skewed ones.
inline constexpr std::uint64_t kExactSampleSize = 1024;
inline constexpr double kOversample = 4;
inline constexpr int kMaxAttempts = 32;

class Sampler {
 public:
  // REQUIRES: info.size > 0. `rng` outlives the sampler.
  Sampler(Database& db, const KeyInfo& info, std::mt19937_64& rng)
      : db_(db), info_(info), rng_(rng) {}
  // `count` members drawn independently (repeats possible), in draw order.
  Result<std::vector<std::string>> WithRepeats(std::uint64_t count);
  // `count` distinct members (count <= size) in random order. When count is a large part of
  // the set (at least a quarter) the set is walked once (selection sampling), the reply being
  // about as big as the set anyway; otherwise distinct picks as above.
  Result<std::vector<std::string>> Distinct(std::uint64_t count);

 private:
  Status LoadSmall();
  // One member, with the rejection step; Descend is one walk down, *chance set to its odds.
  Result<std::string> Pick();
  Result<std::string> Descend(double* chance);
  Result<std::vector<std::string>> SelectionSample(std::uint64_t count);
  // The first member >= start (REQUIRES: one exists), and the last member starting with
  // `prefix` (REQUIRES: one exists).
  Result<std::string> FirstAtOrAfter(std::string_view start);
  Result<std::string> LastWithPrefix(std::string_view prefix);

  Database& db_;
  const KeyInfo info_;
  std::mt19937_64& rng_;
  bool loaded_ = false;
  std::vector<std::string> small_;  // every member, when info_.size <= kExactSampleSize
};

}  // namespace larder::server::sets

#endif  // LARDER_SERVER_SET_STORE_H_
