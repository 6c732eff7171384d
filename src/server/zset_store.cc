#include "server/zset_store.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <utility>

#include "server/args.h"
#include "server/config.h"
#include "server/rank_index.h"
#include "server/server.h"
#include "server/zset_encoding.h"

namespace larder::server {
namespace {

// aux bit 0: the set has been "skiplist" for Redis (it converts only upwards).
constexpr std::uint64_t kAuxSkiplist = 1;

bool IsEntry(const Cursor& it) { return it.Valid() && zenc::IsScoreRecord(it.key()); }

// Moves `it` over `n` score-index entries, or to the first record past the index. The index is
// one contiguous run of records: when the record n ahead is an entry, so is every one skipped.
// Forward the engine skips in one call: the run is the last of the set's records, so the skip
// ends at the run's end. Backward the cursor steps one by one and stops at the run's start, else
// it would go on over the member records below ('m' < 's'), as many as the set has.
void SkipEntries(Cursor& it, std::uint64_t n, bool reverse) {
  if (!reverse) {
    if (n > 0 && IsEntry(it)) it.Skip(n);
    return;
  }
  for (; n > 0 && IsEntry(it); --n) it.Next();
}

// The run of records the rank index counts: the score index.
constexpr std::string_view kScoreIndex(&zenc::kScoreSub, 1);

ZMember EntryOf(const Cursor& it) {
  return ZMember{std::string(zenc::EntryMember(it.key())), zenc::EntryScore(it.key(), it.value())};
}

std::string ScoreKey(std::uint64_t ordered, std::string_view member = {}) {
  return zenc::EntryRecord(zenc::kScoreSub, ordered, member);
}

// The first score-index record a forward walk of `range` visits, and the bound a backward walk
// starts below.
std::string LowerKey(const ZScoreBound& min) {
  return ScoreKey(zenc::Ordered(min.value) + (min.exclusive ? 1 : 0));
}
std::string UpperKey(const ZScoreBound& max) {
  return ScoreKey(zenc::Ordered(max.value) + (max.exclusive ? 0 : 1));
}

}  // namespace

bool ZScoreRange::Contains(double score) const {
  return (min.exclusive ? score > min.value : score >= min.value) &&
         (max.exclusive ? score < max.value : score <= max.value);
}

bool ZScoreRange::Empty() const {
  return min.value > max.value || (min.value == max.value && (min.exclusive || max.exclusive));
}

std::optional<ZScoreBound> ParseZScoreBound(std::string_view s) {
  // As Redis's zslParseRange: strtod over the C string (leading blanks, "inf", hex and an empty
  // number are accepted, as is overflow to an infinity), the whole string used, not NaN.
  ZScoreBound bound;
  if (!s.empty() && s[0] == '(') {
    bound.exclusive = true;
    s.remove_prefix(1);
  }
  const std::string buf(s);
  char* end = nullptr;
  bound.value = std::strtod(buf.c_str(), &end);
  if (*end != '\0' || std::isnan(bound.value)) return std::nullopt;
  return bound;
}

bool ZLexRange::AboveMin(std::string_view member) const {
  switch (min.kind) {
    case ZLexBound::Kind::kMinusInf:
      return true;
    case ZLexBound::Kind::kPlusInf:
      return false;
    case ZLexBound::Kind::kValue:
      return min.exclusive ? member > min.value : member >= min.value;
  }
  return false;
}

bool ZLexRange::BelowMax(std::string_view member) const {
  switch (max.kind) {
    case ZLexBound::Kind::kMinusInf:
      return false;
    case ZLexBound::Kind::kPlusInf:
      return true;
    case ZLexBound::Kind::kValue:
      return max.exclusive ? member < max.value : member <= max.value;
  }
  return false;
}

bool ZLexRange::Empty() const {
  if (min.kind == ZLexBound::Kind::kPlusInf || max.kind == ZLexBound::Kind::kMinusInf) {
    return true;
  }
  if (min.kind != ZLexBound::Kind::kValue || max.kind != ZLexBound::Kind::kValue) return false;
  return min.value > max.value || (min.value == max.value && (min.exclusive || max.exclusive));
}

std::optional<ZLexBound> ParseZLexBound(std::string_view s) {
  ZLexBound bound;
  if (s == "-") {
    bound.kind = ZLexBound::Kind::kMinusInf;
  } else if (s == "+") {
    bound.kind = ZLexBound::Kind::kPlusInf;
  } else if (!s.empty() && (s[0] == '[' || s[0] == '(')) {
    bound.exclusive = s[0] == '(';
    bound.value.assign(s.substr(1));
  } else {
    return std::nullopt;
  }
  return bound;
}

std::string_view ZSetEncodingName(const KeyInfo& info) {
  return (info.aux & kAuxSkiplist) != 0 ? "skiplist" : "listpack";
}

ZSetStore::ZSetStore(Database& db, std::string_view key, ZSetLimits limits)
    : db_(db), key_(key), limits_(limits) {}

Result<ZSetStore::State> ZSetStore::Load() {
  loaded_ = true;
  created_ = false;
  modified_ = false;
  LARDER_ASSIGN_OR_RETURN(info_, db_.Lookup(key_));
  if (!info_) return State::kMissing;
  if (info_->type != ValueType::kZSet) {
    info_.reset();
    return State::kWrongType;
  }
  return State::kZSet;
}

Status ZSetStore::Reset() {
  loaded_ = true;
  info_.reset();
  created_ = false;
  modified_ = false;
  return Status::Ok();
}

RankIndex ZSetStore::ScoreRanks() {
  return RankIndex(db_, info_->version, kScoreIndex, limits_.chunk_max);
}

Status ZSetStore::EnsureCreated() {
  if (info_) return Status::Ok();
  LARDER_ASSIGN_OR_RETURN(KeyInfo info, db_.NewCollection(ValueType::kZSet));
  info_ = info;
  created_ = true;
  return Status::Ok();
}

Result<std::optional<double>> ZSetStore::Score(std::string_view member) {
  if (!exists()) return std::optional<double>();
  LARDER_ASSIGN_OR_RETURN(std::optional<std::string> value,
                          db_.GetRecord(info_->version, zenc::MemberRecord(member)));
  if (!value) return std::optional<double>();
  return std::optional<double>(zenc::DecodeScore(*value));
}

Status ZSetStore::Insert(std::string_view member, double score, bool existed, double old_score) {
  RankIndex index = ScoreRanks();
  // An update moves the entry; the member record is overwritten below, not deleted first.
  if (existed) LARDER_RETURN_IF_ERROR(EraseEntry(member, old_score));
  const std::uint64_t size = info_->size + (existed ? 0 : 1);
  if (size > limits_.listpack_entries || member.size() > limits_.listpack_value) {
    info_->aux |= kAuxSkiplist;
  }
  // Redis 7.0's listpack keeps an integral score as an integer, so -0.0 comes back as 0.
  if (score == 0 && (info_->aux & kAuxSkiplist) == 0) score = 0.0;
  const std::string record = ScoreKey(zenc::Ordered(score), member);
  LARDER_RETURN_IF_ERROR(
      db_.PutRecord(info_->version, record, std::signbit(score) && score == 0 ? "-" : ""));
  LARDER_RETURN_IF_ERROR(index.OnInsert(std::string_view(record).substr(1)));
  LARDER_RETURN_IF_ERROR(
      db_.PutRecord(info_->version, zenc::MemberRecord(member), zenc::EncodeScore(score)));
  info_->size = size;
  modified_ = true;
  return Status::Ok();
}

Status ZSetStore::EraseEntry(std::string_view member, double score) {
  RankIndex index = ScoreRanks();
  const std::string record = ScoreKey(zenc::Ordered(score), member);
  LARDER_RETURN_IF_ERROR(db_.DeleteRecord(info_->version, record));
  modified_ = true;
  return index.OnErase(std::string_view(record).substr(1));
}

Status ZSetStore::Erase(std::string_view member, double score) {
  LARDER_RETURN_IF_ERROR(EraseEntry(member, score));
  LARDER_RETURN_IF_ERROR(db_.DeleteRecord(info_->version, zenc::MemberRecord(member)));
  info_->size -= 1;
  return Status::Ok();
}

Result<ZAddResult> ZSetStore::Add(std::string_view member, double score, std::uint32_t flags) {
  LARDER_ASSIGN_OR_RETURN(std::optional<double> old, Score(member));
  ZAddResult result;
  if (!old) {
    if ((flags & kZAddXx) != 0) return result;
    LARDER_RETURN_IF_ERROR(EnsureCreated());
    LARDER_RETURN_IF_ERROR(Insert(member, score, false, 0));
    result.outcome = ZAddOutcome::kAdded;
    result.score = score;
    return result;
  }
  // Redis's order: NX first, then the increment (NaN), then GT/LT.
  result.score = *old;
  if ((flags & kZAddNx) != 0) return result;
  if ((flags & kZAddIncr) != 0) {
    score += *old;
    if (std::isnan(score)) {
      result.outcome = ZAddOutcome::kNaN;
      return result;
    }
  }
  if (((flags & kZAddGt) != 0 && !(score > *old)) || ((flags & kZAddLt) != 0 && !(score < *old))) {
    return result;
  }
  if (score == *old) {
    result.outcome = ZAddOutcome::kUnchanged;
    return result;
  }
  LARDER_RETURN_IF_ERROR(Insert(member, score, true, *old));
  result.outcome = ZAddOutcome::kUpdated;
  result.score = score;
  return result;
}

Result<bool> ZSetStore::Remove(std::string_view member) {
  LARDER_ASSIGN_OR_RETURN(std::optional<double> old, Score(member));
  if (!old) return false;
  LARDER_RETURN_IF_ERROR(Erase(member, *old));
  return true;
}

Result<std::optional<std::uint64_t>> ZSetStore::Rank(std::string_view member, bool reverse) {
  LARDER_ASSIGN_OR_RETURN(std::optional<double> score, Score(member));
  if (!score) return std::optional<std::uint64_t>();
  RankIndex index = ScoreRanks();
  const std::string record = ScoreKey(zenc::Ordered(*score), member);
  LARDER_ASSIGN_OR_RETURN(std::uint64_t rank, index.CountLess(std::string_view(record).substr(1)));
  return std::optional<std::uint64_t>(reverse ? card() - 1 - rank : rank);
}

Result<std::unique_ptr<Cursor>> ZSetStore::CursorAtRank(std::uint64_t rank, bool reverse) {
  std::unique_ptr<Cursor> it;
  std::uint64_t skip = 0;
  if (!reverse && rank < limits_.walk_ranks) {
    // From the first chunk's key, not the index's start: the entries removed below it (ZPOPMIN
    // after ZPOPMIN) are not walked again.
    RankIndex index = ScoreRanks();
    LARDER_ASSIGN_OR_RETURN(const std::string first, index.FirstKey());
    LARDER_ASSIGN_OR_RETURN(it,
                            db_.Records(info_->version, zenc::EntryRecord(zenc::kScoreSub, first)));
    skip = rank;
  } else if (reverse && card() - 1 - rank < limits_.walk_ranks) {
    // Records below kPastScoreSub: the score index from its last record.
    LARDER_ASSIGN_OR_RETURN(
        it, db_.Records(info_->version, std::string(1, zenc::kPastScoreSub), /*reverse=*/true));
    skip = card() - 1 - rank;
  } else {
    RankIndex index = ScoreRanks();
    LARDER_ASSIGN_OR_RETURN(std::string entry, index.EntryAt(rank));
    std::string record = zenc::EntryRecord(zenc::kScoreSub, entry);
    if (reverse) record.push_back('\0');  // the walk starts below it: at it
    LARDER_ASSIGN_OR_RETURN(it, db_.Records(info_->version, record, reverse));
  }
  SkipEntries(*it, skip, reverse);
  LARDER_RETURN_IF_ERROR(it->status());
  return it;
}

Result<std::vector<ZMember>> ZSetStore::RangeByRank(std::uint64_t start, std::uint64_t stop,
                                                    bool reverse) {
  std::vector<ZMember> out;
  if (!exists() || start >= card()) return out;
  if (stop >= card()) stop = card() - 1;
  if (start > stop) return out;
  const std::uint64_t n = stop - start + 1;
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it,
                          CursorAtRank(reverse ? card() - 1 - start : start, reverse));
  while (out.size() < n && IsEntry(*it)) {
    out.push_back(EntryOf(*it));
    if (out.size() < n) it->Next();  // no step past the last one (see Collect)
  }
  LARDER_RETURN_IF_ERROR(it->status());
  return out;
}

