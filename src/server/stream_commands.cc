// Stream commands that add, read ranges and remove: XADD XLEN XRANGE XREVRANGE XDEL XTRIM
// XSETID, with Redis 7.0's replies, errors and keyspace events. The encoding is
// stream_store.h's: XADD appends records, XRANGE seeks to its start, XLEN reads the key's
// metadata only.
#include <string>
#include <vector>

#include "server/args.h"
#include "server/keyspace_events.h"
#include "server/reply_builder.h"
#include "server/server.h"
#include "server/stream_commands.h"

namespace larder::server {

using streams::StreamId;
using streams::StreamKey;

CommandSpec StreamCommandSpec(std::string_view name, int arity, std::uint32_t flags, int first_key,
                              int last_key, CommandHandler handler, std::string_view summary,
                              std::string_view since) {
  return CommandSpec{name,    arity,    flags,   first_key, last_key, 1,
                     handler, "stream", summary, since,     {}};
}

Result<std::optional<StreamKey>> OpenStream(CommandContext& ctx, std::string_view key,
                                            Access access, bool* replied) {
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info,
                          LookupTyped(ctx, key, ValueType::kStream, access, replied));
  if (!info) return std::optional<StreamKey>();
  LARDER_ASSIGN_OR_RETURN(StreamKey s, StreamKey::Open(ctx.db, key, *info));
  return std::optional<StreamKey>(std::move(s));
}

streams::NodeLimits NodeLimitsFor(CommandContext& ctx) {
  const ServerConfig& config = ctx.server.exec_config();
  streams::NodeLimits limits;
  limits.max_entries = config.stream_node_max_entries;
  limits.max_bytes = config.stream_node_max_bytes;
  return limits;
}

std::optional<StreamId> IdArgument(CommandContext& ctx, std::string_view arg,
                                   std::uint64_t missing_seq, bool strict) {
  std::optional<StreamId> id = streams::ParseId(arg, missing_seq, strict);
  if (!id) ctx.reply.Error(kInvalidId);
  return id;
}

void ReplyEntry(ReplyBuilder& reply, const streams::Entry& entry) {
  reply.ArrayHeader(2);
  reply.Bulk(entry.id.ToString());
  reply.BulkArray(std::span<const std::string>(entry.fields));
}

void ReplyEntries(ReplyBuilder& reply, std::span<const streams::Entry> entries) {
  reply.ArrayHeader(entries.size());
  for (const streams::Entry& e : entries) ReplyEntry(reply, e);
}

