// List commands that read: LLEN LINDEX LRANGE LPOS, with Redis 7.0's replies and errors. LINDEX
// reads one record; LRANGE reads only the records of its range.
#include <algorithm>
#include <string>
#include <vector>

#include "server/args.h"
#include "server/list_commands.h"
#include "server/reply_builder.h"

namespace larder::server {
namespace {

Status LLenCommand(CommandContext& ctx) {
  bool replied;
  LARDER_ASSIGN_OR_RETURN(std::optional<ListKey> list,
                          OpenList(ctx, ctx.argv[1], Access::kRead, &replied));
  if (replied) return Status::Ok();
  ctx.reply.Integer(list ? static_cast<std::int64_t>(list->size()) : 0);
  return Status::Ok();
}

Status LIndexCommand(CommandContext& ctx) {
  LARDER_ASSIGN_OR_RETURN(std::optional<ListKey> list,
                          OpenListOrReply(ctx, Access::kRead, [](ReplyBuilder& r) { r.Null(); }));
  if (!list) return Status::Ok();
  std::optional<std::int64_t> index = IntArgument(ctx, ctx.argv[2]);
  if (!index) return Status::Ok();
  const auto size = static_cast<std::int64_t>(list->size());
  if (*index < 0) *index += size;
  if (*index < 0 || *index >= size) {
    ctx.reply.Null();
    return Status::Ok();
  }
  LARDER_ASSIGN_OR_RETURN(std::string value, list->Get(static_cast<std::uint64_t>(*index)));
  ctx.reply.Bulk(value);
  return Status::Ok();
}

// LRANGE key start stop.
Status LRangeCommand(CommandContext& ctx) {
  const auto args = RangeArguments(ctx);
  if (!args) return Status::Ok();
  LARDER_ASSIGN_OR_RETURN(
      std::optional<ListKey> list,
      OpenListOrReply(ctx, Access::kRead, [](ReplyBuilder& r) { r.ArrayHeader(0); }));
  if (!list) return Status::Ok();
  const ListRange range = ResolveRange(args->first, args->second, list->size());
  ctx.reply.ArrayHeader(range.count);
  if (range.count == 0) return Status::Ok();
  std::uint64_t sent = 0;
  LARDER_RETURN_IF_ERROR(
      list->Scan(ListEnd::kHead, range.start, [&](std::uint64_t, std::string_view value) {
        ctx.reply.Bulk(value);
        return ++sent < range.count;
      }));
  return Status::Ok();
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len].
Status LPosCommand(CommandContext& ctx) {
  std::int64_t rank = 1;
  std::optional<std::int64_t> count;  // nullopt: no COUNT (a single reply)
  std::int64_t maxlen = 0;            // 0: the whole list
  for (std::size_t i = 3; i < ctx.argv.size(); ++i) {
    const std::string_view opt = ctx.argv[i];
    const bool more = i + 1 < ctx.argv.size();
    if (EqualsIgnoreCase(opt, "rank") && more) {
      const std::optional<std::int64_t> v = IntArgument(ctx, ctx.argv[++i]);
      if (!v) return Status::Ok();
      if (*v == 0) {
        ctx.reply.Error(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
            "or use negative to start from the end of the list");
        return Status::Ok();
      }
      rank = *v == INT64_MIN ? -1 : *v;  // Redis negates INT64_MIN into itself: the first match
    } else if ((EqualsIgnoreCase(opt, "count") || EqualsIgnoreCase(opt, "maxlen")) && more) {
      const bool is_count = EqualsIgnoreCase(opt, "count");
      const std::string_view error =
          is_count ? "ERR COUNT can't be negative" : "ERR MAXLEN can't be negative";
      const std::optional<std::int64_t> v = IntArgument(ctx, ctx.argv[++i], error);
      if (!v) return Status::Ok();
      if (*v < 0) {
        ctx.reply.Error(error);
        return Status::Ok();
      }
      if (is_count) {
        count = *v;
      } else {
        maxlen = *v;
      }
    } else {
      ctx.reply.Error(errors::kSyntax);
      return Status::Ok();
    }
  }
  bool replied;
  LARDER_ASSIGN_OR_RETURN(std::optional<ListKey> list,
                          OpenList(ctx, ctx.argv[1], Access::kRead, &replied));
  if (replied) return Status::Ok();
  std::vector<std::int64_t> found;
  if (list) {
    const ListEnd from = rank < 0 ? ListEnd::kTail : ListEnd::kHead;
    const std::uint64_t skip =
        rank < 0 ? static_cast<std::uint64_t>(-rank) - 1 : static_cast<std::uint64_t>(rank) - 1;
    const std::uint64_t wanted = count ? static_cast<std::uint64_t>(*count) : 1;  // 0: all
    std::uint64_t seen = 0;
    std::uint64_t matches = 0;
    LARDER_RETURN_IF_ERROR(list->Scan(from, 0, [&](std::uint64_t i, std::string_view v) {
      if (maxlen != 0 && seen++ >= static_cast<std::uint64_t>(maxlen)) return false;
      if (v != ctx.argv[2] || matches++ < skip) return true;
      found.push_back(static_cast<std::int64_t>(i));
      return wanted == 0 || found.size() < wanted;
    }));
  }
  if (count) {
    ctx.reply.ArrayHeader(found.size());
    for (std::int64_t i : found) ctx.reply.Integer(i);
  } else if (found.empty()) {
    ctx.reply.Null();
  } else {
    ctx.reply.Integer(found[0]);
  }
  return Status::Ok();
}

}  // namespace

void RegisterListReadCommands(CommandTable& table) {
  table.Add(
      ListCommandSpec("llen", 2, kCmdReadFast, 1, 1, LLenCommand, "The length of a list", "1.0.0"));
  table.Add(ListCommandSpec("lindex", 3, kCmdReadOnly, 1, 1, LIndexCommand,
                            "The element at an index of a list", "1.0.0"));
  table.Add(ListCommandSpec("lrange", 4, kCmdReadOnly, 1, 1, LRangeCommand,
                            "A range of a list's elements", "1.0.0"));
  table.Add(ListCommandSpec("lpos", -3, kCmdReadOnly, 1, 1, LPosCommand,
                            "The indexes of the elements of a list that match", "6.0.6"));
}

}  // namespace larder::server
