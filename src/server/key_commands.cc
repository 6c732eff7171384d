// The generic key commands: DEL UNLINK EXISTS TYPE RENAME RENAMENX COPY MOVE KEYS SCAN RANDOMKEY
// TOUCH (expiry commands: expire_commands.cc; OBJECT: object_command.cc), with Redis 7.0's
// replies and errors.
#include "server/key_commands.h"

#include <climits>
#include <memory>
#include <string>
#include <vector>

#include "server/access_times.h"
#include "server/args.h"
#include "server/keyspace_events.h"
#include "server/reply_builder.h"
#include "server/scan.h"
#include "server/server.h"
#include "server/ts_service.h"

namespace larder::server {

void CountLookup(CommandContext& ctx, Access access, bool hit) {
  if (access != Access::kRead) return;
  auto& counter = hit ? ctx.server.stats().keyspace_hits : ctx.server.stats().keyspace_misses;
  counter.fetch_add(1, std::memory_order_relaxed);
}

Result<std::optional<KeyInfo>> LookupKey(CommandContext& ctx, std::string_view key, Access access,
                                         std::string* string_value) {
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info, ctx.db.Lookup(key, string_value));
  CountLookup(ctx, access, info.has_value());
  // As Redis's lookupKeyRead: a read command's miss is also a "keymiss" event.
  if (access == Access::kRead && !info) NotifyKeyspaceEvent(ctx, kNotifyKeyMiss, "keymiss", key);
  return info;
}

Result<std::optional<KeyInfo>> LookupTyped(CommandContext& ctx, std::string_view key,
                                           ValueType type, Access access, bool* replied) {
  *replied = false;
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info, LookupKey(ctx, key, access));
  if (info && info->type != type) {
    ctx.reply.Error(errors::kWrongType);
    *replied = true;
    return std::optional<KeyInfo>();
  }
  return info;
}

Database* ParseDbArgument(CommandContext& ctx, std::string_view arg) {
  const std::optional<std::int64_t> index = ParseInt64InRange(arg, INT_MIN, INT_MAX);
  if (!index) {
    ctx.reply.Error(errors::kNotInteger);
    return nullptr;
  }
  if (*index < 0 || *index >= ctx.keyspace.databases()) {
    ctx.reply.Error(errors::kDbIndex);
    return nullptr;
  }
  return &ctx.keyspace.db(static_cast<int>(*index));
}

namespace {

// DEL and UNLINK: Database::Delete never blocks on a big collection, so both are the same. A
// name the keyspace lacks may be a time series (beside the keyspace, ts_service.h): dropped.
Status DelCommand(CommandContext& ctx) {
  std::int64_t deleted = 0;
  for (std::size_t i = 1; i < ctx.argv.size(); ++i) {
    LARDER_ASSIGN_OR_RETURN(bool existed, ctx.db.Delete(ctx.argv[i]));
    if (!existed) {
      LARDER_ASSIGN_OR_RETURN(existed,
                              ctx.server.Service<TsService>().DropSeries(std::string(ctx.argv[i])));
    }
    if (!existed) continue;
    ++deleted;
    NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", ctx.argv[i]);
  }
  ctx.reply.Integer(deleted);
  return Status::Ok();
}

// EXISTS counts a key as often as it is named; TOUCH too, and marks each as accessed.
Status CountExisting(CommandContext& ctx, bool touch) {
  std::int64_t found = 0;
  for (std::size_t i = 1; i < ctx.argv.size(); ++i) {
    LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info,
                            LookupKey(ctx, ctx.argv[i], Access::kRead));
    if (!info) continue;
    ++found;
    if (touch) ctx.db.Touch(ctx.argv[i]);
  }
  ctx.reply.Integer(found);
  return Status::Ok();
}
Status ExistsCommand(CommandContext& ctx) { return CountExisting(ctx, false); }
Status TouchCommand(CommandContext& ctx) {
  KeyAccessTimes& times = ctx.server.Service<KeyAccessTimes>();
  for (std::size_t i = 1; i < ctx.argv.size(); ++i) {
    times.Record(ctx.db.index(), ctx.argv[i], ctx.now_ms);
  }
  return CountExisting(ctx, true);
}

Status TypeCommand(CommandContext& ctx) {
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info, LookupKey(ctx, ctx.argv[1], Access::kRead));
  if (!info && ctx.server.Service<TsService>().HasSeries(ctx.argv[1])) {
    // Series live beside the keyspace (ts_service.h); TYPE names them as RedisTimeSeries does.
    ctx.reply.SimpleString("TSDB-TYPE");
    return Status::Ok();
  }
  ctx.reply.SimpleString(info ? TypeName(info->type) : "none");
  return Status::Ok();
}

