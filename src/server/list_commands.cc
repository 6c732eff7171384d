// List commands that write: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LSET LINSERT LREM LTRIM LMOVE
// RPOPLPUSH LMPOP, with Redis 7.0's replies, errors and keyspace events (reads:
// list_read_commands.cc; blocking ones: list_blocking_commands.cc). The encoding is
// list_encoding.h's: every command touches only the element records it must.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "server/args.h"
#include "server/keyspace_events.h"
#include "server/list_commands.h"
#include "server/reply_builder.h"

namespace larder::server {

Result<std::optional<ListKey>> OpenList(CommandContext& ctx, std::string_view key, Access access,
                                        bool* replied) {
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info,
                          LookupTyped(ctx, key, ValueType::kList, access, replied));
  if (!info) return std::optional<ListKey>();
  return std::optional<ListKey>(ListKey(ctx.db, key, *info));
}

Result<std::optional<ListKey>> OpenListOrReply(CommandContext& ctx, Access access,
                                               void (*on_absent)(ReplyBuilder&)) {
  bool replied;
  LARDER_ASSIGN_OR_RETURN(std::optional<ListKey> list,
                          OpenList(ctx, ctx.argv[1], access, &replied));
  if (!list && !replied) on_absent(ctx.reply);
  return list;
}

std::optional<std::pair<std::int64_t, std::int64_t>> RangeArguments(CommandContext& ctx) {
  const std::optional<std::int64_t> start = IntArgument(ctx, ctx.argv[2]);
  if (!start) return std::nullopt;
  const std::optional<std::int64_t> stop = IntArgument(ctx, ctx.argv[3]);
  if (!stop) return std::nullopt;
  return std::make_pair(*start, *stop);
}

ListRange ResolveRange(std::int64_t start, std::int64_t stop, std::uint64_t size) {
  const auto n = static_cast<std::int64_t>(size);
  if (start < 0) start += n;
  if (stop < 0) stop += n;
  if (start < 0) start = 0;
  if (start > stop || start >= n) return ListRange{};
  return ListRange{static_cast<std::uint64_t>(start),
                   static_cast<std::uint64_t>(std::min(stop, n - 1) - start + 1)};
}

std::optional<std::int64_t> IntArgument(CommandContext& ctx, std::string_view arg,
                                        std::string_view error) {
  std::optional<std::int64_t> value = ParseInt64(arg);
  if (!value) ctx.reply.Error(error.empty() ? errors::kNotInteger : error);
  return value;
}

std::optional<ListEnd> ParseListEnd(CommandContext& ctx, std::string_view arg) {
  if (EqualsIgnoreCase(arg, "left")) return ListEnd::kHead;
  if (EqualsIgnoreCase(arg, "right")) return ListEnd::kTail;
  ctx.reply.Error(errors::kSyntax);
  return std::nullopt;
}