Result<std::unique_ptr<Cursor>> ZSetStore::CursorAt(const std::string& record, bool reverse,
                                                    std::uint64_t offset) {
  std::unique_ptr<Cursor> it;
  if (offset <= limits_.walk_ranks) {
    LARDER_ASSIGN_OR_RETURN(it, db_.Records(info_->version, record, reverse));
    SkipEntries(*it, offset, reverse);
    LARDER_RETURN_IF_ERROR(it->status());
    return it;
  }
  RankIndex index = ScoreRanks();
  LARDER_ASSIGN_OR_RETURN(std::uint64_t below, index.CountLess(std::string_view(record).substr(1)));
  if (reverse ? below <= offset : below + offset >= card()) {
    // Past the end: a cursor on no score-index record.
    return db_.Records(info_->version, std::string(1, zenc::kPastScoreSub));
  }
  return CursorAtRank(reverse ? below - 1 - offset : below + offset, reverse);
}

namespace {

// Where a lex walk starts: the first record >= LexLower, or the last record < LexUpper.
std::string LexLower(const ZLexBound& min, std::uint64_t ordered) {
  std::string key = ScoreKey(ordered);
  if (min.kind == ZLexBound::Kind::kValue) {
    key.append(min.value);
    if (min.exclusive) key.push_back('\0');
  }
  return key;
}
std::string LexUpper(const ZLexBound& max, std::uint64_t ordered) {
  if (max.kind != ZLexBound::Kind::kValue) return ScoreKey(ordered + 1);
  std::string key = ScoreKey(ordered, max.value);
  if (!max.exclusive) key.push_back('\0');
  return key;
}

}  // namespace

