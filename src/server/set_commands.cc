// Set commands on members one at a time, plus the whole-set reads: SADD SREM SISMEMBER
// SMISMEMBER SCARD SMOVE SMEMBERS SSCAN, with Redis 7.0's replies, errors and keyspace events.
// (SINTER... in set_algebra_commands.cc, SPOP SRANDMEMBER in set_random_commands.cc.) A member
// is a record of the set's collection (set_store.h), so these touch only the members they name.
#include "server/set_commands.h"

#include <memory>
#include <string>
#include <vector>

#include "server/args.h"
#include "server/key_commands.h"
#include "server/keyspace_events.h"
#include "server/reply_builder.h"
#include "server/scan.h"
#include "server/set_store.h"

namespace larder::server {

Result<std::optional<KeyInfo>> LookupSet(CommandContext& ctx, std::string_view key, bool write,
                                         bool* replied) {
  return LookupTyped(ctx, key, ValueType::kSet, write ? Access::kWrite : Access::kRead, replied);
}

void ReplyMemberSet(CommandContext& ctx, std::span<const std::string> members) {
  ctx.reply.SetHeader(members.size());
  for (const std::string& member : members) ctx.reply.Bulk(member);
}

namespace {

std::span<const std::string_view> ArgsFrom(CommandContext& ctx, std::size_t first) {
  return ctx.argv.subspan(first);
}

Status SAddCommand(CommandContext& ctx) {
  bool replied;
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info,
                          LookupSet(ctx, ctx.argv[1], /*write=*/true, &replied));
  if (replied) return Status::Ok();
  LARDER_ASSIGN_OR_RETURN(std::int64_t added,
                          sets::Add(ctx.db, ctx.argv[1], &info, ArgsFrom(ctx, 2)));
  if (added > 0) NotifyKeyspaceEvent(ctx, kNotifySet, "sadd", ctx.argv[1]);
  ctx.reply.Integer(added);
  return Status::Ok();
}

Status SRemCommand(CommandContext& ctx) {
  bool replied;
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info,
                          LookupSet(ctx, ctx.argv[1], /*write=*/true, &replied));
  if (replied) return Status::Ok();
  std::int64_t removed = 0;
  if (info) {
    LARDER_ASSIGN_OR_RETURN(removed, sets::Remove(ctx.db, ctx.argv[1], &*info, ArgsFrom(ctx, 2)));
  }
  if (removed > 0) {
    NotifyKeyspaceEvent(ctx, kNotifySet, "srem", ctx.argv[1]);
    if (info->size == 0) NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", ctx.argv[1]);
  }
  ctx.reply.Integer(removed);
  return Status::Ok();
}

Status SIsMemberCommand(CommandContext& ctx) {
  bool replied;
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info,
                          LookupSet(ctx, ctx.argv[1], /*write=*/false, &replied));
  if (replied) return Status::Ok();
  bool found = false;
  if (info) {
    LARDER_ASSIGN_OR_RETURN(found, sets::Contains(ctx.db, *info, ctx.argv[2]));
  }
  ctx.reply.Integer(found ? 1 : 0);
  return Status::Ok();
}

Status SMIsMemberCommand(CommandContext& ctx) {
  bool replied;
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info,
                          LookupSet(ctx, ctx.argv[1], /*write=*/false, &replied));
  if (replied) return Status::Ok();
  std::vector<bool> found;
  for (std::size_t i = 2; i < ctx.argv.size(); ++i) {
    bool in = false;
    if (info) {
      LARDER_ASSIGN_OR_RETURN(in, sets::Contains(ctx.db, *info, ctx.argv[i]));
    }
    found.push_back(in);
  }
  ctx.reply.ArrayHeader(found.size());
  for (bool in : found) ctx.reply.Integer(in ? 1 : 0);
  return Status::Ok();
}

Status SCardCommand(CommandContext& ctx) {
  bool replied;
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info,
                          LookupSet(ctx, ctx.argv[1], /*write=*/false, &replied));
  if (replied) return Status::Ok();
  ctx.reply.Integer(info ? static_cast<std::int64_t>(info->size) : 0);
  return Status::Ok();
}

Status SMembersCommand(CommandContext& ctx) {
  bool replied;
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info,
                          LookupSet(ctx, ctx.argv[1], /*write=*/false, &replied));
  if (replied) return Status::Ok();
  std::vector<std::string> members;
  if (info) {
    LARDER_ASSIGN_OR_RETURN(members, sets::All(ctx.db, *info));
  }
  ReplyMemberSet(ctx, members);
  return Status::Ok();
}

