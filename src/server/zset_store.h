// ZSetStore: one sorted set on disk, the internal API every command on sorted sets goes through
// (the ZSET family, geo's GEOADD/GEOSEARCH..., SORT's reads). The records (member -> score, the
// score index and the rank index) are described in docs/formats/larderd.md ("Sorted sets") and
// built by zset_encoding.h; this class keeps them and the key's metadata consistent.
//
// Use, inside a command handler (under the execution lock, inside the keyspace's batch):
//
//   ZSetStore z(ctx.db, key, ZSetLimitsFor(ctx));
//   LARDER_ASSIGN_OR_RETURN(ZSetStore::State state, z.Load());
//   if (state == ZSetStore::State::kWrongType) ...reply WRONGTYPE...
//   LARDER_ASSIGN_OR_RETURN(ZAddResult r, z.Add("m", 1.5, kZAddGt));   // creates the key
//   LARDER_RETURN_IF_ERROR(z.Commit());   // once per command: size, encoding; empty -> deleted
//
// Reads need no Commit. Writes change records at once but the key's metadata (its size) only at
// Commit, so a handler that wrote must Commit before it returns OK (an engine error poisons the
// keyspace anyway). Scores are doubles as Redis keeps them: never NaN; -0.0 orders as 0.0, and is
// kept as given once the set is a "skiplist" (a "listpack" stores 0, as Redis 7.0's does); ties
// are ordered by member bytes.
//
// Thread-safety: none; a store lives within one command. Lifetime: it holds `db` and a copy of
// the key; the Database must outlive it.
#ifndef LARDER_SERVER_ZSET_STORE_H_
#define LARDER_SERVER_ZSET_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "larder/result.h"
#include "larder/status.h"
#include "server/command.h"
#include "server/keyspace.h"
#include "server/rank_index.h"

namespace larder::server {

// ---- Ranges ----

// A BYSCORE bound: "1.5", "(1.5" (exclusive), "-inf", "+inf", "inf".
struct ZScoreBound {
  double value = 0;
  bool exclusive = false;
};
struct ZScoreRange {
  ZScoreBound min, max;
  bool Contains(double score) const;
  bool Empty() const;  // no score can be in it (min > max, or equal and one end exclusive)
};
// nullopt: Redis's "ERR min or max is not a float" (NaN included).
std::optional<ZScoreBound> ParseZScoreBound(std::string_view s);

// A BYLEX bound: "-", "+", "[member" (inclusive), "(member" (exclusive).
struct ZLexBound {
  enum class Kind : std::uint8_t { kMinusInf, kPlusInf, kValue };
  Kind kind = Kind::kValue;
  std::string value;
  bool exclusive = false;
};
struct ZLexRange {
  ZLexBound min, max;
  bool AboveMin(std::string_view member) const;
  bool BelowMax(std::string_view member) const;
  bool Contains(std::string_view member) const { return AboveMin(member) && BelowMax(member); }
  bool Empty() const;
};
// nullopt: Redis's "ERR min or max not valid string range item".
std::optional<ZLexBound> ParseZLexBound(std::string_view s);

// A LIMIT clause: skip `offset` elements of the range, then return at most `count` (negative:
// all the rest).
struct ZLimit {
  std::int64_t offset = 0;
  std::int64_t count = -1;
};

struct ZMember {
  std::string member;
  double score = 0;
  friend bool operator==(const ZMember&, const ZMember&) = default;
};

// ---- Adding ----

enum ZAddFlag : std::uint32_t {
  kZAddNx = 1u << 0,    // only add new members
  kZAddXx = 1u << 1,    // only update existing members
  kZAddGt = 1u << 2,    // update only when the new score is greater
  kZAddLt = 1u << 3,    // update only when the new score is lower
  kZAddIncr = 1u << 4,  // `score` is an increment (ZINCRBY, ZADD INCR)
};
enum class ZAddOutcome : std::uint8_t {
  kAdded,       // a new member
  kUpdated,     // an existing member's score changed
  kUnchanged,   // existing, same score
  kNotApplied,  // refused by NX/XX/GT/LT (ZADD INCR then replies nil)
  kNaN,         // INCR produced NaN ("ERR resulting score is not a number (NaN)"); nothing written
};
struct ZAddResult {
  ZAddOutcome outcome = ZAddOutcome::kNotApplied;
  double score = 0;  // the member's score afterwards (INCR's reply); unspecified for kNaN
};

// The thresholds of Redis's encodings, for OBJECT ENCODING ("listpack" while the set has at most
// `listpack_entries` members all at most `listpack_value` bytes long, then "skiplist" for good,
// as Redis converts only upwards), and the rank index's chunk size (tests use small ones).
struct ZSetLimits {
  std::uint64_t listpack_entries = 128;
  std::uint64_t listpack_value = 64;
  std::uint32_t chunk_max = 128;  // score-index entries per rank chunk before it splits
  // Ranks (and LIMIT offsets) below this are reached by walking from the nearer end instead of
  // through the rank index.
  std::uint32_t walk_ranks = 256;
};
// The server's zset-max-listpack-entries / -value (or their ziplist aliases).
ZSetLimits ZSetLimitsFor(CommandContext& ctx);
// OBJECT ENCODING of a sorted set: "listpack" or "skiplist".
std::string_view ZSetEncodingName(const KeyInfo& info);

class ZSetStore {
 public:
  ZSetStore(Database& db, std::string_view key, ZSetLimits limits = {});
  ZSetStore(const ZSetStore&) = delete;
  ZSetStore& operator=(const ZSetStore&) = delete;

