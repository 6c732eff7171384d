// Sorted-set pops: ZPOPMIN ZPOPMAX ZMPOP, and the shared pop used by the blocking forms
// (zset_blocking_commands.cc), with Redis 7.0's reply shapes:
//   ZPOPMIN/ZPOPMAX       a flat [member, score, ...] (RESP3 with a count: [[member, score]...])
//   BZPOPMIN/BZPOPMAX     [key, member, score]
//   ZMPOP/BZMPOP          [key, [[member, score], ...]]
#include <optional>
#include <string>
#include <vector>

#include "server/args.h"
#include "server/reply_builder.h"
#include "server/zset_commands.h"

namespace larder::server {

Result<ZPopOutcome> ZPopFirst(CommandContext& ctx, std::span<const std::string_view> keys, bool max,
                              std::int64_t count, ZPopShape shape) {
  for (std::string_view key : keys) {
    ZSetStore z(ctx.db, key, ZSetLimitsFor(ctx));
    LARDER_ASSIGN_OR_RETURN(const bool replied, LoadZSet(ctx, z, Access::kWrite));
    if (replied) return ZPopOutcome::kReplied;
    if (!z.exists()) continue;
    if (count == 0) {
      ctx.reply.ArrayHeader(0);
      return ZPopOutcome::kReplied;
    }
    LARDER_ASSIGN_OR_RETURN(std::vector<ZMember> popped,
                            z.Pop(max, count < 0 ? 1 : static_cast<std::uint64_t>(count)));
    LARDER_RETURN_IF_ERROR(CommitZSet(ctx, z, max ? "zpopmax" : "zpopmin"));
    bool nested = false;
    switch (shape) {
      case ZPopShape::kPop:
        nested = ctx.reply.protocol() >= 3 && count >= 0;
        ctx.reply.ArrayHeader(nested ? popped.size() : 2 * popped.size());
        break;
      case ZPopShape::kBlockingPop:
        ctx.reply.ArrayHeader(1 + 2 * popped.size());
        ctx.reply.Bulk(key);
        break;
      case ZPopShape::kMPop:
        nested = true;
        ctx.reply.ArrayHeader(2);
        ctx.reply.Bulk(key);
        ctx.reply.ArrayHeader(popped.size());
        break;
    }
    for (const ZMember& m : popped) {
      if (nested) ctx.reply.ArrayHeader(2);
      ctx.reply.Bulk(m.member);
      ctx.reply.Double(m.score);
    }
    return ZPopOutcome::kReplied;
  }
  return ZPopOutcome::kEmpty;
}

std::optional<ZMPopArgs> ParseZMPopArgs(CommandContext& ctx, std::size_t numkeys_at) {
  constexpr std::string_view kNumKeysError = "ERR numkeys should be greater than 0";
  const std::optional<std::int64_t> numkeys = ParseInt64(ctx.argv[numkeys_at]);
  if (!numkeys || *numkeys < 1) {
    ctx.reply.Error(kNumKeysError);
    return std::nullopt;
  }
  if (*numkeys >= static_cast<std::int64_t>(ctx.argv.size() - numkeys_at - 1)) {
    ctx.reply.Error(errors::kSyntax);
    return std::nullopt;
  }
  ZMPopArgs args;
  args.keys = ctx.argv.subspan(numkeys_at + 1, static_cast<std::size_t>(*numkeys));
  std::size_t j = numkeys_at + 1 + args.keys.size();
  if (EqualsIgnoreCase(ctx.argv[j], "min")) {
    args.max = false;
  } else if (EqualsIgnoreCase(ctx.argv[j], "max")) {
    args.max = true;
  } else {
    ctx.reply.Error(errors::kSyntax);
    return std::nullopt;
  }
  bool have_count = false;
  for (++j; j < ctx.argv.size(); ++j) {
    if (!have_count && EqualsIgnoreCase(ctx.argv[j], "count") && j + 1 < ctx.argv.size()) {
      const std::optional<std::int64_t> count = ParseInt64(ctx.argv[++j]);
      if (!count || *count < 1) {
        ctx.reply.Error("ERR count should be greater than 0");
        return std::nullopt;
      }
      args.count = *count;
      have_count = true;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return std::nullopt;
    }
  }
  return args;
}

namespace {

// ZPOPMIN|ZPOPMAX key [count]
Status ZPopGeneric(CommandContext& ctx, bool max) {
  if (ctx.argv.size() > 3) {
    ctx.reply.Error(errors::kSyntax);
    return Status::Ok();
  }
  std::int64_t count = -1;
  if (ctx.argv.size() == 3) {
    const std::optional<std::int64_t> parsed = ParseInt64(ctx.argv[2]);
    if (!parsed || *parsed < 0) {
      ctx.reply.Error("ERR value is out of range, must be positive");
      return Status::Ok();
    }
    count = *parsed;
  }
  LARDER_ASSIGN_OR_RETURN(ZPopOutcome outcome,
                          ZPopFirst(ctx, ctx.argv.subspan(1, 1), max, count, ZPopShape::kPop));
  if (outcome == ZPopOutcome::kEmpty) ctx.reply.ArrayHeader(0);
  return Status::Ok();
}
Status ZPopMinCommand(CommandContext& ctx) { return ZPopGeneric(ctx, false); }
Status ZPopMaxCommand(CommandContext& ctx) { return ZPopGeneric(ctx, true); }

// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
Status ZMPopCommand(CommandContext& ctx) {
  const std::optional<ZMPopArgs> args = ParseZMPopArgs(ctx, 1);
  if (!args) return Status::Ok();
  LARDER_ASSIGN_OR_RETURN(ZPopOutcome outcome,
                          ZPopFirst(ctx, args->keys, args->max, args->count, ZPopShape::kMPop));
  if (outcome == ZPopOutcome::kEmpty) ctx.reply.NullArray();
  return Status::Ok();
}

}  // namespace

void RegisterZSetPopCommands(CommandTable& table) {
  const std::vector<CommandSpec> specs = {
      ZSetSpec("zpopmin", -2, kCmdWriteFast, 1, 1, ZPopMinCommand,
               "Removes and returns the lowest-scored members", "5.0.0"),
      ZSetSpec("zpopmax", -2, kCmdWriteFast, 1, 1, ZPopMaxCommand,
               "Removes and returns the highest-scored members", "5.0.0"),
      ZSetSpec("zmpop", -4, kCmdWrite, 0, 0, ZMPopCommand,
               "Pops members from the first non-empty sorted set", "7.0.0"),
  };
  for (const CommandSpec& spec : specs) table.Add(spec);
  RegisterZSetBlockingCommands(table);
}

}  // namespace larder::server
