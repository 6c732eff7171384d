// DBSIZE, FLUSHDB, FLUSHALL, SWAPDB (RegisterKeyspaceAdminCommands). SAVE, BGSAVE and LASTSAVE
// are registered beside Durability (they belong to the durability side).
//
// FLUSHDB/FLUSHALL are O(1) whatever the mode: the database gets a new physical database and
// the old one is reclaimed by the expiry cycle in bounded steps (docs/formats/larderd.md), so
// ASYNC and SYNC differ only in being accepted.
#include <optional>
#include <string_view>

#include "server/args.h"
#include "server/command.h"
#include "server/keyspace.h"
#include "server/reply_builder.h"

namespace larder::server {
namespace {

Status DbSize(CommandContext& ctx) {
  LARDER_ASSIGN_OR_RETURN(std::uint64_t n, ctx.db.KeyCount());
  ctx.reply.Integer(static_cast<std::int64_t>(n));
  return Status::Ok();
}

// [ASYNC|SYNC]: false (and the syntax error replied) otherwise.
bool FlushModeOk(CommandContext& ctx) {
  if (ctx.argv.size() > 2 || (ctx.argv.size() == 2 && !EqualsIgnoreCase(ctx.argv[1], "async") &&
                              !EqualsIgnoreCase(ctx.argv[1], "sync"))) {
    ctx.reply.Error(errors::kSyntax);
    return false;
  }
  return true;
}

Status FlushDb(CommandContext& ctx) {
  if (!FlushModeOk(ctx)) return Status::Ok();
  LARDER_RETURN_IF_ERROR(ctx.keyspace.FlushDb(ctx.db.index()));
  ctx.reply.Ok();
  return Status::Ok();
}

Status FlushAll(CommandContext& ctx) {
  if (!FlushModeOk(ctx)) return Status::Ok();
  LARDER_RETURN_IF_ERROR(ctx.keyspace.FlushAll());
  ctx.reply.Ok();
  return Status::Ok();
}

Status SwapDb(CommandContext& ctx) {
  const std::optional<std::int64_t> a = ParseInt64(ctx.argv[1]);
  if (!a) {
    ctx.reply.Error("ERR invalid first DB index");
    return Status::Ok();
  }
  const std::optional<std::int64_t> b = ParseInt64(ctx.argv[2]);
  if (!b) {
    ctx.reply.Error("ERR invalid second DB index");
    return Status::Ok();
  }
  const std::int64_t n = ctx.keyspace.databases();
  if (*a < 0 || *a >= n || *b < 0 || *b >= n) {
    ctx.reply.Error(errors::kDbIndex);
    return Status::Ok();
  }
  if (*a != *b) {
    LARDER_RETURN_IF_ERROR(ctx.keyspace.SwapDb(static_cast<int>(*a), static_cast<int>(*b)));
  }
  ctx.reply.Ok();
  return Status::Ok();
}

}  // namespace

void RegisterKeyspaceAdminCommands(CommandTable& table) {
  table.Add({"dbsize",
             1,
             kCmdReadFast,
             0,
             0,
             0,
             DbSize,
             "server",
             "Return the number of keys in the selected database",
             "1.0.0",
             {}});
  table.Add({"flushdb",
             -1,
             kCmdWrite,
             0,
             0,
             0,
             FlushDb,
             "server",
             "Remove all keys from the current database",
             "1.0.0",
             {}});
  table.Add({"flushall",
             -1,
             kCmdWrite,
             0,
             0,
             0,
             FlushAll,
             "server",
             "Remove all keys from all databases",
             "1.0.0",
             {}});
  table.Add({"swapdb",
             3,
             kCmdWriteFast,
             0,
             0,
             0,
             SwapDb,
             "server",
             "Swaps two Redis databases",
             "4.0.0",
             {}});
}

}  // namespace larder::server