namespace {

struct AddTrimArgs {
  streams::TrimSpec trim;
  bool id_given = false;
  bool seq_given = true;
  StreamId id;
  bool no_mkstream = false;
};

// Redis's streamParseAddOrTrimArgsOrReply: the options from argv[2]; returns the index of the
// ID argument (XADD) or of the end (XTRIM), or -1 after an error reply.
int ParseAddOrTrim(CommandContext& ctx, bool xadd, AddTrimArgs* args) {
  const auto& argv = ctx.argv;
  const int argc = static_cast<int>(argv.size());
  bool limit_given = false;
  int i = 2;
  for (; i < argc; ++i) {
    const int more = argc - 1 - i;
    std::string_view opt = argv[i];
    if (xadd && opt == "*") break;
    const bool maxlen = EqualsIgnoreCase(opt, "maxlen");
    if ((maxlen || EqualsIgnoreCase(opt, "minid")) && more > 0) {
      if (args->trim.strategy != streams::TrimStrategy::kNone) {
        ctx.reply.Error(
            "ERR syntax error, MAXLEN and MINID options at the same time are not "
            "compatible");
        return -1;
      }
      args->trim.approx = false;
      std::string_view next = argv[i + 1];
      if (more >= 2 && next == "~") {
        args->trim.approx = true;
        ++i;
      } else if (more >= 2 && next == "=") {
        ++i;
      }
      if (maxlen) {
        std::optional<std::int64_t> n = ParseInt64(argv[i + 1]);
        if (!n) {
          ctx.reply.Error(errors::kNotInteger);
          return -1;
        }
        if (*n < 0) {
          ctx.reply.Error("ERR The MAXLEN argument must be >= 0.");
          return -1;
        }
        args->trim.maxlen = static_cast<std::uint64_t>(*n);
        args->trim.strategy = streams::TrimStrategy::kMaxLen;
      } else {
        std::optional<StreamId> id = IdArgument(ctx, argv[i + 1], 0, /*strict=*/true);
        if (!id) return -1;
        args->trim.minid = *id;
        args->trim.strategy = streams::TrimStrategy::kMinId;
      }
      ++i;
    } else if (EqualsIgnoreCase(opt, "limit") && more > 0) {
      std::optional<std::int64_t> n = ParseInt64(argv[i + 1]);
      if (!n) {
        ctx.reply.Error(errors::kNotInteger);
        return -1;
      }
      if (*n < 0) {
        ctx.reply.Error("ERR The LIMIT argument must be >= 0.");
        return -1;
      }
      args->trim.limit = *n;
      limit_given = true;
      ++i;
    } else if (xadd && EqualsIgnoreCase(opt, "nomkstream")) {
      args->no_mkstream = true;
    } else if (xadd) {
      std::optional<StreamId> id = streams::ParseId(opt, 0, /*strict=*/true, &args->seq_given);
      if (!id) {
        ctx.reply.Error(kInvalidId);
        return -1;
      }
      args->id = *id;
      args->id_given = true;
      break;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return -1;
    }
  }
  if (args->trim.limit != 0 && args->trim.strategy == streams::TrimStrategy::kNone) {
    ctx.reply.Error(
        "ERR syntax error, LIMIT cannot be used without specifying a trimming "
        "strategy");
    return -1;
  }
  if (!xadd && args->trim.strategy == streams::TrimStrategy::kNone) {
    ctx.reply.Error("ERR syntax error, XTRIM must be called with a trimming strategy");
    return -1;
  }
  if (limit_given) {
    if (!args->trim.approx) {
      ctx.reply.Error("ERR syntax error, LIMIT cannot be used without the special ~ option");
      return -1;
    }
  } else if (args->trim.approx) {
    const std::int64_t per_node = static_cast<std::int64_t>(NodeLimitsFor(ctx).max_entries);
    args->trim.limit = 100 * per_node;
    if (args->trim.limit <= 0 || args->trim.limit > 1000000) args->trim.limit = 10000;
  } else {
    args->trim.limit = 0;
  }
  return i;
}

// The ID XADD gives the new entry (Redis's streamAppendItem's choice), or nullopt when it would
// not be above the stream's last ID.
std::optional<StreamId> NewEntryId(const AddTrimArgs& args, StreamId last, std::int64_t now_ms) {
  StreamId id;
  if (args.id_given) {
    id = args.id;
    if (!args.seq_given && last.ms == args.id.ms) {  // "ms-*" in the last ID's millisecond
      if (last.seq == UINT64_MAX) return std::nullopt;
      id.seq = last.seq + 1;
    }
  } else {
    const auto ms = static_cast<std::uint64_t>(now_ms);
    if (ms > last.ms) {
      id = StreamId{ms, 0};
    } else {
      id = last;
      if (!streams::Increment(&id)) return std::nullopt;
    }
  }
  if (id <= last) return std::nullopt;
  return id;
}

void NotifyStream(CommandContext& ctx, std::string_view event, std::string_view key) {
  NotifyKeyspaceEvent(ctx, kNotifyStream, event, key);
}

// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value ...
Status XAddCommand(CommandContext& ctx) {
  AddTrimArgs args;
  const int id_pos = ParseAddOrTrim(ctx, /*xadd=*/true, &args);
  if (id_pos < 0) return Status::Ok();
  const std::size_t field_pos = static_cast<std::size_t>(id_pos) + 1;
  if (ctx.argv.size() < field_pos + 2 || (ctx.argv.size() - field_pos) % 2 == 1) {
    ctx.reply.Error(WrongArityError("xadd"));
    return Status::Ok();
  }
  if (args.id_given && args.seq_given && args.id.zero()) {
    ctx.reply.Error("ERR The ID specified in XADD must be greater than 0-0");
    return Status::Ok();
  }
  bool replied;
  LARDER_ASSIGN_OR_RETURN(std::optional<StreamKey> s,
                          OpenStream(ctx, ctx.argv[1], Access::kWrite, &replied));
  if (replied) return Status::Ok();
  if (!s) {
    if (args.no_mkstream) {
      ctx.reply.Null();
      return Status::Ok();
    }
    LARDER_ASSIGN_OR_RETURN(StreamKey fresh, StreamKey::Create(ctx.db, ctx.argv[1]));
    s.emplace(std::move(fresh));
  }
  if (s->meta().last_id == streams::kMaxId) {
    ctx.reply.Error("ERR The stream has exhausted the last possible ID, unable to add more items");
    return Status::Ok();
  }
  const std::optional<StreamId> id = NewEntryId(args, s->meta().last_id, ctx.now_ms);
  if (!id) {
    ctx.reply.Error(
        "ERR The ID specified in XADD is equal or smaller than the target stream top "
        "item");
    return Status::Ok();
  }
  LARDER_RETURN_IF_ERROR(s->Append(*id, ctx.argv.subspan(field_pos), NodeLimitsFor(ctx)));
  LARDER_ASSIGN_OR_RETURN(std::int64_t trimmed, s->Trim(args.trim));
  LARDER_RETURN_IF_ERROR(s->Commit());
  ctx.reply.Bulk(id->ToString());
  NotifyStream(ctx, "xadd", ctx.argv[1]);
  if (trimmed > 0) NotifyStream(ctx, "xtrim", ctx.argv[1]);
  return Status::Ok();
}

// XLEN key
Status XLenCommand(CommandContext& ctx) {
  bool replied;
  LARDER_ASSIGN_OR_RETURN(
      std::optional<KeyInfo> info,
      LookupTyped(ctx, ctx.argv[1], ValueType::kStream, Access::kRead, &replied));
  if (replied) return Status::Ok();
  ctx.reply.Integer(info ? static_cast<std::int64_t>(info->size) : 0);
  return Status::Ok();
}

// XRANGE key start end [COUNT n] / XREVRANGE key end start [COUNT n]
Status RangeGeneric(CommandContext& ctx, bool rev) {
  std::string_view start_arg = rev ? ctx.argv[3] : ctx.argv[2];
  std::string_view end_arg = rev ? ctx.argv[2] : ctx.argv[3];
  const auto interval = [&](std::string_view arg, std::uint64_t missing,
                            bool* exclusive) -> std::optional<StreamId> {
    *exclusive = arg.size() > 1 && arg[0] == '(';
    if (*exclusive) return IdArgument(ctx, arg.substr(1), missing, /*strict=*/true);
    return IdArgument(ctx, arg, missing, /*strict=*/false);
  };
  bool start_ex;
  std::optional<StreamId> start = interval(start_arg, 0, &start_ex);
  if (!start) return Status::Ok();
  if (start_ex && !streams::Increment(&*start)) {
    ctx.reply.Error("ERR invalid start ID for the interval");
    return Status::Ok();
  }
  bool end_ex;
  std::optional<StreamId> end = interval(end_arg, UINT64_MAX, &end_ex);
  if (!end) return Status::Ok();
  if (end_ex && !streams::Decrement(&*end)) {
    ctx.reply.Error("ERR invalid end ID for the interval");
    return Status::Ok();
  }
  std::int64_t count = -1;
  for (std::size_t j = 4; j < ctx.argv.size(); ++j) {
    if (EqualsIgnoreCase(ctx.argv[j], "count") && j + 1 < ctx.argv.size()) {
      std::optional<std::int64_t> n = ParseInt64(ctx.argv[j + 1]);
      if (!n) {
        ctx.reply.Error(errors::kNotInteger);
        return Status::Ok();
      }
      count = *n < 0 ? 0 : *n;
      ++j;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return Status::Ok();
    }
  }
  bool replied;
  LARDER_ASSIGN_OR_RETURN(std::optional<StreamKey> s,
                          OpenStream(ctx, ctx.argv[1], Access::kRead, &replied));
  if (replied) return Status::Ok();
  if (!s) {
    ctx.reply.ArrayHeader(0);
    return Status::Ok();
  }
  if (count == 0) {
    ctx.reply.NullArray();
    return Status::Ok();
  }
  LARDER_ASSIGN_OR_RETURN(
      std::vector<streams::Entry> entries,
      s->Range(*start, *end, count < 0 ? 0 : static_cast<std::uint64_t>(count), rev));
  ReplyEntries(ctx.reply, entries);
  return Status::Ok();
}
Status XRangeCommand(CommandContext& ctx) { return RangeGeneric(ctx, false); }
Status XRevRangeCommand(CommandContext& ctx) { return RangeGeneric(ctx, true); }

// XDEL key id [id ...]
Status XDelCommand(CommandContext& ctx) {
  bool replied;
  LARDER_ASSIGN_OR_RETURN(std::optional<StreamKey> s,
                          OpenStream(ctx, ctx.argv[1], Access::kWrite, &replied));
  if (replied) return Status::Ok();
  if (!s) {
    ctx.reply.Integer(0);
    return Status::Ok();
  }
  std::vector<StreamId> ids;
  for (std::size_t j = 2; j < ctx.argv.size(); ++j) {
    std::optional<StreamId> id = IdArgument(ctx, ctx.argv[j], 0, /*strict=*/true);
    if (!id) return Status::Ok();
    ids.push_back(*id);
  }
  std::int64_t deleted = 0;
  bool first_entry = false;
  streams::StreamMeta& meta = s->mutable_meta();
  for (StreamId id : ids) {
    LARDER_ASSIGN_OR_RETURN(bool gone, s->Delete(id));
    if (!gone) continue;
    if (id == meta.first_id) first_entry = true;
    if (id > meta.max_deleted) meta.max_deleted = id;
    ++deleted;
  }
  if (deleted > 0) {
    if (s->length() == 0) {
      meta.first_id = StreamId{};
    } else if (first_entry) {
      LARDER_ASSIGN_OR_RETURN(std::optional<StreamId> first, s->EdgeId(true));
      meta.first_id = first.value_or(StreamId{});
    }
    LARDER_RETURN_IF_ERROR(s->Commit());
    NotifyStream(ctx, "xdel", ctx.argv[1]);
  }
  ctx.reply.Integer(deleted);
  return Status::Ok();
}

// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
Status XTrimCommand(CommandContext& ctx) {
  AddTrimArgs args;
  if (ParseAddOrTrim(ctx, /*xadd=*/false, &args) < 0) return Status::Ok();
  bool replied;
  LARDER_ASSIGN_OR_RETURN(std::optional<StreamKey> s,
                          OpenStream(ctx, ctx.argv[1], Access::kWrite, &replied));
  if (replied) return Status::Ok();
  if (!s) {
    ctx.reply.Integer(0);
    return Status::Ok();
  }
  LARDER_ASSIGN_OR_RETURN(std::int64_t deleted, s->Trim(args.trim));
  if (deleted > 0) {
    LARDER_RETURN_IF_ERROR(s->Commit());
    NotifyStream(ctx, "xtrim", ctx.argv[1]);
  }
  ctx.reply.Integer(deleted);
  return Status::Ok();
}

// XSETID key last-id [ENTRIESADDED n] [MAXDELETEDID id]
Status XSetIdCommand(CommandContext& ctx) {
  std::optional<StreamId> id = IdArgument(ctx, ctx.argv[2], 0, /*strict=*/true);
  if (!id) return Status::Ok();
  StreamId max_xdel;
  std::int64_t entries_added = -1;
  for (std::size_t i = 3; i < ctx.argv.size(); i += 2) {
    const bool more = i + 1 < ctx.argv.size();
    if (EqualsIgnoreCase(ctx.argv[i], "entriesadded") && more) {
      std::optional<std::int64_t> n = ParseInt64(ctx.argv[i + 1]);
      if (!n) {
        ctx.reply.Error(errors::kNotInteger);
        return Status::Ok();
      }
      if (*n < 0) {
        ctx.reply.Error("ERR entries_added must be positive");
        return Status::Ok();
      }
      entries_added = *n;
    } else if (EqualsIgnoreCase(ctx.argv[i], "maxdeletedid") && more) {
      std::optional<StreamId> m = IdArgument(ctx, ctx.argv[i + 1], 0, /*strict=*/true);
      if (!m) return Status::Ok();
      if (*id < *m) {
        ctx.reply.Error(
            "ERR The ID specified in XSETID is smaller than the provided "
            "max_deleted_entry_id");
        return Status::Ok();
      }
      max_xdel = *m;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return Status::Ok();
    }
  }
  bool replied;
  LARDER_ASSIGN_OR_RETURN(std::optional<StreamKey> s,
                          OpenStream(ctx, ctx.argv[1], Access::kWrite, &replied));
  if (replied) return Status::Ok();
  if (!s) {
    ctx.reply.Error(errors::kNoSuchKey);
    return Status::Ok();
  }
  streams::StreamMeta& meta = s->mutable_meta();
  if (s->length() > 0) {
    LARDER_ASSIGN_OR_RETURN(std::optional<StreamId> top, s->EdgeId(false));
    if (top && *id < *top) {
      ctx.reply.Error("ERR The ID specified in XSETID is smaller than the target stream top item");
      return Status::Ok();
    }
    if (entries_added != -1 && s->length() > static_cast<std::uint64_t>(entries_added)) {
      ctx.reply.Error(
          "ERR The entries_added specified in XSETID is smaller than the target "
          "stream length");
      return Status::Ok();
    }
  }
  meta.last_id = *id;
  if (entries_added != -1) meta.entries_added = static_cast<std::uint64_t>(entries_added);
  if (!max_xdel.zero()) meta.max_deleted = max_xdel;
  LARDER_RETURN_IF_ERROR(s->Commit());
  NotifyStream(ctx, "xsetid", ctx.argv[1]);
  ctx.reply.Ok();
  return Status::Ok();
}

}  // namespace

