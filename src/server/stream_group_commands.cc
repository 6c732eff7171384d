// Consumer-group commands: XGROUP (CREATE SETID DESTROY CREATECONSUMER DELCONSUMER HELP), XACK,
// XPENDING, XCLAIM, XAUTOCLAIM, with Redis 7.0's replies, errors and keyspace events. A group's
// pending entries are records ordered by ID (stream_store.h), so XPENDING, XCLAIM and XAUTOCLAIM
// seek to what they touch.
#include <algorithm>
#include <string>
#include <vector>

#include "server/args.h"
#include "server/blocking.h"
#include "server/keyspace_events.h"
#include "server/reply_builder.h"
#include "server/stream_commands.h"

namespace larder::server {

using streams::ConsumerMeta;
using streams::GroupMeta;
using streams::PendingEntry;
using streams::StreamId;
using streams::StreamKey;

Result<ConsumerMeta> LookupOrCreateConsumer(CommandContext& ctx, StreamKey& s, std::string_view key,
                                            GroupMeta& group, std::string_view name, bool refresh) {
  LARDER_ASSIGN_OR_RETURN(std::optional<ConsumerMeta> c, s.GetConsumer(group.gid, name));
  if (!c) {
    c = ConsumerMeta{.name = std::string(name), .seen_time = ctx.now_ms};
    ++group.consumers;
    LARDER_RETURN_IF_ERROR(s.PutConsumer(group.gid, *c));
    NotifyKeyspaceEvent(ctx, kNotifyStream, "xgroup-createconsumer", key);
  } else if (refresh) {
    c->seen_time = ctx.now_ms;
  }
  return std::move(*c);
}

Status AssignPending(StreamKey& s, GroupMeta& group, PendingEntry pe, ConsumerMeta& to,
                     bool is_new) {
  if (is_new) {
    ++group.pending;
    ++to.pending;
  } else if (pe.consumer != to.name) {
    LARDER_RETURN_IF_ERROR(s.DeletePending(group.gid, pe));
    LARDER_ASSIGN_OR_RETURN(std::optional<ConsumerMeta> prev,
                            s.GetConsumer(group.gid, pe.consumer));
    if (prev && prev->pending > 0) {
      --prev->pending;
      LARDER_RETURN_IF_ERROR(s.PutConsumer(group.gid, *prev));
    }
    ++to.pending;
  }
  pe.consumer = to.name;
  return s.PutPending(group.gid, pe);
}

Status DropPending(StreamKey& s, GroupMeta& group, const PendingEntry& pe, ConsumerMeta* held) {
  LARDER_RETURN_IF_ERROR(s.DeletePending(group.gid, pe));
  if (group.pending > 0) --group.pending;
  if (held != nullptr && held->name == pe.consumer) {
    if (held->pending > 0) --held->pending;
    return Status::Ok();
  }
  LARDER_ASSIGN_OR_RETURN(std::optional<ConsumerMeta> owner, s.GetConsumer(group.gid, pe.consumer));
  if (owner && owner->pending > 0) {
    --owner->pending;
    LARDER_RETURN_IF_ERROR(s.PutConsumer(group.gid, *owner));
  }
  return Status::Ok();
}

namespace {

// Redis's addReplySubcommandSyntaxError.
std::string SubcommandSyntaxError(CommandContext& ctx) {
  return "ERR unknown subcommand or wrong number of arguments for '" +
         std::string(ctx.argv[1].substr(0, 128)) + "'. Try XGROUP HELP.";
}

std::string NoGroupError(std::string_view key, std::string_view group) {
  return "NOGROUP No such key '" + std::string(key) + "' or consumer group '" + std::string(group) +
         "'";
}

// A stream and one of its groups for XACK/XCLAIM/...: nullopt (with *replied when a reply was
// written) when the key is of another type; `group` unset when the key or group is missing.
struct StreamAndGroup {
  std::optional<StreamKey> stream;
  std::optional<GroupMeta> group;
};
Result<StreamAndGroup> OpenGroup(CommandContext& ctx, std::string_view key, std::string_view group,
                                 bool* replied) {
  StreamAndGroup out;
  LARDER_ASSIGN_OR_RETURN(out.stream, OpenStream(ctx, key, Access::kRead, replied));
  if (out.stream) {
    LARDER_ASSIGN_OR_RETURN(out.group, out.stream->GetGroup(group));
  }
  return out;
}

// ---- XGROUP ----

// Parses [MKSTREAM] [ENTRIESREAD n] from argv[5]; false after an error reply.
bool ParseGroupOptions(CommandContext& ctx, bool create, bool* mkstream,
                       std::int64_t* entries_read) {
  for (std::size_t i = 5; i < ctx.argv.size();) {
    if (create && EqualsIgnoreCase(ctx.argv[i], "mkstream")) {
      *mkstream = true;
      ++i;
    } else if (EqualsIgnoreCase(ctx.argv[i], "entriesread") && i + 1 < ctx.argv.size()) {
      std::optional<std::int64_t> n = ParseInt64(ctx.argv[i + 1]);
      if (!n) {
        ctx.reply.Error(errors::kNotInteger);
        return false;
      }
      if (*n < 0 && *n != -1) {
        ctx.reply.Error("ERR value for ENTRIESREAD must be positive or -1");
        return false;
      }
      *entries_read = *n;
      i += 2;
    } else {
      ctx.reply.Error(SubcommandSyntaxError(ctx));
      return false;
    }
  }
  return true;
}

constexpr std::string_view kKeyMustExist =
    "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to "
    "use the MKSTREAM option to create an empty stream automatically.";

// Opens argv[2] for an XGROUP subcommand: replies and returns nullopt when it is of another type
// or absent (unless `may_be_absent`).
Result<std::optional<StreamKey>> OpenForGroup(CommandContext& ctx, bool may_be_absent,
                                              bool* replied) {
  LARDER_ASSIGN_OR_RETURN(std::optional<StreamKey> s,
                          OpenStream(ctx, ctx.argv[2], Access::kWrite, replied));
  if (*replied) return s;
  if (!s && !may_be_absent) {
    ctx.reply.Error(kKeyMustExist);
    *replied = true;
  }
  return s;
}

// The group argv[3] of `s`, which must exist (else NOGROUP is replied).
Result<std::optional<GroupMeta>> RequireGroup(CommandContext& ctx, StreamKey& s) {
  LARDER_ASSIGN_OR_RETURN(std::optional<GroupMeta> g, s.GetGroup(ctx.argv[3]));
  if (!g) {
    ctx.reply.Error("NOGROUP No such consumer group '" + std::string(ctx.argv[3]) +
                    "' for key name '" + std::string(ctx.argv[2]) + "'");
  }
  return g;
}

Status XGroupCreate(CommandContext& ctx) {
  bool mkstream = false;
  std::int64_t entries_read = -1;
  if (ctx.argv.size() > 8) {
    ctx.reply.Error(SubcommandSyntaxError(ctx));
    return Status::Ok();
  }
  if (!ParseGroupOptions(ctx, true, &mkstream, &entries_read)) return Status::Ok();
  bool replied = false;
  LARDER_ASSIGN_OR_RETURN(std::optional<StreamKey> s, OpenForGroup(ctx, mkstream, &replied));
  if (replied) return Status::Ok();
  StreamId id;
  if (ctx.argv[4] == "$") {
    if (s) id = s->meta().last_id;
  } else {
    std::optional<StreamId> parsed = IdArgument(ctx, ctx.argv[4], 0, /*strict=*/true);
    if (!parsed) return Status::Ok();
    id = *parsed;
  }
  if (!s) {
    LARDER_ASSIGN_OR_RETURN(StreamKey fresh, StreamKey::Create(ctx.db, ctx.argv[2]));
    s.emplace(std::move(fresh));
  } else {
    LARDER_ASSIGN_OR_RETURN(std::optional<GroupMeta> old, s->GetGroup(ctx.argv[3]));
    if (old) {
      ctx.reply.Error("BUSYGROUP Consumer Group name already exists");
      return Status::Ok();
    }
  }
  GroupMeta g;
  g.gid = s->meta().next_group_id;
  g.last_id = id;
  g.entries_read = entries_read;
  ++s->mutable_meta().next_group_id;
  ++s->mutable_meta().groups;
  LARDER_RETURN_IF_ERROR(s->PutGroup(ctx.argv[3], g));
  LARDER_RETURN_IF_ERROR(s->Commit());
  ctx.reply.Ok();
  NotifyKeyspaceEvent(ctx, kNotifyStream, "xgroup-create", ctx.argv[2]);
  return Status::Ok();
}

Status XGroupSetId(CommandContext& ctx) {
  bool mkstream = false;
  std::int64_t entries_read = -1;
  if (ctx.argv.size() != 5 && ctx.argv.size() != 7) {
    ctx.reply.Error(SubcommandSyntaxError(ctx));
    return Status::Ok();
  }
  if (!ParseGroupOptions(ctx, false, &mkstream, &entries_read)) return Status::Ok();
  bool replied = false;
  LARDER_ASSIGN_OR_RETURN(std::optional<StreamKey> s, OpenForGroup(ctx, false, &replied));
  if (replied) return Status::Ok();
  LARDER_ASSIGN_OR_RETURN(std::optional<GroupMeta> g, RequireGroup(ctx, *s));
  if (!g) return Status::Ok();
  StreamId id;
  if (ctx.argv[4] == "$") {
    id = s->meta().last_id;
  } else {
    std::optional<StreamId> parsed = IdArgument(ctx, ctx.argv[4], 0, /*strict=*/false);
    if (!parsed) return Status::Ok();
    id = *parsed;
  }
  g->last_id = id;
  g->entries_read = entries_read;
  LARDER_RETURN_IF_ERROR(s->PutGroup(ctx.argv[3], *g));
  LARDER_RETURN_IF_ERROR(s->Commit());
  ctx.reply.Ok();
  NotifyKeyspaceEvent(ctx, kNotifyStream, "xgroup-setid", ctx.argv[2]);
  return Status::Ok();
}

Status XGroupDestroy(CommandContext& ctx) {
  bool replied = false;
  LARDER_ASSIGN_OR_RETURN(std::optional<StreamKey> s, OpenForGroup(ctx, false, &replied));
  if (replied) return Status::Ok();
  LARDER_ASSIGN_OR_RETURN(std::optional<GroupMeta> g, s->GetGroup(ctx.argv[3]));
  if (!g) {
    ctx.reply.Integer(0);
    return Status::Ok();
  }
  LARDER_RETURN_IF_ERROR(s->DestroyGroup(ctx.argv[3], *g));
  --s->mutable_meta().groups;
  // Commit reports the key as modified: a blocked XREADGROUP is re-run and replies NOGROUP.
  LARDER_RETURN_IF_ERROR(s->Commit());
  ctx.reply.Integer(1);
  NotifyKeyspaceEvent(ctx, kNotifyStream, "xgroup-destroy", ctx.argv[2]);
  return Status::Ok();
}

Status XGroupCreateConsumer(CommandContext& ctx) {
  bool replied = false;
  LARDER_ASSIGN_OR_RETURN(std::optional<StreamKey> s, OpenForGroup(ctx, false, &replied));
  if (replied) return Status::Ok();
  LARDER_ASSIGN_OR_RETURN(std::optional<GroupMeta> g, RequireGroup(ctx, *s));
  if (!g) return Status::Ok();
  LARDER_ASSIGN_OR_RETURN(std::optional<ConsumerMeta> c, s->GetConsumer(g->gid, ctx.argv[4]));
  if (c) {
    ctx.reply.Integer(0);
    return Status::Ok();
  }
  LARDER_ASSIGN_OR_RETURN(ConsumerMeta created,
                          LookupOrCreateConsumer(ctx, *s, ctx.argv[2], *g, ctx.argv[4], false));
  (void)created;
  LARDER_RETURN_IF_ERROR(s->PutGroup(ctx.argv[3], *g));
  LARDER_RETURN_IF_ERROR(s->Commit());
  ctx.reply.Integer(1);
  return Status::Ok();
}

Status XGroupDelConsumer(CommandContext& ctx) {
  bool replied = false;
  LARDER_ASSIGN_OR_RETURN(std::optional<StreamKey> s, OpenForGroup(ctx, false, &replied));
  if (replied) return Status::Ok();
  LARDER_ASSIGN_OR_RETURN(std::optional<GroupMeta> g, RequireGroup(ctx, *s));
  if (!g) return Status::Ok();
  LARDER_ASSIGN_OR_RETURN(std::optional<ConsumerMeta> c, s->GetConsumer(g->gid, ctx.argv[4]));
  if (!c) {
    ctx.reply.Integer(0);
    return Status::Ok();
  }
  LARDER_ASSIGN_OR_RETURN(
      std::vector<PendingEntry> pel,
      s->PendingRange(g->gid, c->name, StreamId{}, streams::kMaxId, /*count=*/0));
  for (const PendingEntry& pe : pel) LARDER_RETURN_IF_ERROR(s->DeletePending(g->gid, pe));
  g->pending -= std::min<std::uint64_t>(g->pending, pel.size());
  --g->consumers;
  LARDER_RETURN_IF_ERROR(s->DeleteConsumer(g->gid, c->name));
  LARDER_RETURN_IF_ERROR(s->PutGroup(ctx.argv[3], *g));
  LARDER_RETURN_IF_ERROR(s->Commit());
  ctx.reply.Integer(static_cast<std::int64_t>(pel.size()));
  NotifyKeyspaceEvent(ctx, kNotifyStream, "xgroup-delconsumer", ctx.argv[2]);
  return Status::Ok();
}

Status XGroupHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CREATE <key> <groupname> <id|$> [option]",
      "    Create a new consumer group. Options are:",
      "    * MKSTREAM",
      "      Create the empty stream if it does not exist.",
      "    * ENTRIESREAD entries_read",
      "      Set the group's entries_read counter (internal use).",
      "CREATECONSUMER <key> <groupname> <consumer>",
      "    Create a new consumer in the specified group.",
      "DELCONSUMER <key> <groupname> <consumer>",
      "    Remove the specified consumer.",
      "DESTROY <key> <groupname>",
      "    Remove the specified group.",
      "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
      "    Set the current group ID and entries_read counter.",
      "HELP",
      "    Print this help.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (std::string_view line : kLines) ctx.reply.SimpleString(line);
  return Status::Ok();
}

// ---- XACK ----

Status XAckCommand(CommandContext& ctx) {
  bool replied = false;
  LARDER_ASSIGN_OR_RETURN(StreamAndGroup sg, OpenGroup(ctx, ctx.argv[1], ctx.argv[2], &replied));
  if (replied) return Status::Ok();
  if (!sg.group) {
    ctx.reply.Integer(0);
    return Status::Ok();
  }
  std::vector<StreamId> ids;
  for (std::size_t j = 3; j < ctx.argv.size(); ++j) {
    std::optional<StreamId> id = IdArgument(ctx, ctx.argv[j], 0, /*strict=*/true);
    if (!id) return Status::Ok();
    ids.push_back(*id);
  }
  StreamKey& s = *sg.stream;
  GroupMeta& g = *sg.group;
  std::int64_t acked = 0;
  for (StreamId id : ids) {
    LARDER_ASSIGN_OR_RETURN(std::optional<PendingEntry> pe, s.GetPending(g.gid, id));
    if (!pe) continue;
    LARDER_RETURN_IF_ERROR(DropPending(s, g, *pe, nullptr));
    ++acked;
  }
  if (acked > 0) {
    LARDER_RETURN_IF_ERROR(s.PutGroup(ctx.argv[2], g));
    LARDER_RETURN_IF_ERROR(s.Commit());
  }
  ctx.reply.Integer(acked);
  return Status::Ok();
}

// ---- XPENDING ----

std::optional<StreamId> IntervalStart(CommandContext& ctx, std::string_view arg) {
  const bool ex = arg.size() > 1 && arg[0] == '(';
  std::optional<StreamId> id =
      ex ? IdArgument(ctx, arg.substr(1), 0, true) : IdArgument(ctx, arg, 0, false);
  if (id && ex && !streams::Increment(&*id)) {
    ctx.reply.Error("ERR invalid start ID for the interval");
    return std::nullopt;
  }
  return id;
}

Status XPendingCommand(CommandContext& ctx) {
  const std::size_t argc = ctx.argv.size();
  const bool summary = argc == 3;
  if (argc != 3 && (argc < 6 || argc > 9)) {
    ctx.reply.Error(errors::kSyntax);
    return Status::Ok();
  }
  std::int64_t min_idle = 0;
  std::int64_t count = 0;
  StreamId start, end;
  std::optional<std::string> consumer;
  if (argc >= 6) {
    std::size_t at = 3;
    if (EqualsIgnoreCase(ctx.argv[3], "idle")) {
      std::optional<std::int64_t> idle = ParseInt64(ctx.argv[4]);
      if (!idle) {
        ctx.reply.Error(errors::kNotInteger);
        return Status::Ok();
      }
      min_idle = *idle;
      if (argc < 8) {
        ctx.reply.Error(errors::kSyntax);
        return Status::Ok();
      }
      at += 2;
    }
    std::optional<std::int64_t> n = ParseInt64(ctx.argv[at + 2]);
    if (!n) {
      ctx.reply.Error(errors::kNotInteger);
      return Status::Ok();
    }
    count = std::max<std::int64_t>(*n, 0);
    std::optional<StreamId> s = IntervalStart(ctx, ctx.argv[at]);
    if (!s) return Status::Ok();
    start = *s;
    std::string_view end_arg = ctx.argv[at + 1];
    const bool end_ex = end_arg.size() > 1 && end_arg[0] == '(';
    std::optional<StreamId> e = end_ex ? IdArgument(ctx, end_arg.substr(1), UINT64_MAX, true)
                                       : IdArgument(ctx, end_arg, UINT64_MAX, false);
    if (!e) return Status::Ok();
    if (end_ex && !streams::Decrement(&*e)) {
      ctx.reply.Error("ERR invalid end ID for the interval");
      return Status::Ok();
    }
    end = *e;
    if (at + 3 < argc) consumer = std::string(ctx.argv[at + 3]);
  }
  bool replied = false;
  LARDER_ASSIGN_OR_RETURN(StreamAndGroup sg, OpenGroup(ctx, ctx.argv[1], ctx.argv[2], &replied));
  if (replied) return Status::Ok();
  if (!sg.group) {
    ctx.reply.Error(NoGroupError(ctx.argv[1], ctx.argv[2]));
    return Status::Ok();
  }
  StreamKey& s = *sg.stream;
  const GroupMeta& g = *sg.group;
  if (summary) {
    ctx.reply.ArrayHeader(4);
    ctx.reply.Integer(static_cast<std::int64_t>(g.pending));
    if (g.pending == 0) {
      ctx.reply.Null();
      ctx.reply.Null();
      ctx.reply.NullArray();
      return Status::Ok();
    }
    LARDER_ASSIGN_OR_RETURN(std::vector<PendingEntry> first,
                            s.PendingRange(g.gid, std::nullopt, StreamId{}, streams::kMaxId, 1));
    LARDER_ASSIGN_OR_RETURN(
        std::vector<PendingEntry> last,
        s.PendingRange(g.gid, std::nullopt, StreamId{}, streams::kMaxId, 1, /*reverse=*/true));
    if (first.empty() || last.empty()) return Status::Corruption("stream: pending count");
    ctx.reply.Bulk(first[0].id.ToString());
    ctx.reply.Bulk(last[0].id.ToString());
    LARDER_ASSIGN_OR_RETURN(std::vector<ConsumerMeta> consumers, s.Consumers(g.gid));
    std::size_t n = 0;
    for (const ConsumerMeta& c : consumers) n += c.pending > 0 ? 1 : 0;
    ctx.reply.ArrayHeader(n);
    for (const ConsumerMeta& c : consumers) {
      if (c.pending == 0) continue;
      ctx.reply.ArrayHeader(2);
      ctx.reply.Bulk(c.name);
      ctx.reply.Bulk(std::to_string(c.pending));
    }
    return Status::Ok();
  }
  if (consumer) {
    LARDER_ASSIGN_OR_RETURN(std::optional<ConsumerMeta> c, s.GetConsumer(g.gid, *consumer));
    if (!c) {
      ctx.reply.ArrayHeader(0);
      return Status::Ok();
    }
  }
  std::vector<PendingEntry> out;
  StreamId from = start;
  // With IDLE, entries below the idle time are skipped: read in chunks until `count` match.
  while (count > 0 && from <= end) {
    const std::uint64_t chunk = min_idle != 0 ? 256 : static_cast<std::uint64_t>(count);
    LARDER_ASSIGN_OR_RETURN(std::vector<PendingEntry> part,
                            s.PendingRange(g.gid, consumer, from, end, chunk));
    for (PendingEntry& pe : part) {
      if (count == 0) break;
      if (min_idle != 0 && ctx.now_ms - pe.delivery_time < min_idle) continue;
      out.push_back(std::move(pe));
      --count;
    }
    if (part.size() < chunk) break;
    from = part.back().id;
    if (!streams::Increment(&from)) break;
  }
  ctx.reply.ArrayHeader(out.size());
  for (const PendingEntry& pe : out) {
    ctx.reply.ArrayHeader(4);
    ctx.reply.Bulk(pe.id.ToString());
    ctx.reply.Bulk(pe.consumer);
    ctx.reply.Integer(std::max<std::int64_t>(0, ctx.now_ms - pe.delivery_time));
    ctx.reply.Integer(static_cast<std::int64_t>(pe.delivery_count));
  }
  return Status::Ok();
}

// ---- XCLAIM / XAUTOCLAIM ----

Status XClaimCommand(CommandContext& ctx) {
  bool replied = false;
  LARDER_ASSIGN_OR_RETURN(StreamAndGroup sg, OpenGroup(ctx, ctx.argv[1], ctx.argv[2], &replied));
  if (replied) return Status::Ok();
  if (!sg.group) {
    ctx.reply.Error(NoGroupError(ctx.argv[1], ctx.argv[2]));
    return Status::Ok();
  }
  std::optional<std::int64_t> min_idle = ParseInt64(ctx.argv[4]);
  if (!min_idle) {
    ctx.reply.Error("ERR Invalid min-idle-time argument for XCLAIM");
    return Status::Ok();
  }
  std::vector<StreamId> ids;
  std::size_t j = 5;
  for (; j < ctx.argv.size(); ++j) {
    std::optional<StreamId> id = streams::ParseId(ctx.argv[j], 0, /*strict=*/true);
    if (!id) break;
    ids.push_back(*id);
  }
  const std::int64_t now = ctx.now_ms;
  std::int64_t retry_count = -1;
  std::int64_t delivery_time = -1;
  bool force = false;
  bool justid = false;
  StreamId last_id;
  for (; j < ctx.argv.size(); ++j) {
    const bool more = j + 1 < ctx.argv.size();
    std::string_view opt = ctx.argv[j];
    const auto int_option = [&](std::string_view what, std::int64_t* v) {
      std::optional<std::int64_t> n = ParseInt64(ctx.argv[++j]);
      if (!n) {
        ctx.reply.Error("ERR Invalid " + std::string(what) + " option argument for XCLAIM");
        return false;
      }
      *v = *n;
      return true;
    };
    if (EqualsIgnoreCase(opt, "force")) {
      force = true;
    } else if (EqualsIgnoreCase(opt, "justid")) {
      justid = true;
    } else if (EqualsIgnoreCase(opt, "idle") && more) {
      if (!int_option("IDLE", &delivery_time)) return Status::Ok();
      delivery_time = now - delivery_time;
    } else if (EqualsIgnoreCase(opt, "time") && more) {
      if (!int_option("TIME", &delivery_time)) return Status::Ok();
    } else if (EqualsIgnoreCase(opt, "retrycount") && more) {
      if (!int_option("RETRYCOUNT", &retry_count)) return Status::Ok();
    } else if (EqualsIgnoreCase(opt, "lastid") && more) {
      std::optional<StreamId> id = IdArgument(ctx, ctx.argv[++j], 0, /*strict=*/true);
      if (!id) return Status::Ok();
      last_id = *id;
    } else {
      ctx.reply.Error("ERR Unrecognized XCLAIM option '" + std::string(opt) + "'");
      return Status::Ok();
    }
  }
  StreamKey& s = *sg.stream;
  GroupMeta& g = *sg.group;
  if (last_id > g.last_id) g.last_id = last_id;
  if (delivery_time < 0 || delivery_time > now) delivery_time = now;
  std::optional<ConsumerMeta> consumer;
  const std::size_t at = ctx.reply.BeginDeferredArray();
  std::size_t n = 0;
  for (StreamId id : ids) {
    LARDER_ASSIGN_OR_RETURN(std::optional<PendingEntry> pe, s.GetPending(g.gid, id));
    LARDER_ASSIGN_OR_RETURN(std::optional<streams::Entry> entry, s.Get(id));
    if (!entry) {
      if (pe) {
        LARDER_RETURN_IF_ERROR(DropPending(s, g, *pe, consumer ? &*consumer : nullptr));
      }
      continue;
    }
    bool is_new = false;
    if (!pe && force) {
      pe = PendingEntry{.id = id, .delivery_time = now, .delivery_count = 1, .consumer = ""};
      is_new = true;
    }
    if (!pe) continue;
    if (!is_new && *min_idle > 0 && now - pe->delivery_time < *min_idle) continue;
    if (!consumer) {
      LARDER_ASSIGN_OR_RETURN(
          consumer, LookupOrCreateConsumer(ctx, s, ctx.argv[1], g, ctx.argv[3], /*refresh=*/true));
    }
    pe->delivery_time = delivery_time;
    if (retry_count >= 0) {
      pe->delivery_count = static_cast<std::uint64_t>(retry_count);
    } else if (!justid) {
      ++pe->delivery_count;
    }
    LARDER_RETURN_IF_ERROR(AssignPending(s, g, *pe, *consumer, is_new));
    if (justid) {
      ctx.reply.Bulk(id.ToString());
    } else {
      ReplyEntry(ctx.reply, *entry);
    }
    ++n;
  }
  ctx.reply.EndDeferredArray(at, n);
  if (consumer) LARDER_RETURN_IF_ERROR(s.PutConsumer(g.gid, *consumer));
  LARDER_RETURN_IF_ERROR(s.PutGroup(ctx.argv[2], g));
  return s.Commit();
}

Status XAutoClaimCommand(CommandContext& ctx) {
  std::optional<std::int64_t> min_idle = ParseInt64(ctx.argv[4]);
  if (!min_idle) {
    ctx.reply.Error("ERR Invalid min-idle-time argument for XAUTOCLAIM");
    return Status::Ok();
  }
  std::optional<StreamId> start = IntervalStart(ctx, ctx.argv[5]);
  if (!start) return Status::Ok();
  std::int64_t count = 100;
  bool justid = false;
  constexpr std::int64_t kAttemptsFactor = 10;
  for (std::size_t j = 6; j < ctx.argv.size(); ++j) {
    if (EqualsIgnoreCase(ctx.argv[j], "count") && j + 1 < ctx.argv.size()) {
      std::optional<std::int64_t> n = ParseInt64(ctx.argv[j + 1]);
      if (!n || *n < 1 || *n > INT64_MAX / 16) {
        ctx.reply.Error("ERR COUNT must be > 0");
        return Status::Ok();
      }
      count = *n;
      ++j;
    } else if (EqualsIgnoreCase(ctx.argv[j], "justid")) {
      justid = true;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return Status::Ok();
    }
  }
  bool replied = false;
  LARDER_ASSIGN_OR_RETURN(StreamAndGroup sg, OpenGroup(ctx, ctx.argv[1], ctx.argv[2], &replied));
  if (replied) return Status::Ok();
  if (!sg.group) {
    ctx.reply.Error(NoGroupError(ctx.argv[1], ctx.argv[2]));
    return Status::Ok();
  }
  StreamKey& s = *sg.stream;
  GroupMeta& g = *sg.group;
  const std::int64_t now = ctx.now_ms;
  std::int64_t attempts = count * kAttemptsFactor;
  std::optional<ConsumerMeta> consumer;
  std::vector<StreamId> deleted;
  std::string claimed;  // the claimed entries' replies, written after the cursor
  std::size_t n = 0;
  ReplyBuilder claimed_reply(&claimed, ctx.reply.protocol());
  StreamId from = *start;
  std::optional<StreamId> cursor;  // the next PEL entry not examined
  bool done = false;
  while (!done) {
    LARDER_ASSIGN_OR_RETURN(std::vector<PendingEntry> part,
                            s.PendingRange(g.gid, std::nullopt, from, streams::kMaxId, 64));
    if (part.empty()) break;
    for (PendingEntry& pe : part) {
      if (attempts-- == 0 || count == 0) {
        cursor = pe.id;
        done = true;
        break;
      }
      LARDER_ASSIGN_OR_RETURN(std::optional<streams::Entry> entry, s.Get(pe.id));
      if (!entry) {
        LARDER_RETURN_IF_ERROR(DropPending(s, g, pe, consumer ? &*consumer : nullptr));
        deleted.push_back(pe.id);
        --count;
        continue;
      }
      if (*min_idle > 0 && now - pe.delivery_time < *min_idle) continue;
      if (!consumer) {
        LARDER_ASSIGN_OR_RETURN(consumer, LookupOrCreateConsumer(ctx, s, ctx.argv[1], g,
                                                                 ctx.argv[3], /*refresh=*/true));
      }
      pe.delivery_time = now;
      if (!justid) ++pe.delivery_count;
      LARDER_RETURN_IF_ERROR(AssignPending(s, g, pe, *consumer, false));
      if (justid) {
        claimed_reply.Bulk(pe.id.ToString());
      } else {
        ReplyEntry(claimed_reply, *entry);
      }
      ++n;
      --count;
    }
    if (done || part.size() < 64) break;
    from = part.back().id;
    if (!streams::Increment(&from)) break;
  }
  ctx.reply.ArrayHeader(3);
  ctx.reply.Bulk(cursor.value_or(StreamId{}).ToString());
  ctx.reply.ArrayHeader(n);
  ctx.reply.buffer()->append(claimed);
  ctx.reply.ArrayHeader(deleted.size());
  for (StreamId id : deleted) ctx.reply.Bulk(id.ToString());
  if (consumer) LARDER_RETURN_IF_ERROR(s.PutConsumer(g.gid, *consumer));
  LARDER_RETURN_IF_ERROR(s.PutGroup(ctx.argv[2], g));
  return s.Commit();
}

}  // namespace

