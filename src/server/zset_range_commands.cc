// Sorted-set range commands: ZRANGE (BYSCORE BYLEX REV LIMIT WITHSCORES), ZRANGESTORE, the legacy
// ZREVRANGE / Z[REV]RANGEBYSCORE / Z[REV]RANGEBYLEX, and ZREMRANGEBYRANK|SCORE|LEX, parsed as
// Redis 7.0's zrangeGenericCommand parses them (same errors, same precedence).
#include <optional>
#include <string>
#include <vector>

#include "server/args.h"
#include "server/keyspace_events.h"
#include "server/reply_builder.h"
#include "server/zset_commands.h"

namespace larder::server {

Result<std::uint64_t> StoreZSetResult(CommandContext& ctx, std::string_view dst,
                                      const std::vector<ZMember>& members, std::string_view event) {
  LARDER_ASSIGN_OR_RETURN(bool existed, ctx.db.Delete(dst));
  if (members.empty()) {
    if (existed) NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", dst);
    return std::uint64_t{0};
  }
  ZSetStore z(ctx.db, dst, ZSetLimitsFor(ctx));
  LARDER_RETURN_IF_ERROR(z.Reset());
  for (const ZMember& m : members) {
    LARDER_ASSIGN_OR_RETURN(ZAddResult r, z.Add(m.member, m.score));
    (void)r;
  }
  const std::uint64_t n = z.card();
  LARDER_RETURN_IF_ERROR(z.Commit());
  NotifyKeyspaceEvent(ctx, kNotifyZSet, event, dst);
  return n;
}

namespace {

enum class RangeType { kAuto, kRank, kScore, kLex };
enum class Direction { kAuto, kForward, kReverse };

// Z[REV]RANGE[BYSCORE|BYLEX] and ZRANGESTORE: the key at argv[first], then min and max.
Status ZRangeGeneric(CommandContext& ctx, std::size_t first, bool store, RangeType type,
                     Direction direction) {
  bool withscores = false;
  std::int64_t offset = 0;
  std::int64_t limit = -1;
  for (std::size_t j = first + 3; j < ctx.argv.size(); ++j) {
    const std::size_t left = ctx.argv.size() - j - 1;
    const std::string_view opt = ctx.argv[j];
    if (!store && EqualsIgnoreCase(opt, "withscores")) {
      withscores = true;
    } else if (EqualsIgnoreCase(opt, "limit") && left >= 2) {
      const std::optional<std::int64_t> o = ParseInt64(ctx.argv[j + 1]);
      const std::optional<std::int64_t> l = o ? ParseInt64(ctx.argv[j + 2]) : std::nullopt;
      if (!o || !l) {
        ctx.reply.Error(errors::kNotInteger);
        return Status::Ok();
      }
      offset = *o;
      limit = *l;
      j += 2;
    } else if (direction == Direction::kAuto && EqualsIgnoreCase(opt, "rev")) {
      direction = Direction::kReverse;
    } else if (type == RangeType::kAuto && EqualsIgnoreCase(opt, "bylex")) {
      type = RangeType::kLex;
    } else if (type == RangeType::kAuto && EqualsIgnoreCase(opt, "byscore")) {
      type = RangeType::kScore;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return Status::Ok();
    }
  }
  const bool reverse = direction == Direction::kReverse;
  if (type == RangeType::kAuto) type = RangeType::kRank;
  if (limit != -1 && type == RangeType::kRank) {
    ctx.reply.Error(
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
    return Status::Ok();
  }
  if (withscores && type == RangeType::kLex) {
    ctx.reply.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    return Status::Ok();
  }
  // BYSCORE and BYLEX take the range as max, min when reversed.
  const bool swap = reverse && type != RangeType::kRank;
  const std::string_view min_arg = ctx.argv[swap ? first + 2 : first + 1];
  const std::string_view max_arg = ctx.argv[swap ? first + 1 : first + 2];
  std::optional<std::int64_t> start, stop;
  std::optional<ZScoreBound> smin, smax;
  std::optional<ZLexBound> lmin, lmax;
  switch (type) {
    case RangeType::kAuto:
    case RangeType::kRank:
      start = ParseInt64(min_arg);
      stop = start ? ParseInt64(max_arg) : std::nullopt;
      if (!stop) {
        ctx.reply.Error(errors::kNotInteger);
        return Status::Ok();
      }
      break;
    case RangeType::kScore:
      smin = ParseZScoreBound(min_arg);
      smax = ParseZScoreBound(max_arg);
      if (!smin || !smax) {
        ctx.reply.Error(kZScoreRangeError);
        return Status::Ok();
      }
      break;
    case RangeType::kLex:
      lmin = ParseZLexBound(min_arg);
      lmax = ParseZLexBound(max_arg);
      if (!lmin || !lmax) {
        ctx.reply.Error(kZLexRangeError);
        return Status::Ok();
      }
      break;
  }
  ZSetStore z(ctx.db, ctx.argv[first]);
  bool replied;
  LARDER_ASSIGN_OR_RETURN(ZSetStore::State state, LoadZSet(ctx, z, Access::kRead, &replied));
  (void)state;
  if (replied) return Status::Ok();
  std::vector<ZMember> result;
  if (z.exists() && offset >= 0) {
    const ZLimit zlimit{offset, limit};
    if (type == RangeType::kRank) {
      std::uint64_t from = 0, to = 0;
      if (NormalizeRankRange(*start, *stop, z.card(), &from, &to)) {
        LARDER_ASSIGN_OR_RETURN(result, z.RangeByRank(from, to, reverse));
      }
    } else if (type == RangeType::kScore) {
      LARDER_ASSIGN_OR_RETURN(result, z.RangeByScore(ZScoreRange{*smin, *smax}, reverse, zlimit));
    } else {
      LARDER_ASSIGN_OR_RETURN(
          result, z.RangeByLex(ZLexRange{std::move(*lmin), std::move(*lmax)}, reverse, zlimit));
    }
  }
  if (store) {
    LARDER_ASSIGN_OR_RETURN(std::uint64_t n,
                            StoreZSetResult(ctx, ctx.argv[1], result, "zrangestore"));
    ctx.reply.Integer(static_cast<std::int64_t>(n));
    return Status::Ok();
  }
  ReplyZMembers(ctx.reply, result, withscores);
  return Status::Ok();
}

Status ZRangeCommand(CommandContext& ctx) {
  return ZRangeGeneric(ctx, 1, false, RangeType::kAuto, Direction::kAuto);
}
Status ZRangeStoreCommand(CommandContext& ctx) {
  return ZRangeGeneric(ctx, 2, true, RangeType::kAuto, Direction::kAuto);
}
Status ZRevRangeCommand(CommandContext& ctx) {
  return ZRangeGeneric(ctx, 1, false, RangeType::kRank, Direction::kReverse);
}
Status ZRangeByScoreCommand(CommandContext& ctx) {
  return ZRangeGeneric(ctx, 1, false, RangeType::kScore, Direction::kForward);
}
Status ZRevRangeByScoreCommand(CommandContext& ctx) {
  return ZRangeGeneric(ctx, 1, false, RangeType::kScore, Direction::kReverse);
}
Status ZRangeByLexCommand(CommandContext& ctx) {
  return ZRangeGeneric(ctx, 1, false, RangeType::kLex, Direction::kForward);
}
Status ZRevRangeByLexCommand(CommandContext& ctx) {
  return ZRangeGeneric(ctx, 1, false, RangeType::kLex, Direction::kReverse);
}

// ZREMRANGEBYRANK|SCORE|LEX key min max
Status ZRemRangeGeneric(CommandContext& ctx, RangeType type) {
  std::optional<std::int64_t> start, stop;
  std::optional<ZScoreBound> smin, smax;
  std::optional<ZLexBound> lmin, lmax;
  std::string_view event;
  if (type == RangeType::kRank) {
    event = "zremrangebyrank";
    start = ParseInt64(ctx.argv[2]);
    stop = start ? ParseInt64(ctx.argv[3]) : std::nullopt;
    if (!stop) {
      ctx.reply.Error(errors::kNotInteger);
      return Status::Ok();
    }
  } else if (type == RangeType::kScore) {
    event = "zremrangebyscore";
    smin = ParseZScoreBound(ctx.argv[2]);
    smax = ParseZScoreBound(ctx.argv[3]);
    if (!smin || !smax) {
      ctx.reply.Error(kZScoreRangeError);
      return Status::Ok();
    }
  } else {
    event = "zremrangebylex";
    lmin = ParseZLexBound(ctx.argv[2]);
    lmax = ParseZLexBound(ctx.argv[3]);
    if (!lmin || !lmax) {
      ctx.reply.Error(kZLexRangeError);
      return Status::Ok();
    }
  }
  ZSetStore z(ctx.db, ctx.argv[1], ZSetLimitsFor(ctx));
  bool replied;
  LARDER_ASSIGN_OR_RETURN(ZSetStore::State state, LoadZSet(ctx, z, Access::kWrite, &replied));
  (void)state;
  if (replied) return Status::Ok();
  std::uint64_t removed = 0;
  if (z.exists()) {
    if (type == RangeType::kRank) {
      std::uint64_t from = 0, to = 0;
      if (NormalizeRankRange(*start, *stop, z.card(), &from, &to)) {
        LARDER_ASSIGN_OR_RETURN(removed, z.RemoveRangeByRank(from, to));
      }
    } else if (type == RangeType::kScore) {
      LARDER_ASSIGN_OR_RETURN(removed, z.RemoveRangeByScore(ZScoreRange{*smin, *smax}));
    } else {
      LARDER_ASSIGN_OR_RETURN(removed,
                              z.RemoveRangeByLex(ZLexRange{std::move(*lmin), std::move(*lmax)}));
    }
  }
  LARDER_RETURN_IF_ERROR(CommitZSet(ctx, z, event));
  ctx.reply.Integer(static_cast<std::int64_t>(removed));
  return Status::Ok();
}
Status ZRemRangeByRankCommand(CommandContext& ctx) {
  return ZRemRangeGeneric(ctx, RangeType::kRank);
}
Status ZRemRangeByScoreCommand(CommandContext& ctx) {
  return ZRemRangeGeneric(ctx, RangeType::kScore);
}
Status ZRemRangeByLexCommand(CommandContext& ctx) { return ZRemRangeGeneric(ctx, RangeType::kLex); }

}  // namespace

void RegisterZSetRangeCommands(CommandTable& table) {
  constexpr std::uint32_t kRead = kCmdReadOnly;
  constexpr std::uint32_t kWrite = kCmdWrite;
  const std::vector<CommandSpec> specs = {
      ZSetSpec("zrange", -4, kRead, 1, 1, ZRangeCommand, "Members in a range", "1.2.0"),
      ZSetSpec("zrangestore", -5, kWrite | kCmdDenyOom, 1, 2, ZRangeStoreCommand,
               "Stores members in a range", "6.2.0"),
      ZSetSpec("zrevrange", -4, kRead, 1, 1, ZRevRangeCommand, "Members by rank, high to low",
               "1.2.0"),
      ZSetSpec("zrangebyscore", -4, kRead, 1, 1, ZRangeByScoreCommand, "Members by score", "1.0.5"),
      ZSetSpec("zrevrangebyscore", -4, kRead, 1, 1, ZRevRangeByScoreCommand,
               "Members by score, high to low", "2.2.0"),
      ZSetSpec("zrangebylex", -4, kRead, 1, 1, ZRangeByLexCommand, "Members by lex range", "2.8.9"),
      ZSetSpec("zrevrangebylex", -4, kRead, 1, 1, ZRevRangeByLexCommand,
               "Members by lex range, high to low", "2.8.9"),
      ZSetSpec("zremrangebyrank", 4, kWrite, 1, 1, ZRemRangeByRankCommand,
               "Removes members by rank", "2.0.0"),
      ZSetSpec("zremrangebyscore", 4, kWrite, 1, 1, ZRemRangeByScoreCommand,
               "Removes members by score", "1.2.0"),
      ZSetSpec("zremrangebylex", 4, kWrite, 1, 1, ZRemRangeByLexCommand,
               "Removes members by lex range", "2.8.9"),
  };
  for (const CommandSpec& spec : specs) table.Add(spec);
}

}  // namespace larder::server
