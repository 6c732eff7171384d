// BZPOPMIN BZPOPMAX BZMPOP on blocking.h's "re-run the command" model: a handler that finds every
// key empty blocks its client on the keys (no reply) and is run again when one of them changes,
// first come, first served; inside MULTI/EXEC it replies at once as on a timeout (a null array),
// as Redis 7.0 does.
#include <optional>
#include <string_view>

#include "server/blocking_keys.h"
#include "server/reply_builder.h"
#include "server/zset_commands.h"

namespace larder::server {
namespace {

void ReplyNullArray(ReplyBuilder& reply) { reply.NullArray(); }

// BZPOPMIN|BZPOPMAX key [key ...] timeout
Status BZPopGeneric(CommandContext& ctx, bool max) {
  const std::optional<std::int64_t> deadline = ParseBlockDeadline(ctx, ctx.argv.back());
  if (!deadline) return Status::Ok();
  const auto keys = ctx.argv.subspan(1, ctx.argv.size() - 2);
  LARDER_ASSIGN_OR_RETURN(ZPopOutcome outcome,
                          ZPopFirst(ctx, keys, max, -1, ZPopShape::kBlockingPop));
  if (outcome == ZPopOutcome::kEmpty)
    BlockOnKeys(ctx, keys, *deadline, ReplyNullArray, ValueType::kZSet);
  return Status::Ok();
}
Status BZPopMinCommand(CommandContext& ctx) { return BZPopGeneric(ctx, false); }
Status BZPopMaxCommand(CommandContext& ctx) { return BZPopGeneric(ctx, true); }

// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
Status BZMPopCommand(CommandContext& ctx) {
  const std::optional<std::int64_t> deadline = ParseBlockDeadline(ctx, ctx.argv[1]);
  if (!deadline) return Status::Ok();
  const std::optional<ZMPopArgs> args = ParseZMPopArgs(ctx, 2);
  if (!args) return Status::Ok();
  LARDER_ASSIGN_OR_RETURN(ZPopOutcome outcome,
                          ZPopFirst(ctx, args->keys, args->max, args->count, ZPopShape::kMPop));
  if (outcome == ZPopOutcome::kEmpty)
    BlockOnKeys(ctx, args->keys, *deadline, ReplyNullArray, ValueType::kZSet);
  return Status::Ok();
}

}  // namespace

void RegisterZSetBlockingCommands(CommandTable& table) {
  constexpr std::uint32_t kFlags = kCmdWrite | kCmdNoScript | kCmdBlocking;
  table.Add(ZSetSpec("bzpopmin", -3, kFlags | kCmdFast, 1, -2, BZPopMinCommand,
                     "Pops the lowest-scored member, blocking", "5.0.0"));
  table.Add(ZSetSpec("bzpopmax", -3, kFlags | kCmdFast, 1, -2, BZPopMaxCommand,
                     "Pops the highest-scored member, blocking", "5.0.0"));
  table.Add(ZSetSpec("bzmpop", -5, kFlags, 0, 0, BZMPopCommand,
                     "Pops members from the first non-empty sorted set, blocking", "7.0.0"));
}

}  // namespace larder::server