namespace {

std::string_view PopEvent(ListEnd end) { return end == ListEnd::kHead ? "lpop" : "rpop"; }
std::string_view PushEvent(ListEnd end) { return end == ListEnd::kHead ? "lpush" : "rpush"; }

// Commits a list a command removed elements from, with `event`, then "del" when emptied.
Status CommitRemoval(CommandContext& ctx, ListKey& list, std::string_view event) {
  LARDER_RETURN_IF_ERROR(list.Commit());
  NotifyKeyspaceEvent(ctx, kNotifyList, event, list.key());
  if (list.size() == 0) NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", list.key());
  return Status::Ok();
}

// An existing list at `key`, or a new one; replied on WRONGTYPE.
Result<std::optional<ListKey>> OpenOrCreate(CommandContext& ctx, std::string_view key,
                                            bool* replied) {
  LARDER_ASSIGN_OR_RETURN(std::optional<ListKey> list, OpenList(ctx, key, Access::kWrite, replied));
  if (list || *replied) return list;
  LARDER_ASSIGN_OR_RETURN(ListKey created, ListKey::Create(ctx.db, key));
  return std::optional<ListKey>(std::move(created));
}

// LPUSH RPUSH LPUSHX RPUSHX.
Status PushGeneric(CommandContext& ctx, ListEnd end, bool only_existing) {
  bool replied;
  LARDER_ASSIGN_OR_RETURN(std::optional<ListKey> list,
                          OpenList(ctx, ctx.argv[1], Access::kWrite, &replied));
  if (replied) return Status::Ok();
  if (!list) {
    if (only_existing) {
      ctx.reply.Integer(0);
      return Status::Ok();
    }
    LARDER_ASSIGN_OR_RETURN(ListKey created, ListKey::Create(ctx.db, ctx.argv[1]));
    list.emplace(std::move(created));
  }
  for (std::size_t i = 2; i < ctx.argv.size(); ++i) {
    LARDER_RETURN_IF_ERROR(list->Push(end, ctx.argv[i]));
  }
  LARDER_RETURN_IF_ERROR(list->Commit());
  NotifyKeyspaceEvent(ctx, kNotifyList, PushEvent(end), ctx.argv[1]);
  ctx.reply.Integer(static_cast<std::int64_t>(list->size()));
  return Status::Ok();
}
Status LPushCommand(CommandContext& ctx) { return PushGeneric(ctx, ListEnd::kHead, false); }
Status RPushCommand(CommandContext& ctx) { return PushGeneric(ctx, ListEnd::kTail, false); }
Status LPushXCommand(CommandContext& ctx) { return PushGeneric(ctx, ListEnd::kHead, true); }
Status RPushXCommand(CommandContext& ctx) { return PushGeneric(ctx, ListEnd::kTail, true); }

// LPOP/RPOP key [count].
Status PopGeneric(CommandContext& ctx, ListEnd end) {
  if (ctx.argv.size() > 3) {
    ctx.reply.Error(WrongArityError(ctx.argv[0]));
    return Status::Ok();
  }
  const bool has_count = ctx.argv.size() == 3;
  std::int64_t count = 1;
  if (has_count) {
    const std::optional<std::int64_t> parsed = ParseInt64(ctx.argv[2]);
    if (!parsed || *parsed < 0) {
      ctx.reply.Error("ERR value is out of range, must be positive");
      return Status::Ok();
    }
    count = *parsed;
  }
  LARDER_ASSIGN_OR_RETURN(std::optional<ListKey> list,
                          OpenListOrReply(
                              ctx, Access::kWrite,
                              has_count ? +[](ReplyBuilder& r) { r.NullArray(); }
                                        : +[](ReplyBuilder& r) { r.Null(); }));
  if (!list) return Status::Ok();
  if (count == 0) {
    ctx.reply.ArrayHeader(0);
    return Status::Ok();
  }
  LARDER_ASSIGN_OR_RETURN(std::vector<std::string> values,
                          PopAndNotify(ctx, *list, end, static_cast<std::uint64_t>(count)));
  if (has_count) {
    ctx.reply.BulkArray(values);
  } else {
    ctx.reply.Bulk(values[0]);
  }
  return Status::Ok();
}
Status LPopCommand(CommandContext& ctx) { return PopGeneric(ctx, ListEnd::kHead); }
Status RPopCommand(CommandContext& ctx) { return PopGeneric(ctx, ListEnd::kTail); }

Status LSetCommand(CommandContext& ctx) {
  LARDER_ASSIGN_OR_RETURN(
      std::optional<ListKey> list,
      OpenListOrReply(ctx, Access::kWrite, [](ReplyBuilder& r) { r.Error(errors::kNoSuchKey); }));
  if (!list) return Status::Ok();
  std::optional<std::int64_t> index = IntArgument(ctx, ctx.argv[2]);
  if (!index) return Status::Ok();
  const auto size = static_cast<std::int64_t>(list->size());
  if (*index < 0) *index += size;
  if (*index < 0 || *index >= size) {
    ctx.reply.Error("ERR index out of range");
    return Status::Ok();
  }
  LARDER_RETURN_IF_ERROR(list->Set(static_cast<std::uint64_t>(*index), ctx.argv[3]));
  LARDER_RETURN_IF_ERROR(list->Commit());  // reports the modification (WATCH)
  NotifyKeyspaceEvent(ctx, kNotifyList, "lset", ctx.argv[1]);
  ctx.reply.Ok();
  return Status::Ok();
}

// LINSERT key BEFORE|AFTER pivot element.
Status LInsertCommand(CommandContext& ctx) {
  bool after;
  if (EqualsIgnoreCase(ctx.argv[2], "after")) {
    after = true;
  } else if (EqualsIgnoreCase(ctx.argv[2], "before")) {
    after = false;
  } else {
    ctx.reply.Error(errors::kSyntax);
    return Status::Ok();
  }
  LARDER_ASSIGN_OR_RETURN(
      std::optional<ListKey> list,
      OpenListOrReply(ctx, Access::kWrite, [](ReplyBuilder& r) { r.Integer(0); }));
  if (!list) return Status::Ok();
  std::optional<std::uint64_t> pivot;
  LARDER_RETURN_IF_ERROR(list->Scan(ListEnd::kHead, 0, [&](std::uint64_t i, std::string_view v) {
    if (v == ctx.argv[3]) pivot = i;
    return !pivot;
  }));
  if (!pivot) {
    ctx.reply.Integer(-1);
    return Status::Ok();
  }
  LARDER_RETURN_IF_ERROR(list->Insert(*pivot + (after ? 1 : 0), ctx.argv[4]));
  LARDER_RETURN_IF_ERROR(list->Commit());
  NotifyKeyspaceEvent(ctx, kNotifyList, "linsert", ctx.argv[1]);
  ctx.reply.Integer(static_cast<std::int64_t>(list->size()));
  return Status::Ok();
}

// LREM key count element.
Status LRemCommand(CommandContext& ctx) {
  const std::optional<std::int64_t> count = IntArgument(ctx, ctx.argv[2]);
  if (!count) return Status::Ok();
  LARDER_ASSIGN_OR_RETURN(
      std::optional<ListKey> list,
      OpenListOrReply(ctx, Access::kWrite, [](ReplyBuilder& r) { r.Integer(0); }));
  if (!list) return Status::Ok();
  // |count| without overflow at INT64_MIN; 0: every match.
  const std::uint64_t limit =
      *count < 0 ? 0 - static_cast<std::uint64_t>(*count) : static_cast<std::uint64_t>(*count);
  const ListEnd from = *count < 0 ? ListEnd::kTail : ListEnd::kHead;
  std::vector<std::uint64_t> matches;
  LARDER_RETURN_IF_ERROR(list->Scan(from, 0, [&](std::uint64_t i, std::string_view v) {
    if (v == ctx.argv[3]) matches.push_back(i);
    return limit == 0 || matches.size() < limit;
  }));
  if (from == ListEnd::kTail) std::reverse(matches.begin(), matches.end());
  if (!matches.empty()) {
    LARDER_RETURN_IF_ERROR(list->RemoveAt(matches));
    LARDER_RETURN_IF_ERROR(CommitRemoval(ctx, *list, "lrem"));
  }
  ctx.reply.Integer(static_cast<std::int64_t>(matches.size()));
  return Status::Ok();
}

// LTRIM key start stop.
Status LTrimCommand(CommandContext& ctx) {
  const auto args = RangeArguments(ctx);
  if (!args) return Status::Ok();
  LARDER_ASSIGN_OR_RETURN(std::optional<ListKey> list,
                          OpenListOrReply(ctx, Access::kWrite, [](ReplyBuilder& r) { r.Ok(); }));
  if (!list) return Status::Ok();
  const ListRange keep = ResolveRange(args->first, args->second, list->size());
  LARDER_RETURN_IF_ERROR(list->Trim(keep.start, keep.count));
  LARDER_RETURN_IF_ERROR(CommitRemoval(ctx, *list, "ltrim"));
  ctx.reply.Ok();
  return Status::Ok();
}

// LMOVE source destination LEFT|RIGHT LEFT|RIGHT, and RPOPLPUSH (RIGHT LEFT).
Status LMoveGeneric(CommandContext& ctx, ListEnd from, ListEnd to) {
  LARDER_ASSIGN_OR_RETURN(std::optional<ListKey> source,
                          OpenListOrReply(ctx, Access::kWrite, [](ReplyBuilder& r) { r.Null(); }));
  if (!source) return Status::Ok();
  return MoveAndReply(ctx, *source, ctx.argv[2], from, to);
}

Status LMoveCommand(CommandContext& ctx) {
  const std::optional<ListEnd> from = ParseListEnd(ctx, ctx.argv[3]);
  if (!from) return Status::Ok();
  const std::optional<ListEnd> to = ParseListEnd(ctx, ctx.argv[4]);
  if (!to) return Status::Ok();
  return LMoveGeneric(ctx, *from, *to);
}
Status RPopLPushCommand(CommandContext& ctx) {
  return LMoveGeneric(ctx, ListEnd::kTail, ListEnd::kHead);
}

// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count].
Status LMPopCommand(CommandContext& ctx) {
  const std::optional<MPopArgs> args = ParseMPop(ctx, 1);
  if (!args) return Status::Ok();
  LARDER_ASSIGN_OR_RETURN(bool served,
                          ServeFirstList(ctx, args->keys, args->end, args->count, false));
  if (!served) ctx.reply.NullArray();
  return Status::Ok();
}

}  // namespace