Result<std::string> ZSetStore::EndEntry(bool last) {
  LARDER_ASSIGN_OR_RETURN(
      std::unique_ptr<Cursor> it,
      db_.Records(info_->version, std::string(1, last ? zenc::kPastScoreSub : zenc::kScoreSub),
                  last));
  if (!IsEntry(*it)) {
    LARDER_RETURN_IF_ERROR(it->status());
    return Status::Corruption("zset without a score index");
  }
  return std::string(it->key());
}

Result<std::unique_ptr<Cursor>> ZSetStore::LexCursor(const ZLexRange& range, bool reverse,
                                                     std::uint64_t offset, bool* empty,
                                                     bool* uniform) {
  *empty = true;
  if (uniform != nullptr) *uniform = false;
  LARDER_ASSIGN_OR_RETURN(std::string first, EndEntry(false));
  LARDER_ASSIGN_OR_RETURN(std::string last, EndEntry(true));
  // As Redis: nothing when the last member is below min or the first above max.
  if (!range.BelowMax(zenc::EntryMember(first)) || !range.AboveMin(zenc::EntryMember(last))) {
    return std::unique_ptr<Cursor>();
  }
  *empty = false;
  const auto score_bytes = [](const std::string& e) { return e.substr(1, zenc::kOrderedSize); };
  if (score_bytes(first) == score_bytes(last)) {
    if (uniform != nullptr) *uniform = true;
    // Every score equal: members are in order, so seek.
    const std::uint64_t ordered = enc::ReadBe64(std::string_view(first).substr(1));
    return CursorAt(reverse ? LexUpper(range.max, ordered) : LexLower(range.min, ordered), reverse,
                    offset);
  }
  // Mixed scores: Redis's lex ranges are then defined by its walk (a listpack's linear one):
  // from the end, skip members outside the near bound, then `offset` more.
  LARDER_ASSIGN_OR_RETURN(
      std::unique_ptr<Cursor> it,
      db_.Records(info_->version, std::string(1, reverse ? zenc::kPastScoreSub : zenc::kScoreSub),
                  reverse));
  for (; IsEntry(*it); it->Next()) {
    const std::string_view member = zenc::EntryMember(it->key());
    if (reverse ? range.BelowMax(member) : range.AboveMin(member)) {
      // The first member past the near bound must be within the far one, else nothing is.
      if (!(reverse ? range.AboveMin(member) : range.BelowMax(member))) *empty = true;
      break;
    }
  }
  if (*empty) return std::unique_ptr<Cursor>();
  SkipEntries(*it, offset, reverse);
  LARDER_RETURN_IF_ERROR(it->status());
  return it;
}

