// XREAD and XREADGROUP, blocking ones included, on blocking.h's "re-run the command" model, with
// Redis 7.0's replies. A blocking XREAD resolves "$" to the stream's last ID when it first
// blocks (the re-runs read from there); a blocked XREADGROUP ">" is re-run on every change of
// its keys and replies "no longer exists" when the key was deleted or changed type, NOGROUP when
// its group was destroyed, as Redis 7.0 does.
#include <limits>
#include <string>
#include <vector>

#include "server/args.h"
#include "server/blocking.h"
#include "server/client.h"
#include "server/keyspace_events.h"
#include "server/reply_builder.h"
#include "server/stream_commands.h"

namespace larder::server {
namespace {

using streams::GroupMeta;
using streams::StreamId;
using streams::StreamKey;

// Redis's XREAD_BLOCKED_DEFAULT_COUNT: a blocked read without COUNT serves at most this many.
constexpr std::int64_t kBlockedDefaultCount = 1000;
constexpr std::string_view kKeyGone = "UNBLOCKED the stream key no longer exists";

struct ReadArgs {
  std::int64_t timeout_ms = -1;  // -1: no BLOCK
  std::int64_t count = 0;
  std::size_t streams_arg = 0;
  std::size_t streams_count = 0;
  bool noack = false;
  std::optional<std::string_view> group;
  std::string_view consumer;
};

// Parses the options; false after an error reply.
bool ParseReadArgs(CommandContext& ctx, bool xreadgroup, ReadArgs* a) {
  const auto& argv = ctx.argv;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const std::size_t more = argv.size() - i - 1;
    std::string_view o = argv[i];
    if (EqualsIgnoreCase(o, "block") && more > 0) {
      ++i;
      std::optional<std::int64_t> t = ParseInt64(argv[i]);
      if (!t) {
        ctx.reply.Error("ERR timeout is not an integer or out of range");
        return false;
      }
      if (*t < 0) {
        ctx.reply.Error("ERR timeout is negative");
        return false;
      }
      if (*t > std::numeric_limits<std::int64_t>::max() - ctx.now_ms) {
        ctx.reply.Error("ERR timeout is out of range");
        return false;
      }
      a->timeout_ms = *t;
    } else if (EqualsIgnoreCase(o, "count") && more > 0) {
      ++i;
      std::optional<std::int64_t> n = ParseInt64(argv[i]);
      if (!n) {
        ctx.reply.Error(errors::kNotInteger);
        return false;
      }
      a->count = *n < 0 ? 0 : *n;
    } else if (EqualsIgnoreCase(o, "streams") && more > 0) {
      a->streams_arg = i + 1;
      a->streams_count = argv.size() - a->streams_arg;
      if (a->streams_count % 2 != 0) {
        ctx.reply.Error(std::string("ERR Unbalanced '") + (xreadgroup ? "xreadgroup" : "xread") +
                        "' list of streams: for each stream key an ID or '" +
                        (xreadgroup ? ">" : "$") + "' must be specified.");
        return false;
      }
      a->streams_count /= 2;
      break;
    } else if (EqualsIgnoreCase(o, "group") && more >= 2) {
      if (!xreadgroup) {
        ctx.reply.Error(
            "ERR The GROUP option is only supported by XREADGROUP. You called XREAD "
            "instead.");
        return false;
      }
      a->group = argv[i + 1];
      a->consumer = argv[i + 2];
      i += 2;
    } else if (EqualsIgnoreCase(o, "noack")) {
      if (!xreadgroup) {
        ctx.reply.Error(
            "ERR The NOACK option is only supported by XREADGROUP. You called XREAD "
            "instead.");
        return false;
      }
      a->noack = true;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return false;
    }
  }
  if (a->streams_arg == 0) {
    ctx.reply.Error(errors::kSyntax);
    return false;
  }
  if (xreadgroup && !a->group) {
    ctx.reply.Error("ERR Missing GROUP option for XREADGROUP");
    return false;
  }
  return true;
}

void ReplyNullArray(ReplyBuilder& reply) { reply.NullArray(); }

// One stream served to a group's consumer: new entries after the group's last ID (added to the
// PEL unless NOACK) or, for `history`, the consumer's pending entries after `after`.
Status ServeGroup(CommandContext& ctx, StreamKey& s, std::string_view key,
                  std::string_view group_name, GroupMeta& group, std::string_view consumer_name,
                  StreamId after, bool history, bool noack, std::uint64_t count) {
  LARDER_ASSIGN_OR_RETURN(std::optional<streams::ConsumerMeta> consumer,
                          LookupOrCreateConsumer(ctx, s, key, group, consumer_name, true));
  StreamId start = after;
  streams::Increment(&start);
  if (history) {
    LARDER_ASSIGN_OR_RETURN(
        std::vector<streams::PendingEntry> pel,
        s.PendingRange(group.gid, consumer->name, start, streams::kMaxId, count));
    ctx.reply.ArrayHeader(pel.size());
    for (streams::PendingEntry& pe : pel) {
      LARDER_ASSIGN_OR_RETURN(std::optional<streams::Entry> e, s.Get(pe.id));
      if (!e) {
        ctx.reply.ArrayHeader(2);
        ctx.reply.Bulk(pe.id.ToString());
        ctx.reply.NullArray();
        continue;
      }
      ReplyEntry(ctx.reply, *e);
      pe.delivery_time = ctx.now_ms;
      ++pe.delivery_count;
      LARDER_RETURN_IF_ERROR(s.PutPending(group.gid, pe));
    }
  } else {
    LARDER_ASSIGN_OR_RETURN(std::vector<streams::Entry> entries,
                            s.Range(start, streams::kMaxId, count));
    ReplyEntries(ctx.reply, entries);
    for (const streams::Entry& e : entries) {
      if (e.id > group.last_id) {
        if (group.entries_read != -1 &&
            !streams::RangeHasTombstones(s.meta(), s.length(), e.id, streams::kMaxId)) {
          ++group.entries_read;
        } else if (s.meta().entries_added != 0) {
          group.entries_read = streams::EstimateDistance(s.meta(), s.length(), e.id);
        }
        group.last_id = e.id;
      }
      if (noack) continue;
      LARDER_ASSIGN_OR_RETURN(std::optional<streams::PendingEntry> old,
                              s.GetPending(group.gid, e.id));
      streams::PendingEntry pe = old.value_or(streams::PendingEntry{});
      pe.id = e.id;
      pe.delivery_time = ctx.now_ms;
      pe.delivery_count = 1;
      LARDER_RETURN_IF_ERROR(AssignPending(s, group, pe, *consumer, !old.has_value()));
    }
  }
  LARDER_RETURN_IF_ERROR(s.PutConsumer(group.gid, *consumer));
  LARDER_RETURN_IF_ERROR(s.PutGroup(group_name, group));
  return s.Commit();
}

Status ReadGeneric(CommandContext& ctx, bool xreadgroup) {
  ReadArgs a;
  if (!ParseReadArgs(ctx, xreadgroup, &a)) return Status::Ok();
  BlockingService& blocking = ctx.server.Service<BlockingService>();
  const bool rerun = blocking.Rerunning(ctx.client);
  const auto keys = ctx.argv.subspan(a.streams_arg, a.streams_count);
  const auto id_args = ctx.argv.subspan(a.streams_arg + a.streams_count, a.streams_count);

  // Resolve the IDs (and the groups) of every stream first, as Redis does.
  struct Target {
    std::optional<StreamKey> stream;
    std::optional<GroupMeta> group;
    StreamId after;
    bool new_only = false;  // ">"
  };
  std::vector<Target> targets(a.streams_count);
  std::vector<std::string> resolved(ctx.argv.begin(), ctx.argv.end());
  bool substituted = false;
  for (std::size_t i = 0; i < a.streams_count; ++i) {
    Target& t = targets[i];
    if (rerun && xreadgroup) {
      // The key deleted, or changed type, while the client was blocked.
      LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info, ctx.db.Lookup(keys[i]));
      if (!info || info->type != ValueType::kStream) {
        ctx.reply.Error(kKeyGone);
        return Status::Ok();
      }
    }
    bool replied = false;
    LARDER_ASSIGN_OR_RETURN(t.stream, OpenStream(ctx, keys[i], Access::kRead, &replied));
    if (replied) return Status::Ok();
    if (a.group) {
      if (t.stream) {
        LARDER_ASSIGN_OR_RETURN(t.group, t.stream->GetGroup(*a.group));
      }
      if (!t.group) {
        if (rerun) {
          ctx.reply.Error(
              "NOGROUP the consumer group this client was blocked on no longer "
              "exists");
        } else {
          ctx.reply.Error("NOGROUP No such key '" + std::string(keys[i]) + "' or consumer group '" +
                          std::string(*a.group) + "' in XREADGROUP with GROUP option");
        }
        return Status::Ok();
      }
    }
    std::string_view arg = id_args[i];
    if (arg == "$") {
      if (xreadgroup) {
        ctx.reply.Error(
            "ERR The $ ID is meaningless in the context of XREADGROUP: you want to "
            "read the history of this consumer by specifying a proper ID, or use the "
            "> ID to get new messages. The $ ID would just return an empty result "
            "set.");
        return Status::Ok();
      }
      t.after = t.stream ? t.stream->meta().last_id : StreamId{};
      resolved[a.streams_arg + a.streams_count + i] = t.after.ToString();
      substituted = true;
      continue;
    }
    if (arg == ">") {
      if (!xreadgroup) {
        ctx.reply.Error(
            "ERR The > ID can be specified only when calling XREADGROUP using the "
            "GROUP <group> <consumer> option.");
        return Status::Ok();
      }
      t.new_only = true;
      continue;
    }
    std::optional<StreamId> id = IdArgument(ctx, arg, 0, /*strict=*/true);
    if (!id) return Status::Ok();
    t.after = *id;
    // Redis encodes ">" as the greatest ID: that ID given explicitly reads as ">".
    t.new_only = xreadgroup && *id == streams::kMaxId;
  }