Result<std::vector<std::string>> PopAndNotify(CommandContext& ctx, ListKey& list, ListEnd end,
                                              std::uint64_t count) {
  LARDER_ASSIGN_OR_RETURN(std::vector<std::string> values, list.Pop(end, count));
  LARDER_RETURN_IF_ERROR(CommitRemoval(ctx, list, PopEvent(end)));
  return values;
}

Status MoveAndReply(CommandContext& ctx, ListKey& source, std::string_view dest, ListEnd from,
                    ListEnd to) {
  std::optional<ListKey> target;
  if (dest != source.key()) {
    bool replied;
    LARDER_ASSIGN_OR_RETURN(target, OpenOrCreate(ctx, dest, &replied));
    if (replied) return Status::Ok();
  }
  LARDER_ASSIGN_OR_RETURN(std::vector<std::string> values, source.Pop(from, 1));
  ListKey& pushed = target ? *target : source;
  LARDER_RETURN_IF_ERROR(pushed.Push(to, values[0]));
  // Redis's order: the push's commit and event, then the pop's.
  LARDER_RETURN_IF_ERROR(pushed.Commit());
  NotifyKeyspaceEvent(ctx, kNotifyList, PushEvent(to), dest);
  if (target) {
    LARDER_RETURN_IF_ERROR(CommitRemoval(ctx, source, PopEvent(from)));
  } else {
    NotifyKeyspaceEvent(ctx, kNotifyList, PopEvent(from), source.key());
  }
  ctx.reply.Bulk(values[0]);
  return Status::Ok();
}

