// Set algebra: SINTER SINTERCARD SUNION SDIFF and SINTERSTORE SUNIONSTORE SDIFFSTORE, with Redis
// 7.0's replies, errors and keyspace events. Every source key is type-checked before any work
// (a WRONGTYPE anywhere fails the command, as in Redis); an absent key is an empty set. The
// result is built in memory (as Redis builds it) and, for the STORE forms, written after every
// read, so a destination that is also a source is read before it is replaced.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "server/args.h"
#include "server/keyspace_events.h"
#include "server/reply_builder.h"
#include "server/set_commands.h"
#include "server/set_store.h"

namespace larder::server {
namespace {

enum class SetOp { kInter, kUnion, kDiff };

// The sources' KeyInfos (nullopt for absent keys); false when a WRONGTYPE was replied.
Result<bool> LookupSources(CommandContext& ctx, std::span<const std::string_view> keys,
                           std::vector<std::optional<KeyInfo>>* sources) {
  for (std::string_view key : keys) {
    bool replied;
    LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info,
                            LookupSet(ctx, key, /*write=*/false, &replied));
    if (replied) return false;
    sources->push_back(info);
  }
  return true;
}

// Members of the first set also in every other set (or, for kDiff, in none of them), up to
// `limit` of them (0: no limit).
Result<std::vector<std::string>> Filter(Database& db, std::vector<std::optional<KeyInfo>> sources,
                                        SetOp op, std::uint64_t limit) {
  std::vector<std::string> out;
  if (sources.empty() || !sources[0]) return out;
  if (op == SetOp::kInter) {
    for (const auto& s : sources) {
      if (!s) return out;  // intersection with an empty set
    }
    // Walk the smallest set; probe the others smallest first.
    std::sort(sources.begin(), sources.end(),
              [](const auto& a, const auto& b) { return a->size < b->size; });
  }
  LARDER_ASSIGN_OR_RETURN(std::vector<std::string> candidates, sets::All(db, *sources[0]));
  for (std::string& member : candidates) {
    bool keep = true;
    for (std::size_t i = 1; i < sources.size() && keep; ++i) {
      if (!sources[i]) continue;  // kDiff: nothing to subtract
      LARDER_ASSIGN_OR_RETURN(bool in, sets::Contains(db, *sources[i], member));
      keep = op == SetOp::kInter ? in : !in;
    }
    if (!keep) continue;
    out.push_back(std::move(member));
    if (limit != 0 && out.size() >= limit) break;
  }
  return out;
}

Result<std::vector<std::string>> Union(Database& db,
                                       const std::vector<std::optional<KeyInfo>>& sources) {
  std::vector<std::string> out;
  for (const auto& s : sources) {
    if (!s) continue;
    LARDER_ASSIGN_OR_RETURN(std::vector<std::string> members, sets::All(db, *s));
    const std::size_t mid = out.size();
    out.insert(out.end(), std::make_move_iterator(members.begin()),
               std::make_move_iterator(members.end()));
    std::inplace_merge(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(mid), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
  }
  return out;
}

Result<std::vector<std::string>> Compute(Database& db,
                                         const std::vector<std::optional<KeyInfo>>& sources,
                                         SetOp op) {
  if (op == SetOp::kUnion) return Union(db, sources);
  return Filter(db, sources, op, /*limit=*/0);
}

// SINTER/SUNION/SDIFF key [key ...]
Status ReadGeneric(CommandContext& ctx, SetOp op) {
  std::vector<std::optional<KeyInfo>> sources;
  LARDER_ASSIGN_OR_RETURN(bool ok, LookupSources(ctx, ctx.argv.subspan(1), &sources));
  if (!ok) return Status::Ok();
  LARDER_ASSIGN_OR_RETURN(std::vector<std::string> result, Compute(ctx.db, sources, op));
  ReplyMemberSet(ctx, result);
  return Status::Ok();
}
Status SInterCommand(CommandContext& ctx) { return ReadGeneric(ctx, SetOp::kInter); }
Status SUnionCommand(CommandContext& ctx) { return ReadGeneric(ctx, SetOp::kUnion); }
Status SDiffCommand(CommandContext& ctx) { return ReadGeneric(ctx, SetOp::kDiff); }

// SINTERSTORE/SUNIONSTORE/SDIFFSTORE destination key [key ...]
Status StoreGeneric(CommandContext& ctx, SetOp op, std::string_view event) {
  std::vector<std::optional<KeyInfo>> sources;
  LARDER_ASSIGN_OR_RETURN(bool ok, LookupSources(ctx, ctx.argv.subspan(2), &sources));
  if (!ok) return Status::Ok();
  LARDER_ASSIGN_OR_RETURN(std::vector<std::string> result, Compute(ctx.db, sources, op));
  const std::string_view dst = ctx.argv[1];
  LARDER_ASSIGN_OR_RETURN(bool existed, sets::Store(ctx.db, dst, result));
  if (!result.empty()) {
    NotifyKeyspaceEvent(ctx, kNotifySet, event, dst);
  } else if (existed) {
    NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", dst);
  }
  ctx.reply.Integer(static_cast<std::int64_t>(result.size()));
  return Status::Ok();
}
Status SInterStoreCommand(CommandContext& ctx) {
  return StoreGeneric(ctx, SetOp::kInter, "sinterstore");
}
Status SUnionStoreCommand(CommandContext& ctx) {
  return StoreGeneric(ctx, SetOp::kUnion, "sunionstore");
}
Status SDiffStoreCommand(CommandContext& ctx) {
  return StoreGeneric(ctx, SetOp::kDiff, "sdiffstore");
}

// SINTERCARD numkeys key [key ...] [LIMIT limit]
Status SInterCardCommand(CommandContext& ctx) {
  const std::optional<std::int64_t> numkeys = ParseInt64(ctx.argv[1]);
  if (!numkeys || *numkeys <= 0) {
    ctx.reply.Error("ERR numkeys should be greater than 0");
    return Status::Ok();
  }
  if (static_cast<std::uint64_t>(*numkeys) > ctx.argv.size() - 2) {
    ctx.reply.Error("ERR Number of keys can't be greater than number of args");
    return Status::Ok();
  }
  const std::size_t end = 2 + static_cast<std::size_t>(*numkeys);
  std::uint64_t limit = 0;
  for (std::size_t i = end; i < ctx.argv.size(); i += 2) {
    if (i + 1 < ctx.argv.size() && EqualsIgnoreCase(ctx.argv[i], "limit")) {
      const std::optional<std::int64_t> parsed = ParseInt64(ctx.argv[i + 1]);
      if (!parsed || *parsed < 0) {
        ctx.reply.Error("ERR LIMIT can't be negative");
        return Status::Ok();
      }
      limit = static_cast<std::uint64_t>(*parsed);
    } else {
      ctx.reply.Error(errors::kSyntax);
      return Status::Ok();
    }
  }
  std::vector<std::optional<KeyInfo>> sources;
  LARDER_ASSIGN_OR_RETURN(bool ok, LookupSources(ctx, ctx.argv.subspan(2, end - 2), &sources));
  if (!ok) return Status::Ok();
  LARDER_ASSIGN_OR_RETURN(std::vector<std::string> result,
                          Filter(ctx.db, sources, SetOp::kInter, limit));
  ctx.reply.Integer(static_cast<std::int64_t>(result.size()));
  return Status::Ok();
}

CommandSpec Spec(std::string_view name, int arity, std::uint32_t flags, int first_key,
                 CommandHandler handler, std::string_view summary, std::string_view since) {
  return CommandSpec{
      name,  arity,   flags, first_key, first_key == 0 ? 0 : -1, first_key == 0 ? 0 : 1, handler,
      "set", summary, since, {}};
}

}  // namespace

void RegisterSetAlgebraCommands(CommandTable& table) {
  constexpr std::uint32_t kStore = kCmdWrite | kCmdDenyOom;
  table.Add(
      Spec("sinter", -2, kCmdReadOnly, 1, SInterCommand, "The intersection of sets", "1.0.0"));
  table.Add(Spec("sintercard", -3, kCmdReadOnly, 0, SInterCardCommand,
                 "The size of the intersection of sets", "7.0.0"));
  table.Add(Spec("sinterstore", -3, kStore, 1, SInterStoreCommand, "Store the intersection of sets",
                 "1.0.0"));
  table.Add(Spec("sunion", -2, kCmdReadOnly, 1, SUnionCommand, "The union of sets", "1.0.0"));
  table.Add(
      Spec("sunionstore", -3, kStore, 1, SUnionStoreCommand, "Store the union of sets", "1.0.0"));
  table.Add(Spec("sdiff", -2, kCmdReadOnly, 1, SDiffCommand,
                 "The members of the first set in none of the others", "1.0.0"));
  table.Add(Spec("sdiffstore", -3, kStore, 1, SDiffStoreCommand, "Store the difference of sets",
                 "1.0.0"));
}

}  // namespace larder::server