Result<std::vector<ZMember>> ZSetStore::Collect(Cursor& it, const ZScoreRange* score,
                                                const ZLexRange* lex, bool reverse,
                                                std::int64_t count) {
  std::vector<ZMember> out;
  const auto wants_more = [&] {
    return count < 0 || static_cast<std::int64_t>(out.size()) < count;
  };
  while (wants_more() && IsEntry(it)) {
    if (score != nullptr && !score->Contains(zenc::EntryScore(it.key(), it.value()))) break;
    if (lex != nullptr) {
      const std::string_view member = zenc::EntryMember(it.key());
      if (reverse ? !lex->AboveMin(member) : !lex->BelowMax(member)) break;
    }
    out.push_back(EntryOf(it));
    // No step past the last entry wanted (ZPOPMIN's one): a step may cross into the next leaf.
    if (wants_more()) it.Next();
  }
  LARDER_RETURN_IF_ERROR(it.status());
  return out;
}

Result<std::vector<ZMember>> ZSetStore::RangeByScore(const ZScoreRange& range, bool reverse,
                                                     ZLimit limit) {
  if (!exists() || range.Empty() || limit.count == 0) return std::vector<ZMember>();
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it,
                          CursorAt(reverse ? UpperKey(range.max) : LowerKey(range.min), reverse,
                                   static_cast<std::uint64_t>(limit.offset)));
  return Collect(*it, &range, nullptr, reverse, limit.count);
}