Status RenameGeneric(CommandContext& ctx, bool nx) {
  const std::string_view src = ctx.argv[1];
  const std::string_view dst = ctx.argv[2];
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info, ctx.db.Lookup(src));
  if (!info) {
    ctx.reply.Error(errors::kNoSuchKey);
    return Status::Ok();
  }
  if (src == dst) {  // nothing moves: RENAME says OK, RENAMENX that dst exists
    if (nx) {
      ctx.reply.Integer(0);
    } else {
      ctx.reply.Ok();
    }
    return Status::Ok();
  }
  if (nx) {
    LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> target, ctx.db.Lookup(dst));
    if (target) {
      ctx.reply.Integer(0);
      return Status::Ok();
    }
  }
  LARDER_ASSIGN_OR_RETURN(bool renamed, ctx.db.RenameKey(src, dst));
  if (!renamed) {  // cannot happen after the lookup above, but answer as Redis would
    ctx.reply.Error(errors::kNoSuchKey);
    return Status::Ok();
  }
  NotifyKeyspaceEvent(ctx, kNotifyGeneric, "rename_from", src);
  NotifyKeyspaceEvent(ctx, kNotifyGeneric, "rename_to", dst);
  if (nx) {
    ctx.reply.Integer(1);
  } else {
    ctx.reply.Ok();
  }
  return Status::Ok();
}
Status RenameCommand(CommandContext& ctx) { return RenameGeneric(ctx, false); }
Status RenameNxCommand(CommandContext& ctx) { return RenameGeneric(ctx, true); }

// COPY source destination [DB destination-db] [REPLACE]
Status CopyCommand(CommandContext& ctx) {
  Database* target = &ctx.db;
  bool replace = false;
  for (std::size_t i = 3; i < ctx.argv.size(); ++i) {
    if (EqualsIgnoreCase(ctx.argv[i], "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(ctx.argv[i], "db") && i + 1 < ctx.argv.size()) {
      target = ParseDbArgument(ctx, ctx.argv[++i]);
      if (target == nullptr) return Status::Ok();
    } else {
      ctx.reply.Error(errors::kSyntax);
      return Status::Ok();
    }
  }
  if (target->index() == ctx.db.index() && ctx.argv[1] == ctx.argv[2]) {
    ctx.reply.Error(kSameObjectError);
    return Status::Ok();
  }
  // As Redis, the source is read like a read command's key (hits, misses, "keymiss").
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> source,
                          LookupKey(ctx, ctx.argv[1], Access::kRead));
  if (!source) {
    ctx.reply.Integer(0);
    return Status::Ok();
  }
  LARDER_ASSIGN_OR_RETURN(bool copied, ctx.db.CopyKey(ctx.argv[1], *target, ctx.argv[2], replace));
  if (copied) NotifyKeyspaceEvent(ctx, kNotifyGeneric, "copy_to", ctx.argv[2], target->index());
  ctx.reply.Integer(copied ? 1 : 0);
  return Status::Ok();
}

// MOVE key db: a copy into the other database (only when the key is absent there), then a
// delete, in the same batch (so no client sees the key in both or neither).
Status MoveCommand(CommandContext& ctx) {
  Database* target = ParseDbArgument(ctx, ctx.argv[2]);
  if (target == nullptr) return Status::Ok();
  if (target->index() == ctx.db.index()) {
    ctx.reply.Error(kSameObjectError);
    return Status::Ok();
  }
  LARDER_ASSIGN_OR_RETURN(bool copied, ctx.db.CopyKey(ctx.argv[1], *target, ctx.argv[1], false));
  if (copied) {
    LARDER_ASSIGN_OR_RETURN(bool deleted, ctx.db.Delete(ctx.argv[1]));
    if (!deleted) return Status::Corruption("MOVE: the copied key vanished from its source");
    NotifyKeyspaceEvent(ctx, kNotifyGeneric, "move_from", ctx.argv[1]);
    NotifyKeyspaceEvent(ctx, kNotifyGeneric, "move_to", ctx.argv[1], target->index());
  }
  ctx.reply.Integer(copied ? 1 : 0);
  return Status::Ok();
}