// SMOVE source destination member: as Redis, an absent source replies 0 (whatever the
// destination holds), both types are checked before any change, and the destination is
// written (and told about) only when the member is new there.
Status SMoveCommand(CommandContext& ctx) {
  const std::string_view src = ctx.argv[1], dst = ctx.argv[2], member = ctx.argv[3];
  bool replied;
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> from,
                          LookupSet(ctx, src, /*write=*/true, &replied));
  if (replied) return Status::Ok();
  if (!from) {
    ctx.reply.Integer(0);
    return Status::Ok();
  }
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> to, LookupSet(ctx, dst, /*write=*/true, &replied));
  if (replied) return Status::Ok();
  if (src == dst) {
    LARDER_ASSIGN_OR_RETURN(bool found, sets::Contains(ctx.db, *from, member));
    ctx.reply.Integer(found ? 1 : 0);
    return Status::Ok();
  }
  const std::string_view one[] = {member};
  LARDER_ASSIGN_OR_RETURN(std::int64_t removed, sets::Remove(ctx.db, src, &*from, one));
  if (removed == 0) {
    ctx.reply.Integer(0);
    return Status::Ok();
  }
  NotifyKeyspaceEvent(ctx, kNotifySet, "srem", src);
  if (from->size == 0) NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", src);
  LARDER_ASSIGN_OR_RETURN(std::int64_t added, sets::Add(ctx.db, dst, &to, one));
  if (added > 0) NotifyKeyspaceEvent(ctx, kNotifySet, "sadd", dst);
  ctx.reply.Integer(1);
  return Status::Ok();
}

// SSCAN key cursor [MATCH pattern] [COUNT count]: the scan.h cursor scheme; a set Redis would
// keep as an intset is returned whole in one call, as Redis does.
Status SScanCommand(CommandContext& ctx) {
  const std::optional<std::uint64_t> cursor = ParseScanCursorOrReply(ctx, ctx.argv[2]);
  if (!cursor) return Status::Ok();
  bool replied;
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info,
                          LookupSet(ctx, ctx.argv[1], /*write=*/false, &replied));
  if (replied) return Status::Ok();
  if (!info) {
    ReplyEmptyScan(ctx);
    return Status::Ok();
  }
  ScanOptions options;
  if (!ParseScanOptions(ctx, 3, /*allow_type=*/false, &options)) return Status::Ok();
  ScanCursorTable& table = ScanCursors(ctx);
  const std::string scope = CollectionScanScope("set", ctx.db.index(), ctx.argv[1]);
  const std::optional<std::string> last = table.Take(*cursor, scope);
  std::uint64_t limit = options.count;
  if (info->size <= sets::kIntsetEntries) {
    LARDER_ASSIGN_OR_RETURN(std::vector<std::string> all, sets::All(ctx.db, *info));
    if (sets::IsIntsetLike(all)) limit = UINT64_MAX;
  }
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it,
                          ctx.db.Records(info->version, ScanStartAfter(last)));
  LARDER_ASSIGN_OR_RETURN(ScanBatch batch, CollectScanBatch(*it, limit));
  it.reset();
  std::vector<std::string_view> elements;
  for (const auto& item : batch.items) {
    if (options.pattern && !GlobMatch(*options.pattern, item.first)) continue;
    elements.push_back(item.first);
  }
  ReplyScan(ctx, table, scope, batch, elements);
  return Status::Ok();
}

CommandSpec SetSpec(std::string_view name, int arity, std::uint32_t flags, int first_key,
                    int last_key, CommandHandler handler, std::string_view summary,
                    std::string_view since) {
  return CommandSpec{name,    arity, flags,   first_key, last_key, 1,
                     handler, "set", summary, since,     {}};
}

}  // namespace

void RegisterSetCommands(CommandTable& table) {
  table.Add(SetSpec("sadd", -3, kCmdGrowFast, 1, 1, SAddCommand, "Add members to a set", "1.0.0"));
  table.Add(
      SetSpec("srem", -3, kCmdWriteFast, 1, 1, SRemCommand, "Remove members from a set", "1.0.0"));
  table.Add(SetSpec("sismember", 3, kCmdReadFast, 1, 1, SIsMemberCommand,
                    "Whether a member belongs to a set", "1.0.0"));
  table.Add(SetSpec("smismember", -3, kCmdReadFast, 1, 1, SMIsMemberCommand,
                    "Whether each member belongs to a set", "6.2.0"));
  table.Add(SetSpec("scard", 2, kCmdReadFast, 1, 1, SCardCommand, "The number of members of a set",
                    "1.0.0"));
  table.Add(SetSpec("smembers", 2, kCmdReadOnly, 1, 1, SMembersCommand, "Every member of a set",
                    "1.0.0"));
  table.Add(SetSpec("smove", 4, kCmdWriteFast, 1, 2, SMoveCommand,
                    "Move a member from one set to another", "1.0.0"));
  table.Add(SetSpec("sscan", -3, kCmdReadOnly, 1, 1, SScanCommand,
                    "Walk the members of a set a few at a time", "2.8.0"));
  RegisterSetAlgebraCommands(table);
  RegisterSetRandomCommands(table);
}

}  // namespace larder::server