void RegisterStreamGroupCommands(CommandTable& table) {
  CommandSpec xgroup = StreamCommandSpec("xgroup", -2, 0, 0, 0, nullptr,
                                         "A container for consumer groups commands", "5.0.0");
  const auto sub = [](std::string_view name, int arity, std::uint32_t flags, CommandHandler handler,
                      std::string_view summary, std::string_view since) {
    return StreamCommandSpec(name, arity, flags, handler == XGroupHelp ? 0 : 2,
                             handler == XGroupHelp ? 0 : 2, handler, summary, since);
  };
  const std::uint32_t kWrite = kCmdWrite | kCmdDenyOom;
  xgroup.subcommands = {
      sub("create", -5, kWrite, XGroupCreate, "Create a consumer group.", "5.0.0"),
      sub("setid", -5, kCmdWrite, XGroupSetId,
          "Set a consumer group to an arbitrary last "
          "delivered ID value.",
          "5.0.0"),
      sub("destroy", 4, kCmdWrite, XGroupDestroy, "Destroy a consumer group.", "5.0.0"),
      sub("createconsumer", 5, kWrite, XGroupCreateConsumer,
          "Create a consumer in a consumer group.", "6.2.0"),
      sub("delconsumer", 5, kCmdWrite, XGroupDelConsumer,
          "Delete a consumer from a consumer group.", "5.0.0"),
      sub("help", 2, kCmdLoading | kCmdStale, XGroupHelp,
          "Show helpful text about the different "
          "subcommands",
          "5.0.0"),
  };
  table.Add(std::move(xgroup));
  table.Add(StreamCommandSpec("xack", -4, kCmdWriteFast, 1, 1, XAckCommand,
                              "Marks a pending message as correctly processed, effectively "
                              "removing it from the pending entries list of the consumer group. "
                              "Return value of the command is the number of messages "
                              "successfully acknowledged, that is, the IDs we were actually able "
                              "to resolve in the PEL.",
                              "5.0.0"));
  table.Add(StreamCommandSpec("xpending", -3, kCmdReadOnly, 1, 1, XPendingCommand,
                              "Return information and entries from a stream consumer group "
                              "pending entries list, that are messages fetched but never "
                              "acknowledged.",
                              "5.0.0"));
  table.Add(StreamCommandSpec("xclaim", -6, kCmdWriteFast, 1, 1, XClaimCommand,
                              "Changes (or acquires) ownership of a message in a consumer group, "
                              "as if the message was delivered to the specified consumer.",
                              "5.0.0"));
  table.Add(StreamCommandSpec("xautoclaim", -6, kCmdWriteFast, 1, 1, XAutoClaimCommand,
                              "Changes (or acquires) ownership of messages in a consumer group, "
                              "as if the messages were delivered to the specified consumer.",
                              "6.2.0"));
}

}  // namespace larder::server