std::optional<MPopArgs> ParseMPop(CommandContext& ctx, std::size_t numkeys_index) {
  constexpr std::string_view kNumKeysError = "ERR numkeys should be greater than 0";
  const std::optional<std::int64_t> numkeys =
      IntArgument(ctx, ctx.argv[numkeys_index], kNumKeysError);
  if (!numkeys) return std::nullopt;
  if (*numkeys < 1) {
    ctx.reply.Error(kNumKeysError);
    return std::nullopt;
  }
  const std::size_t rest = ctx.argv.size() - numkeys_index - 1;
  if (static_cast<std::uint64_t>(*numkeys) >= rest) {
    ctx.reply.Error(errors::kSyntax);
    return std::nullopt;
  }
  MPopArgs args;
  const auto n = static_cast<std::size_t>(*numkeys);
  args.keys.assign(ctx.argv.begin() + numkeys_index + 1, ctx.argv.begin() + numkeys_index + 1 + n);
  std::size_t i = numkeys_index + 1 + n;
  const std::optional<ListEnd> end = ParseListEnd(ctx, ctx.argv[i]);
  if (!end) return std::nullopt;
  args.end = *end;
  bool has_count = false;
  for (++i; i < ctx.argv.size(); ++i) {
    if (!has_count && EqualsIgnoreCase(ctx.argv[i], "count") && i + 1 < ctx.argv.size()) {
      constexpr std::string_view kCountError = "ERR count should be greater than 0";
      const std::optional<std::int64_t> count = IntArgument(ctx, ctx.argv[++i], kCountError);
      if (!count) return std::nullopt;
      if (*count < 1) {
        ctx.reply.Error(kCountError);
        return std::nullopt;
      }
      args.count = static_cast<std::uint64_t>(*count);
      has_count = true;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return std::nullopt;
    }
  }
  return args;
}