Status KeysCommand(CommandContext& ctx) {
  const std::string_view pattern = ctx.argv[1];
  const bool all = pattern == "*";
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it, ctx.db.Keys());
  const std::size_t header = ctx.reply.BeginDeferredArray();
  std::size_t n = 0;
  for (; it->Valid(); it->Next()) {
    if (!all && !GlobMatch(pattern, it->key())) continue;
    ctx.reply.Bulk(it->key());
    ++n;
  }
  LARDER_RETURN_IF_ERROR(it->status());  // the dispatcher discards the partial reply
  ctx.reply.EndDeferredArray(header, n);
  return Status::Ok();
}

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]: COUNT keys visited per call, then
// filtered (so a call may return fewer, even none, with a non-zero cursor).
Status ScanCommand(CommandContext& ctx) {
  const std::optional<std::uint64_t> cursor = ParseScanCursorOrReply(ctx, ctx.argv[1]);
  if (!cursor) return Status::Ok();
  ScanOptions options;
  if (!ParseScanOptions(ctx, 2, /*allow_type=*/true, &options)) return Status::Ok();
  ScanCursorTable& table = ScanCursors(ctx);
  const std::string scope = "db:" + std::to_string(ctx.db.index());
  const std::optional<std::string> last = table.Take(*cursor, scope);
  ScanBatch batch;
  {
    LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it, ctx.db.Keys(ScanStartAfter(last)));
    LARDER_ASSIGN_OR_RETURN(batch, CollectScanBatch(*it, options.count));
  }  // the walk ends before the lookups below (which may reclaim expired keys)
  std::vector<std::string_view> keys;
  for (const auto& [key, unused] : batch.items) {
    if (options.pattern && !GlobMatch(*options.pattern, key)) continue;
    if (options.type) {
      LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info, ctx.db.Lookup(key));
      if (!info || !EqualsIgnoreCase(TypeName(info->type), *options.type)) continue;
    }
    keys.push_back(key);
  }
  ReplyScan(ctx, table, scope, batch, keys);
  return Status::Ok();
}

Status RandomKeyCommand(CommandContext& ctx) {
  LARDER_ASSIGN_OR_RETURN(std::optional<std::string> key, ctx.db.RandomKey());
  if (key) {
    ctx.reply.Bulk(*key);
  } else {
    ctx.reply.Null();
  }
  return Status::Ok();
}

}  // namespace

void RegisterKeyCommands(CommandTable& table) {
  const std::vector<CommandSpec> specs = {
      {"del", -2, kCmdWrite, 1, -1, 1, DelCommand, "generic", "Delete keys", "1.0.0", {}},
      {"unlink",
       -2,
       kCmdWriteFast,
       1,
       -1,
       1,
       DelCommand,
       "generic",
       "Delete keys; big collections are reclaimed in the background",
       "4.0.0",
       {}},
      {"exists",
       -2,
       kCmdReadFast,
       1,
       -1,
       1,
       ExistsCommand,
       "generic",
       "Count how many of the given keys exist",
       "1.0.0",
       {}},
      {"type",
       2,
       kCmdReadFast,
       1,
       1,
       1,
       TypeCommand,
       "generic",
       "The type of a key's value",
       "1.0.0",
       {}},
      {"rename",
       3,
       kCmdWrite,
       1,
       2,
       1,
       RenameCommand,
       "generic",
       "Give a key a new name, replacing the destination",
       "1.0.0",
       {}},
      {"renamenx",
       3,
       kCmdWriteFast,
       1,
       2,
       1,
       RenameNxCommand,
       "generic",
       "Give a key a new name when the destination is absent",
       "1.0.0",
       {}},
      {"copy",
       -3,
       kCmdWrite | kCmdDenyOom,
       1,
       2,
       1,
       CopyCommand,
       "generic",
       "Copy a key's value and expiry, into this or another database",
       "6.2.0",
       {}},
      {"move",
       3,
       kCmdWriteFast,
       1,
       1,
       1,
       MoveCommand,
       "generic",
       "Move a key to another database",
       "1.0.0",
       {}},
      {"keys",
       2,
       kCmdReadOnly,
       0,
       0,
       0,
       KeysCommand,
       "generic",
       "Every key matching a glob pattern",
       "1.0.0",
       {}},
      {"scan",
       -2,
       kCmdReadOnly,
       0,
       0,
       0,
       ScanCommand,
       "generic",
       "Walk the keys of the database a few at a time",
       "2.8.0",
       {}},
      {"randomkey",
       1,
       kCmdReadOnly,
       0,
       0,
       0,
       RandomKeyCommand,
       "generic",
       "A random key of the database",
       "1.0.0",
       {}},
      {"touch",
       -2,
       kCmdReadFast,
       1,
       -1,
       1,
       TouchCommand,
       "generic",
       "Mark keys as accessed; count the existing ones",
       "3.2.1",
       {}},
  };
  for (const CommandSpec& spec : specs) table.Add(spec);
  RegisterExpireCommands(table);
  RegisterObjectCommand(table);
}

}  // namespace larder::server