void RegisterStreamCommands(CommandTable& table) {
  RegisterStreamReadCommands(table);
  RegisterStreamGroupCommands(table);
  RegisterStreamInfoCommand(table);
  table.Add(StreamCommandSpec("xadd", -5, kCmdGrowFast, 1, 1, XAddCommand,
                              "Appends a new entry to a stream", "5.0.0"));
  table.Add(StreamCommandSpec("xlen", 2, kCmdReadFast, 1, 1, XLenCommand,
                              "Return the number of entries in a stream", "5.0.0"));
  table.Add(StreamCommandSpec("xrange", -4, kCmdReadOnly, 1, 1, XRangeCommand,
                              "Return a range of elements in a stream, with IDs matching the "
                              "specified IDs interval",
                              "5.0.0"));
  table.Add(StreamCommandSpec("xrevrange", -4, kCmdReadOnly, 1, 1, XRevRangeCommand,
                              "Return a range of elements in a stream, with IDs matching the "
                              "specified IDs interval, in reverse order (from greater to smaller "
                              "IDs) compared to XRANGE",
                              "5.0.0"));
  table.Add(StreamCommandSpec("xdel", -3, kCmdWriteFast, 1, 1, XDelCommand,
                              "Removes the specified entries from the stream. Returns the number "
                              "of items actually deleted, that may be different from the number "
                              "of IDs passed in case certain IDs do not exist.",
                              "5.0.0"));
  table.Add(StreamCommandSpec("xtrim", -4, kCmdWrite, 1, 1, XTrimCommand,
                              "Trims the stream to (approximately if '~' is passed) a certain "
                              "size",
                              "5.0.0"));
  table.Add(StreamCommandSpec("xsetid", -3, kCmdGrowFast, 1, 1, XSetIdCommand,
                              "An internal command for replicating stream values", "5.0.0"));
}

}  // namespace larder::server