Result<bool> ServeFirstList(CommandContext& ctx, std::span<const std::string_view> keys,
                            ListEnd end, std::uint64_t count, bool flat) {
  for (std::string_view key : keys) {
    bool replied;
    LARDER_ASSIGN_OR_RETURN(std::optional<ListKey> list,
                            OpenList(ctx, key, Access::kWrite, &replied));
    if (replied) return true;
    if (!list) continue;
    LARDER_ASSIGN_OR_RETURN(std::vector<std::string> values, PopAndNotify(ctx, *list, end, count));
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(key);
    if (flat) {
      ctx.reply.Bulk(values[0]);
    } else {
      ctx.reply.BulkArray(values);
    }
    return true;
  }
  return false;
}

CommandSpec ListCommandSpec(std::string_view name, int arity, std::uint32_t flags, int first_key,
                            int last_key, CommandHandler handler, std::string_view summary,
                            std::string_view since) {
  return CommandSpec{name,    arity,  flags,   first_key, last_key, 1,
                     handler, "list", summary, since,     {}};
}

void RegisterListCommands(CommandTable& table) {
  const CommandSpec specs[] = {
      ListCommandSpec("lpush", -3, kCmdGrowFast, 1, 1, LPushCommand, "Prepend elements to a list",
                      "1.0.0"),
      ListCommandSpec("rpush", -3, kCmdGrowFast, 1, 1, RPushCommand, "Append elements to a list",
                      "1.0.0"),
      ListCommandSpec("lpushx", -3, kCmdGrowFast, 1, 1, LPushXCommand,
                      "Prepend elements to a list only when it exists", "2.2.0"),
      ListCommandSpec("rpushx", -3, kCmdGrowFast, 1, 1, RPushXCommand,
                      "Append elements to a list only when it exists", "2.2.0"),
      ListCommandSpec("lpop", -2, kCmdWriteFast, 1, 1, LPopCommand,
                      "Remove and return the first elements of a list", "1.0.0"),
      ListCommandSpec("rpop", -2, kCmdWriteFast, 1, 1, RPopCommand,
                      "Remove and return the last elements of a list", "1.0.0"),
      ListCommandSpec("lset", 4, kCmdWrite | kCmdDenyOom, 1, 1, LSetCommand,
                      "Set the element at an index of a list", "1.0.0"),
      ListCommandSpec("linsert", 5, kCmdWrite | kCmdDenyOom, 1, 1, LInsertCommand,
                      "Insert an element before or after another in a list", "2.2.0"),
      ListCommandSpec("lrem", 4, kCmdWrite, 1, 1, LRemCommand, "Remove matching elements of a list",
                      "1.0.0"),
      ListCommandSpec("ltrim", 4, kCmdWrite, 1, 1, LTrimCommand, "Keep only a range of a list",
                      "1.0.0"),
      ListCommandSpec("lmove", 5, kCmdWrite | kCmdDenyOom, 1, 2, LMoveCommand,
                      "Pop an element from a list and push it to another", "6.2.0"),
      ListCommandSpec("rpoplpush", 3, kCmdWrite | kCmdDenyOom, 1, 2, RPopLPushCommand,
                      "Pop the last element of a list and prepend it to another", "1.2.0"),
      ListCommandSpec("lmpop", -4, kCmdWrite, 0, 0, LMPopCommand,
                      "Pop elements from the first non-empty of several lists", "7.0.0"),
  };
  for (const CommandSpec& spec : specs) table.Add(spec);
  RegisterListReadCommands(table);
  RegisterListBlockingCommands(table);
}

}  // namespace larder::server