  enum class State : std::uint8_t { kMissing, kZSet, kWrongType };
  // Reads the key's metadata (an expired key is missing). Call first.
  Result<State> Load();
  // Starts a new, empty sorted set in place of the key, which the caller has deleted or found
  // missing (the STORE forms: ZUNIONSTORE, ZRANGESTORE, GEOSEARCHSTORE). Commit creates it
  // (or writes nothing when it stayed empty).
  Status Reset();

  bool exists() const { return info_.has_value() && info_->size > 0; }
  std::uint64_t card() const { return info_ ? info_->size : 0; }
  const std::string& key() const { return key_; }
  // The key's metadata as loaded (and as changed since); nullopt when missing.
  const std::optional<KeyInfo>& info() const { return info_; }
  // Whether a write happened since Load/Reset (the caller's keyspace notifications).
  bool modified() const { return modified_; }

  // ---- Point operations ----
  Result<std::optional<double>> Score(std::string_view member);
  // Creates the key when missing (unless the flags refuse). REQUIRES: !isnan(score); flags
  // valid as ZADD checks them (not NX with XX/GT/LT).
  Result<ZAddResult> Add(std::string_view member, double score, std::uint32_t flags = 0);
  // True when the member existed.
  Result<bool> Remove(std::string_view member);
  // 0-based position in score order (from the highest with `reverse`); nullopt when absent.
  Result<std::optional<std::uint64_t>> Rank(std::string_view member, bool reverse = false);

  // ---- Ranges (in score order, ties by member; reverse: from the highest) ----
  // Ranks after Redis's normalisation: 0 <= start <= stop < card() (stop is clamped).
  Result<std::vector<ZMember>> RangeByRank(std::uint64_t start, std::uint64_t stop,
                                           bool reverse = false);
  Result<std::vector<ZMember>> RangeByScore(const ZScoreRange& range, bool reverse = false,
                                            ZLimit limit = {});
  // Lex ranges assume every member has the same score, as Redis's do.
  Result<std::vector<ZMember>> RangeByLex(const ZLexRange& range, bool reverse = false,
                                          ZLimit limit = {});
  Result<std::uint64_t> CountByScore(const ZScoreRange& range);
  Result<std::uint64_t> CountByLex(const ZLexRange& range);
  // Every member in score order.
  Result<std::vector<ZMember>> All() {
    return card() == 0 ? Result<std::vector<ZMember>>(std::vector<ZMember>())
                       : RangeByRank(0, card() - 1);
  }

  // ---- Removal of ranges ----
  // Removes and returns up to `count` members with the lowest (or highest, `max`) scores.
  Result<std::vector<ZMember>> Pop(bool max, std::uint64_t count);
  Result<std::uint64_t> RemoveRangeByRank(std::uint64_t start, std::uint64_t stop);
  Result<std::uint64_t> RemoveRangeByScore(const ZScoreRange& range);
  Result<std::uint64_t> RemoveRangeByLex(const ZLexRange& range);

  // ---- Member order (ZSCAN, ZRANDMEMBER) ----
  // Up to `limit` members in member-byte order from the first member >= start; *more is false
  // when the walk reached the end.
  Result<std::vector<ZMember>> MembersFrom(std::string_view start, std::uint64_t limit, bool* more);

  // Writes the key's metadata when something changed: its size and encoding flag; an emptied
  // set is deleted. Reports the key as modified (WATCH, blocked clients).
  Status Commit();

 private:
  // The rank index over the set's score index. REQUIRES: info_ (the set exists or was created).
  RankIndex ScoreRanks();
  Status EnsureCreated();
  Status Insert(std::string_view member, double score, bool existed, double old_score);
  // Removes the member (its records and its place in the rank index; size - 1).
  Status Erase(std::string_view member, double score);
  // Removes only the member's score-index entry and its place in the rank index (an update
  // that moves it; Insert then writes the new entry and overwrites the member record).
  Status EraseEntry(std::string_view member, double score);
  // A cursor at the element of forward rank `rank` (walking backwards with `reverse`).
  Result<std::unique_ptr<Cursor>> CursorAtRank(std::uint64_t rank, bool reverse);
  // A cursor `offset` elements into a walk that starts at the first score-index record >=
  // `record` (or, with `reverse`, at the last one < `record`).
  Result<std::unique_ptr<Cursor>> CursorAt(const std::string& record, bool reverse,
                                           std::uint64_t offset);
  // The score-index record of the first (or last) element. REQUIRES: exists().
  Result<std::string> EndEntry(bool last);
  // A cursor at the first element of a lex walk (after `offset` more); *empty (and a null
  // cursor) when Redis finds the range empty up front; *uniform (when given) when every score
  // is equal (members in order: the walk seeks).
  Result<std::unique_ptr<Cursor>> LexCursor(const ZLexRange& range, bool reverse,
                                            std::uint64_t offset, bool* empty, bool* uniform);
  Result<std::uint64_t> EraseAll(Result<std::vector<ZMember>> found);
  Result<std::vector<ZMember>> Collect(Cursor& it, const ZScoreRange* score, const ZLexRange* lex,
                                       bool reverse, std::int64_t count);

  Database& db_;
  std::string key_;
  ZSetLimits limits_;
  std::optional<KeyInfo> info_;  // nullopt: missing (no collection yet)
  bool created_ = false;         // info_ came from NewCollection: not written yet
  bool modified_ = false;
  bool loaded_ = false;
};

}  // namespace larder::server

#endif  // LARDER_SERVER_ZSET_STORE_H_