Result<std::vector<ZMember>> ZSetStore::RangeByLex(const ZLexRange& range, bool reverse,
                                                   ZLimit limit) {
  if (!exists() || range.Empty() || limit.count == 0) return std::vector<ZMember>();
  bool empty;
  LARDER_ASSIGN_OR_RETURN(
      std::unique_ptr<Cursor> it,
      LexCursor(range, reverse, static_cast<std::uint64_t>(limit.offset), &empty, nullptr));
  if (empty) return std::vector<ZMember>();
  return Collect(*it, nullptr, &range, reverse, limit.count);
}

Result<std::uint64_t> ZSetStore::CountByScore(const ZScoreRange& range) {
  if (!exists() || range.Empty()) return std::uint64_t{0};
  RankIndex index = ScoreRanks();
  const std::string lo = LowerKey(range.min);
  const std::string hi = UpperKey(range.max);
  LARDER_ASSIGN_OR_RETURN(std::uint64_t below_lo, index.CountLess(std::string_view(lo).substr(1)));
  LARDER_ASSIGN_OR_RETURN(std::uint64_t below_hi, index.CountLess(std::string_view(hi).substr(1)));
  return below_hi > below_lo ? below_hi - below_lo : 0;
}

Result<std::uint64_t> ZSetStore::CountByLex(const ZLexRange& range) {
  if (!exists() || range.Empty()) return std::uint64_t{0};
  bool empty;
  bool uniform;
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it, LexCursor(range, false, 0, &empty, &uniform));
  if (empty) return std::uint64_t{0};
  if (!uniform) {
    // Mixed scores: Redis's walk counts from the first member >= min while members are <= max.
    std::uint64_t n = 0;
    for (; IsEntry(*it) && range.BelowMax(zenc::EntryMember(it->key())); it->Next()) ++n;
    LARDER_RETURN_IF_ERROR(it->status());
    return n;
  }
  const std::string start(IsEntry(*it) ? it->key() : std::string_view(&zenc::kPastScoreSub, 1));
  it.reset();
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> end, LexCursor(range, true, 0, &empty, nullptr));
  const std::string stop = IsEntry(*end) ? std::string(end->key()) + '\0' : std::string("s");
  end.reset();
  if (stop <= start) return std::uint64_t{0};
  // Both ends found: count the entries between through the rank index.
  RankIndex index = ScoreRanks();
  LARDER_ASSIGN_OR_RETURN(std::uint64_t below_lo,
                          index.CountLess(std::string_view(start).substr(1)));
  LARDER_ASSIGN_OR_RETURN(std::uint64_t below_hi,
                          index.CountLess(std::string_view(stop).substr(1)));
  return below_hi > below_lo ? below_hi - below_lo : 0;
}