  const WaitKey* serving = blocking.ServingKey(ctx.client);
  const std::uint64_t count =
      static_cast<std::uint64_t>(rerun && a.count == 0 ? kBlockedDefaultCount : a.count);
  const std::size_t at = ctx.reply.BeginDeferredMap();
  std::size_t served = 0;
  for (std::size_t i = 0; i < a.streams_count; ++i) {
    Target& t = targets[i];
    if (!t.stream) continue;
    if (serving != nullptr && serving->key != keys[i]) continue;
    if (t.group && i > 0) {
      // The same key may come twice: read the stream and its group as the reads before left
      // them (Redis serves the keys one after the other).
      bool replied = false;
      LARDER_ASSIGN_OR_RETURN(t.stream, OpenStream(ctx, keys[i], Access::kRead, &replied));
      LARDER_ASSIGN_OR_RETURN(t.group, t.stream->GetGroup(*a.group));
      if (!t.group) return Status::Corruption("stream: a group vanished during XREADGROUP");
    }
    StreamKey& s = *t.stream;
    bool serve = false;
    bool history = false;
    if (t.group) {
      if (!t.new_only) {
        serve = history = true;
      } else if (s.length() > 0) {
        LARDER_ASSIGN_OR_RETURN(std::optional<StreamId> top, s.EdgeId(false));
        if (top && *top > t.group->last_id) {
          serve = true;
          t.after = t.group->last_id;
        }
      }
    } else if (s.length() > 0) {
      LARDER_ASSIGN_OR_RETURN(std::optional<StreamId> top, s.EdgeId(false));
      serve = top && *top > t.after;
    }
    if (!serve) continue;
    ++served;
    if (ctx.reply.protocol() == 2) ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(keys[i]);
    if (t.group) {
      LARDER_RETURN_IF_ERROR(ServeGroup(ctx, s, keys[i], *a.group, *t.group, a.consumer, t.after,
                                        history, a.noack, count));
    } else {
      StreamId start = t.after;
      streams::Increment(&start);
      LARDER_ASSIGN_OR_RETURN(std::vector<streams::Entry> entries,
                              s.Range(start, streams::kMaxId, count));
      ReplyEntries(ctx.reply, entries);
    }
  }
  if (served > 0) {
    if (ctx.reply.protocol() == 2) {
      ctx.reply.EndDeferredArray(at, served);
    } else {
      ctx.reply.EndDeferredMap(at, served);
    }
    return Status::Ok();
  }
  ctx.reply.Rollback(at);
  if (a.timeout_ms < 0) {
    ctx.reply.NullArray();
    return Status::Ok();
  }
  if (!ctx.may_block) {
    ctx.reply.NullArray();
    return Status::Ok();
  }
  BlockOptions options;
  for (std::string_view key : keys)
    options.keys.push_back(WaitKey{ctx.db.index(), std::string(key)});
  options.deadline_ms = a.timeout_ms == 0 ? 0 : ctx.now_ms + a.timeout_ms;
  options.on_timeout = ReplyNullArray;
  if (!xreadgroup) options.key_type = ValueType::kStream;
  if (substituted && !rerun) {
    std::vector<std::string_view> argv(resolved.begin(), resolved.end());
    CommandContext blocked = ctx;
    blocked.argv = argv;
    blocking.Block(blocked, std::move(options));
  } else {
    blocking.Block(ctx, std::move(options));
  }
  return Status::Ok();
}

Status XReadCommand(CommandContext& ctx) { return ReadGeneric(ctx, false); }
Status XReadGroupCommand(CommandContext& ctx) { return ReadGeneric(ctx, true); }

}  // namespace

void RegisterStreamReadCommands(CommandTable& table) {
  CommandSpec xread = StreamCommandSpec(
      "xread", -4, kCmdReadOnly | kCmdBlocking, 0, 0, XReadCommand,
      "Return never seen elements in multiple streams, with IDs greater than the ones reported by "
      "the caller for each stream. Can block.",
      "5.0.0");
  table.Add(std::move(xread));
  table.Add(StreamCommandSpec("xreadgroup", -7, kCmdWrite | kCmdBlocking, 0, 0, XReadGroupCommand,
                              "Return new entries from a stream using a consumer group, or access "
                              "the history of the pending entries for a given consumer. Can "
                              "block.",
                              "5.0.0"));
}

}  // namespace larder::server
