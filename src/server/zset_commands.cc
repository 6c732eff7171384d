// Sorted-set commands on members: ZADD ZINCRBY ZREM ZSCORE ZMSCORE ZCARD ZCOUNT ZLEXCOUNT ZRANK
// ZREVRANK ZRANDMEMBER ZSCAN, with Redis 7.0's replies and errors, and the family's shared
// helpers and registration. Ranges: zset_range_commands.cc; set operations: zset_set_ops.cc;
// pops (blocking ones included): zset_pop_commands.cc.
#include <algorithm>
#include <cmath>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/args.h"
#include "server/keyspace_events.h"
#include "server/random_members.h"
#include "server/reply_builder.h"
#include "server/scan.h"
#include "server/zset_commands.h"

namespace larder::server {

Result<bool> LoadZSet(CommandContext& ctx, ZSetStore& store, Access access) {
  LARDER_ASSIGN_OR_RETURN(ZSetStore::State state, store.Load());
  CountLookup(ctx, access, state != ZSetStore::State::kMissing);
  if (state != ZSetStore::State::kWrongType) return false;
  ctx.reply.Error(errors::kWrongType);
  return true;
}

void ReplyZMembers(ReplyBuilder& reply, const std::vector<ZMember>& members, bool withscores) {
  const bool pairs = withscores && reply.protocol() >= 3;
  reply.ArrayHeader(withscores && !pairs ? 2 * members.size() : members.size());
  for (const ZMember& m : members) {
    if (pairs) reply.ArrayHeader(2);
    reply.Bulk(m.member);
    if (withscores) reply.Double(m.score);
  }
}

Status CommitZSet(CommandContext& ctx, ZSetStore& store, std::string_view event) {
  const bool modified = store.modified();
  LARDER_RETURN_IF_ERROR(store.Commit());
  if (!modified) return Status::Ok();
  NotifyKeyspaceEvent(ctx, kNotifyZSet, event, store.key());
  if (!store.exists()) NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", store.key());
  return Status::Ok();
}

CommandSpec ZSetSpec(std::string_view name, int arity, std::uint32_t flags, int first, int last,
                     CommandHandler handler, std::string_view summary, std::string_view since) {
  return CommandSpec{name, arity, flags, first, last, 1, handler, "sorted-set", summary, since, {}};
}

bool NormalizeRankRange(std::int64_t start, std::int64_t stop, std::uint64_t size,
                        std::uint64_t* from, std::uint64_t* to) {
  const auto len = static_cast<std::int64_t>(size);
  if (start < 0) start += len;
  if (stop < 0) stop += len;
  if (start < 0) start = 0;
  if (start > stop || start >= len) return false;
  if (stop >= len) stop = len - 1;
  *from = static_cast<std::uint64_t>(start);
  *to = static_cast<std::uint64_t>(stop);
  return true;
}

namespace {

// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...], and ZINCRBY.
Status ZAddGeneric(CommandContext& ctx, bool zincrby) {
  std::uint32_t flags = zincrby ? std::uint32_t{kZAddIncr} : 0u;
  bool ch = false;
  std::size_t i = 2;
  for (; !zincrby && i < ctx.argv.size(); ++i) {
    const std::string_view opt = ctx.argv[i];
    if (EqualsIgnoreCase(opt, "nx")) {
      flags |= kZAddNx;
    } else if (EqualsIgnoreCase(opt, "xx")) {
      flags |= kZAddXx;
    } else if (EqualsIgnoreCase(opt, "gt")) {
      flags |= kZAddGt;
    } else if (EqualsIgnoreCase(opt, "lt")) {
      flags |= kZAddLt;
    } else if (EqualsIgnoreCase(opt, "ch")) {
      ch = true;
    } else if (EqualsIgnoreCase(opt, "incr")) {
      flags |= kZAddIncr;
    } else {
      break;
    }
  }
  const std::size_t elements = ctx.argv.size() - i;
  const bool incr = (flags & kZAddIncr) != 0;
  const bool nx = (flags & kZAddNx) != 0;
  const bool gt = (flags & kZAddGt) != 0;
  const bool lt = (flags & kZAddLt) != 0;
  if (elements == 0 || elements % 2 != 0) {
    ctx.reply.Error(errors::kSyntax);
    return Status::Ok();
  }
  if (nx && (flags & kZAddXx) != 0) {
    ctx.reply.Error("ERR XX and NX options at the same time are not compatible");
    return Status::Ok();
  }
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    ctx.reply.Error("ERR GT, LT, and/or NX options at the same time are not compatible");
    return Status::Ok();
  }
  if (incr && elements > 2) {
    ctx.reply.Error("ERR INCR option supports a single increment-element pair");
    return Status::Ok();
  }
  std::vector<double> scores;
  for (std::size_t j = i; j < ctx.argv.size(); j += 2) {
    const std::optional<double> score = ParseDouble(ctx.argv[j]);
    if (!score) {
      ctx.reply.Error(errors::kNotFloat);
      return Status::Ok();
    }
    scores.push_back(*score);
  }
  ZSetStore z(ctx.db, ctx.argv[1], ZSetLimitsFor(ctx));
  LARDER_ASSIGN_OR_RETURN(const bool replied, LoadZSet(ctx, z, Access::kWrite));
  if (replied) return Status::Ok();
  std::int64_t added = 0;
  std::int64_t updated = 0;
  bool processed = false;
  double last = 0;
  const std::string_view event = incr ? "zincr" : "zadd";
  for (std::size_t k = 0; k < scores.size(); ++k) {
    LARDER_ASSIGN_OR_RETURN(ZAddResult r, z.Add(ctx.argv[i + 2 * k + 1], scores[k], flags));
    switch (r.outcome) {
      case ZAddOutcome::kNaN:
        LARDER_RETURN_IF_ERROR(CommitZSet(ctx, z, event));
        ctx.reply.Error("ERR resulting score is not a number (NaN)");
        return Status::Ok();
      case ZAddOutcome::kAdded:
        ++added;
        processed = true;
        break;
      case ZAddOutcome::kUpdated:
        ++updated;
        processed = true;
        break;
      case ZAddOutcome::kUnchanged:
        processed = true;
        break;
      case ZAddOutcome::kNotApplied:
        break;
    }
    last = r.score;
  }
  LARDER_RETURN_IF_ERROR(CommitZSet(ctx, z, event));
  if (incr) {
    if (processed) {
      ctx.reply.Double(last);
    } else {
      ctx.reply.Null();
    }
  } else {
    ctx.reply.Integer(ch ? added + updated : added);
  }
  return Status::Ok();
}
Status ZAddCommand(CommandContext& ctx) { return ZAddGeneric(ctx, false); }
Status ZIncrByCommand(CommandContext& ctx) { return ZAddGeneric(ctx, true); }

Status ZRemCommand(CommandContext& ctx) {
  ZSetStore z(ctx.db, ctx.argv[1], ZSetLimitsFor(ctx));
  LARDER_ASSIGN_OR_RETURN(const bool replied, LoadZSet(ctx, z, Access::kWrite));
  if (replied) return Status::Ok();
  std::int64_t removed = 0;
  for (std::size_t i = 2; z.exists() && i < ctx.argv.size(); ++i) {
    LARDER_ASSIGN_OR_RETURN(bool existed, z.Remove(ctx.argv[i]));
    removed += existed ? 1 : 0;
    if (!z.exists()) break;
  }
  LARDER_RETURN_IF_ERROR(CommitZSet(ctx, z, "zrem"));
  ctx.reply.Integer(removed);
  return Status::Ok();
}

// ZSCORE key member, and ZMSCORE key member [member ...] (an array).
Status ZScoreGeneric(CommandContext& ctx, bool multi) {
  ZSetStore z(ctx.db, ctx.argv[1]);
  LARDER_ASSIGN_OR_RETURN(const bool replied, LoadZSet(ctx, z, Access::kRead));
  if (replied) return Status::Ok();
  std::vector<std::optional<double>> scores;
  for (std::size_t i = 2; i < ctx.argv.size(); ++i) {
    LARDER_ASSIGN_OR_RETURN(std::optional<double> score, z.Score(ctx.argv[i]));
    scores.push_back(score);
  }
  if (multi) ctx.reply.ArrayHeader(scores.size());
  for (const auto& score : scores) {
    if (score) {
      ctx.reply.Double(*score);
    } else {
      ctx.reply.Null();
    }
  }
  return Status::Ok();
}
Status ZScoreCommand(CommandContext& ctx) { return ZScoreGeneric(ctx, false); }
Status ZMScoreCommand(CommandContext& ctx) { return ZScoreGeneric(ctx, true); }

Status ZCardCommand(CommandContext& ctx) {
  ZSetStore z(ctx.db, ctx.argv[1]);
  LARDER_ASSIGN_OR_RETURN(const bool replied, LoadZSet(ctx, z, Access::kRead));
  if (!replied) ctx.reply.Integer(static_cast<std::int64_t>(z.card()));
  return Status::Ok();
}

Status ZCountCommand(CommandContext& ctx) {
  const std::optional<ZScoreBound> min = ParseZScoreBound(ctx.argv[2]);
  const std::optional<ZScoreBound> max = ParseZScoreBound(ctx.argv[3]);
  if (!min || !max) {
    ctx.reply.Error(kZScoreRangeError);
    return Status::Ok();
  }
  ZSetStore z(ctx.db, ctx.argv[1]);
  LARDER_ASSIGN_OR_RETURN(const bool replied, LoadZSet(ctx, z, Access::kRead));
  if (replied) return Status::Ok();
  LARDER_ASSIGN_OR_RETURN(std::uint64_t n, z.CountByScore(ZScoreRange{*min, *max}));
  ctx.reply.Integer(static_cast<std::int64_t>(n));
  return Status::Ok();
}

Status ZLexCountCommand(CommandContext& ctx) {
  std::optional<ZLexBound> min = ParseZLexBound(ctx.argv[2]);
  std::optional<ZLexBound> max = ParseZLexBound(ctx.argv[3]);
  if (!min || !max) {
    ctx.reply.Error(kZLexRangeError);
    return Status::Ok();
  }
  ZSetStore z(ctx.db, ctx.argv[1]);
  LARDER_ASSIGN_OR_RETURN(const bool replied, LoadZSet(ctx, z, Access::kRead));
  if (replied) return Status::Ok();
  LARDER_ASSIGN_OR_RETURN(std::uint64_t n,
                          z.CountByLex(ZLexRange{std::move(*min), std::move(*max)}));
  ctx.reply.Integer(static_cast<std::int64_t>(n));
  return Status::Ok();
}

Status ZRankGeneric(CommandContext& ctx, bool reverse) {
  ZSetStore z(ctx.db, ctx.argv[1]);
  LARDER_ASSIGN_OR_RETURN(const bool replied, LoadZSet(ctx, z, Access::kRead));
  if (replied) return Status::Ok();
  LARDER_ASSIGN_OR_RETURN(std::optional<std::uint64_t> rank, z.Rank(ctx.argv[2], reverse));
  if (rank) {
    ctx.reply.Integer(static_cast<std::int64_t>(*rank));
  } else {
    ctx.reply.Null();
  }
  return Status::Ok();
}
Status ZRankCommand(CommandContext& ctx) { return ZRankGeneric(ctx, false); }
Status ZRevRankCommand(CommandContext& ctx) { return ZRankGeneric(ctx, true); }

std::mt19937_64& Random() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

// A set this small is read whole for ZRANDMEMBER; bigger ones are read a rank at a time.
constexpr std::uint64_t kRandomReadWhole = 1024;

// ZRANDMEMBER key [count [WITHSCORES]]
Status ZRandMemberCommand(CommandContext& ctx) {
  const std::optional<RandomCount> args = ParseRandomCount(ctx, "withscores");
  if (!args) return Status::Ok();
  const bool with_count = args->with_count;
  const std::int64_t count = args->count;
  const bool withscores = args->with_values;
  ZSetStore z(ctx.db, ctx.argv[1]);
  LARDER_ASSIGN_OR_RETURN(const bool replied, LoadZSet(ctx, z, Access::kRead));
  if (replied) return Status::Ok();
  if (!z.exists() || count == 0) {
    if (with_count) {
      ctx.reply.ArrayHeader(0);
    } else {
      ctx.reply.Null();
    }
    return Status::Ok();
  }
  const std::uint64_t size = z.card();
  const std::vector<std::uint64_t> picks = RandomPositions(size, count, Random());  // ranks
  std::vector<ZMember> all;
  if (size <= kRandomReadWhole || picks.size() >= size) {
    LARDER_ASSIGN_OR_RETURN(all, z.All());
  }
  std::vector<ZMember> out;
  out.reserve(picks.size());
  for (std::uint64_t rank : picks) {
    if (!all.empty()) {
      if (rank >= all.size()) return Status::Corruption("ZRANDMEMBER: short sorted set");
      out.push_back(all[rank]);
      continue;
    }
    LARDER_ASSIGN_OR_RETURN(std::vector<ZMember> one, z.RangeByRank(rank, rank));
    if (one.size() != 1) return Status::Corruption("ZRANDMEMBER: short sorted set");
    out.push_back(std::move(one[0]));
  }
  if (!with_count) {
    ctx.reply.Bulk(out[0].member);
    return Status::Ok();
  }
  ReplyZMembers(ctx.reply, out, withscores);
  return Status::Ok();
}

// ZSCAN key cursor [MATCH pattern] [COUNT count]: in member order; a set Redis would keep as a
// listpack is returned whole in one call, as Redis does.
Status ZScanCommand(CommandContext& ctx) {
  const std::optional<std::uint64_t> cursor = ParseScanCursorOrReply(ctx, ctx.argv[2]);
  if (!cursor) return Status::Ok();
  ZSetStore z(ctx.db, ctx.argv[1]);
  LARDER_ASSIGN_OR_RETURN(const bool replied, LoadZSet(ctx, z, Access::kRead));
  if (replied) return Status::Ok();
  if (!z.exists()) {
    ReplyEmptyScan(ctx);
    return Status::Ok();
  }
  ScanOptions options;
  if (!ParseScanOptions(ctx, 3, /*allow_type=*/false, &options)) return Status::Ok();
  ScanCursorTable& table = ScanCursors(ctx);
  const std::string scope = CollectionScanScope("zset", ctx.db.index(), ctx.argv[1]);
  const std::optional<std::string> last = table.Take(*cursor, scope);
  const bool listpack = ZSetEncodingName(*z.info()) == "listpack";
  bool more = false;
  LARDER_ASSIGN_OR_RETURN(
      std::vector<ZMember> members,
      z.MembersFrom(ScanStartAfter(last), listpack ? UINT64_MAX : options.count, &more));
  ScanBatch batch;
  batch.more = more;
  for (const ZMember& m : members) {
    batch.items.emplace_back(m.member, FormatDouble(m.score));
  }
  ReplyScanPairs(ctx, table, scope, batch, options.pattern);
  return Status::Ok();
}

}  // namespace

