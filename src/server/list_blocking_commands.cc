// The blocking list commands: BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP, on blocking.h's "re-run the
// command" model: a handler that finds every key empty blocks its client on the keys (no reply)
// and is run again when one of them changes, first come, first served. Inside MULTI/EXEC
// (ctx.may_block false) it replies at once as on a timeout, as Redis does.
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "server/args.h"
#include "server/blocking.h"
#include "server/blocking_keys.h"
#include "server/list_commands.h"
#include "server/reply_builder.h"

namespace larder::server {
namespace {

void ReplyNullArray(ReplyBuilder& reply) { reply.NullArray(); }

// BLPOP/BRPOP key [key ...] timeout.
Status BPopGeneric(CommandContext& ctx, ListEnd end) {
  const std::optional<std::int64_t> deadline = ParseBlockDeadline(ctx, ctx.argv.back());
  if (!deadline) return Status::Ok();
  const auto keys = ctx.argv.subspan(1, ctx.argv.size() - 2);
  LARDER_ASSIGN_OR_RETURN(bool served,
                          ServeFirstList(ctx, ServableKeys(ctx, keys), end, 1, /*flat=*/true));
  if (!served) BlockOnKeys(ctx, keys, *deadline, ReplyNullArray, ValueType::kList);
  return Status::Ok();
}
Status BLPopCommand(CommandContext& ctx) { return BPopGeneric(ctx, ListEnd::kHead); }
Status BRPopCommand(CommandContext& ctx) { return BPopGeneric(ctx, ListEnd::kTail); }

// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout, and BRPOPLPUSH (RIGHT LEFT).
Status BLMoveGeneric(CommandContext& ctx, ListEnd from, ListEnd to, std::string_view timeout) {
  const std::optional<std::int64_t> deadline = ParseBlockDeadline(ctx, timeout);
  if (!deadline) return Status::Ok();
  bool replied;
  LARDER_ASSIGN_OR_RETURN(std::optional<ListKey> source,
                          OpenList(ctx, ctx.argv[1], Access::kWrite, &replied));
  if (replied) return Status::Ok();
  if (!source) {
    // Redis 7.0: a null bulk where it may not block, but a null array on a timeout.
    if (!ctx.may_block) {
      ctx.reply.Null();
      return Status::Ok();
    }
    BlockOnKeys(ctx, ctx.argv.subspan(1, 1), *deadline, ReplyNullArray, ValueType::kList);
    return Status::Ok();
  }
  return MoveAndReply(ctx, *source, ctx.argv[2], from, to);
}

Status BLMoveCommand(CommandContext& ctx) {
  const std::optional<ListEnd> from = ParseListEnd(ctx, ctx.argv[3]);
  if (!from) return Status::Ok();
  const std::optional<ListEnd> to = ParseListEnd(ctx, ctx.argv[4]);
  if (!to) return Status::Ok();
  return BLMoveGeneric(ctx, *from, *to, ctx.argv[5]);
}
Status BRPopLPushCommand(CommandContext& ctx) {
  return BLMoveGeneric(ctx, ListEnd::kTail, ListEnd::kHead, ctx.argv[3]);
}

// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count].
Status BLMPopCommand(CommandContext& ctx) {
  const std::optional<std::int64_t> deadline = ParseBlockDeadline(ctx, ctx.argv[1]);
  if (!deadline) return Status::Ok();
  const std::optional<MPopArgs> args = ParseMPop(ctx, 2);
  if (!args) return Status::Ok();
  LARDER_ASSIGN_OR_RETURN(bool served, ServeFirstList(ctx, ServableKeys(ctx, args->keys), args->end,
                                                      args->count, false));
  if (!served) BlockOnKeys(ctx, args->keys, *deadline, ReplyNullArray, ValueType::kList);
  return Status::Ok();
}

constexpr std::uint32_t kBlocking = kCmdWrite | kCmdBlocking;

}  // namespace

void RegisterListBlockingCommands(CommandTable& table) {
  table.Add(ListCommandSpec("blpop", -3, kBlocking | kCmdNoScript, 1, -2, BLPopCommand,
                            "Pop the first element of the first non-empty list, or block",
                            "2.0.0"));
  table.Add(ListCommandSpec("brpop", -3, kBlocking | kCmdNoScript, 1, -2, BRPopCommand,
                            "Pop the last element of the first non-empty list, or block", "2.0.0"));
  table.Add(ListCommandSpec("blmove", 6, kBlocking | kCmdDenyOom | kCmdNoScript, 1, 2,
                            BLMoveCommand, "LMOVE, or block until the source has an element",
                            "6.2.0"));
  table.Add(ListCommandSpec("brpoplpush", 4, kBlocking | kCmdDenyOom | kCmdNoScript, 1, 2,
                            BRPopLPushCommand,
                            "RPOPLPUSH, or block until the source has an element", "2.2.0"));
  table.Add(ListCommandSpec("blmpop", -5, kBlocking, 0, 0, BLMPopCommand,
                            "LMPOP, or block until one of the lists has an element", "7.0.0"));
}

}  // namespace larder::server