Result<std::vector<ZMember>> ZSetStore::Pop(bool max, std::uint64_t count) {
  std::vector<ZMember> out;
  if (!exists() || count == 0) return out;
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it, CursorAtRank(max ? card() - 1 : 0, max));
  LARDER_ASSIGN_OR_RETURN(
      out, Collect(*it, nullptr, nullptr, max,
                   static_cast<std::int64_t>(std::min<std::uint64_t>(count, INT64_MAX))));
  it.reset();
  for (const ZMember& m : out) LARDER_RETURN_IF_ERROR(Erase(m.member, m.score));
  return out;
}

Result<std::uint64_t> ZSetStore::EraseAll(Result<std::vector<ZMember>> found) {
  LARDER_RETURN_IF_ERROR(found.status());
  for (const ZMember& m : *found) LARDER_RETURN_IF_ERROR(Erase(m.member, m.score));
  return static_cast<std::uint64_t>(found->size());
}

Result<std::uint64_t> ZSetStore::RemoveRangeByRank(std::uint64_t start, std::uint64_t stop) {
  return EraseAll(RangeByRank(start, stop));
}
Result<std::uint64_t> ZSetStore::RemoveRangeByScore(const ZScoreRange& range) {
  return EraseAll(RangeByScore(range));
}
Result<std::uint64_t> ZSetStore::RemoveRangeByLex(const ZLexRange& range) {
  return EraseAll(RangeByLex(range));
}

Result<std::vector<ZMember>> ZSetStore::MembersFrom(std::string_view start, std::uint64_t limit,
                                                    bool* more) {
  std::vector<ZMember> out;
  *more = false;
  if (!exists()) return out;
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it,
                          db_.Records(info_->version, zenc::MemberRecord(start)));
  const auto is_member = [&] {
    return it->Valid() && !it->key().empty() && it->key()[0] == zenc::kMemberSub;
  };
  for (; is_member() && out.size() < limit; it->Next()) {
    out.push_back(ZMember{std::string(it->key().substr(1)), zenc::DecodeScore(it->value())});
  }
  *more = is_member();
  LARDER_RETURN_IF_ERROR(it->status());
  return out;
}

Status ZSetStore::Commit() {
  if (!info_ || (!modified_ && !created_)) return Status::Ok();
  if (created_ && info_->size == 0) {
    info_.reset();
    created_ = false;
    return Status::Ok();
  }
  LARDER_RETURN_IF_ERROR(db_.WriteCollection(key_, *info_, created_));
  created_ = false;
  if (info_->size == 0) info_.reset();
  return Status::Ok();
}

ZSetLimits ZSetLimitsFor(CommandContext& ctx) {
  const ServerConfig& config = ctx.server.exec_config();
  ZSetLimits limits;
  limits.listpack_entries = config.zset_max_listpack_entries;
  limits.listpack_value = config.zset_max_listpack_value;
  return limits;
}

}  // namespace larder::server