void RegisterZSetCommands(CommandTable& table) {
  constexpr std::uint32_t kWrite = kCmdGrowFast;
  constexpr std::uint32_t kRead = kCmdReadFast;
  const std::vector<CommandSpec> specs = {
      ZSetSpec("zadd", -4, kWrite, 1, 1, ZAddCommand, "Adds members to a sorted set", "1.2.0"),
      ZSetSpec("zincrby", 4, kWrite, 1, 1, ZIncrByCommand, "Increments a member's score", "1.2.0"),
      ZSetSpec("zrem", -3, kCmdWriteFast, 1, 1, ZRemCommand, "Removes members", "1.2.0"),
      ZSetSpec("zscore", 3, kRead, 1, 1, ZScoreCommand, "A member's score", "1.2.0"),
      ZSetSpec("zmscore", -3, kRead, 1, 1, ZMScoreCommand, "Several members' scores", "6.2.0"),
      ZSetSpec("zcard", 2, kRead, 1, 1, ZCardCommand, "The number of members", "1.2.0"),
      ZSetSpec("zcount", 4, kRead, 1, 1, ZCountCommand, "Members within a score range", "2.0.0"),
      ZSetSpec("zlexcount", 4, kRead, 1, 1, ZLexCountCommand, "Members within a lex range",
               "2.8.9"),
      ZSetSpec("zrank", 3, kRead, 1, 1, ZRankCommand, "A member's rank", "2.0.0"),
      ZSetSpec("zrevrank", 3, kRead, 1, 1, ZRevRankCommand, "A member's rank from the top",
               "2.0.0"),
      ZSetSpec("zrandmember", -2, kCmdReadOnly, 1, 1, ZRandMemberCommand, "Random members",
               "6.2.0"),
      ZSetSpec("zscan", -3, kCmdReadOnly, 1, 1, ZScanCommand, "Iterates members and scores",
               "2.8.0"),
  };
  for (const CommandSpec& spec : specs) table.Add(spec);
  RegisterZSetRangeCommands(table);
  RegisterZSetSetOpCommands(table);
  RegisterZSetPopCommands(table);
}

}  // namespace larder::server
