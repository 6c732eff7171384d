// XINFO STREAM [FULL [COUNT n]] / GROUPS / CONSUMERS / HELP, with Redis 7.0's replies (maps in
// RESP3, flat field/value arrays in RESP2). radix-tree-keys is the number of emulated listpack
// nodes (stream_store.h); radix-tree-nodes, the inner nodes of Redis's radix tree, has no
// counterpart here and reports the same number.
#include <string>
#include <vector>

#include "server/args.h"
#include "server/reply_builder.h"
#include "server/stream_commands.h"

namespace larder::server {
namespace {

using streams::GroupMeta;
using streams::StreamId;
using streams::StreamKey;

void ReplyLag(ReplyBuilder& reply, const StreamKey& s, const GroupMeta& g) {
  std::optional<std::int64_t> lag = streams::GroupLag(s.meta(), s.length(), g);
  if (lag) {
    reply.Integer(*lag);
  } else {
    reply.Null();
  }
}

void ReplyEntriesRead(ReplyBuilder& reply, const GroupMeta& g) {
  if (g.entries_read == -1) {
    reply.Null();
  } else {
    reply.Integer(g.entries_read);
  }
}

// The fields XINFO STREAM and XINFO STREAM FULL begin with.
Status ReplyStreamHead(CommandContext& ctx, StreamKey& s) {
  ReplyBuilder& r = ctx.reply;
  const auto nodes = static_cast<std::int64_t>(s.meta().nodes);
  r.Bulk("length");
  r.Integer(static_cast<std::int64_t>(s.length()));
  r.Bulk("radix-tree-keys");
  r.Integer(nodes);
  r.Bulk("radix-tree-nodes");
  r.Integer(nodes);
  r.Bulk("last-generated-id");
  r.Bulk(s.meta().last_id.ToString());
  r.Bulk("max-deleted-entry-id");
  r.Bulk(s.meta().max_deleted.ToString());
  r.Bulk("entries-added");
  r.Integer(static_cast<std::int64_t>(s.meta().entries_added));
  r.Bulk("recorded-first-entry-id");
  r.Bulk(s.meta().first_id.ToString());
  return Status::Ok();
}

Status ReplyStreamFull(CommandContext& ctx, StreamKey& s, std::uint64_t count) {
  ReplyBuilder& r = ctx.reply;
  r.MapHeader(9);
  LARDER_RETURN_IF_ERROR(ReplyStreamHead(ctx, s));
  r.Bulk("entries");
  LARDER_ASSIGN_OR_RETURN(std::vector<streams::Entry> entries,
                          s.Range(StreamId{}, streams::kMaxId, count));
  ReplyEntries(r, entries);
  r.Bulk("groups");
  LARDER_ASSIGN_OR_RETURN(auto groups, s.Groups());
  r.ArrayHeader(groups.size());
  for (const auto& [name, g] : groups) {
    r.MapHeader(7);
    r.Bulk("name");
    r.Bulk(name);
    r.Bulk("last-delivered-id");
    r.Bulk(g.last_id.ToString());
    r.Bulk("entries-read");
    ReplyEntriesRead(r, g);
    r.Bulk("lag");
    ReplyLag(r, s, g);
    r.Bulk("pel-count");
    r.Integer(static_cast<std::int64_t>(g.pending));
    r.Bulk("pending");
    LARDER_ASSIGN_OR_RETURN(
        std::vector<streams::PendingEntry> pel,
        s.PendingRange(g.gid, std::nullopt, StreamId{}, streams::kMaxId, count));
    r.ArrayHeader(pel.size());
    for (const streams::PendingEntry& pe : pel) {
      r.ArrayHeader(4);
      r.Bulk(pe.id.ToString());
      r.Bulk(pe.consumer);
      r.Integer(pe.delivery_time);
      r.Integer(static_cast<std::int64_t>(pe.delivery_count));
    }
    r.Bulk("consumers");
    LARDER_ASSIGN_OR_RETURN(std::vector<streams::ConsumerMeta> consumers, s.Consumers(g.gid));
    r.ArrayHeader(consumers.size());
    for (const streams::ConsumerMeta& c : consumers) {
      r.MapHeader(4);
      r.Bulk("name");
      r.Bulk(c.name);
      r.Bulk("seen-time");
      r.Integer(c.seen_time);
      r.Bulk("pel-count");
      r.Integer(static_cast<std::int64_t>(c.pending));
      r.Bulk("pending");
      LARDER_ASSIGN_OR_RETURN(std::vector<streams::PendingEntry> own,
                              s.PendingRange(g.gid, c.name, StreamId{}, streams::kMaxId, count));
      r.ArrayHeader(own.size());
      for (const streams::PendingEntry& pe : own) {
        r.ArrayHeader(3);
        r.Bulk(pe.id.ToString());
        r.Integer(pe.delivery_time);
        r.Integer(static_cast<std::int64_t>(pe.delivery_count));
      }
    }
  }
  return Status::Ok();
}

Status ReplyEdgeEntry(CommandContext& ctx, StreamKey& s, bool first) {
  LARDER_ASSIGN_OR_RETURN(std::vector<streams::Entry> e,
                          s.Range(StreamId{}, streams::kMaxId, 1, /*reverse=*/!first));
  if (e.empty()) {
    ctx.reply.Null();
  } else {
    ReplyEntry(ctx.reply, e[0]);
  }
  return Status::Ok();
}

// Opens argv[2]: "no such key" when absent, WRONGTYPE on another type (nullopt after a reply).
Result<std::optional<StreamKey>> OpenInfoStream(CommandContext& ctx) {
  bool replied = false;
  LARDER_ASSIGN_OR_RETURN(std::optional<StreamKey> s,
                          OpenStream(ctx, ctx.argv[2], Access::kRead, &replied));
  if (!s && !replied) ctx.reply.Error(errors::kNoSuchKey);
  return s;
}

Status XInfoStream(CommandContext& ctx) {
  // The key first, then the options (Redis 7.0's order): [FULL [COUNT n]].
  LARDER_ASSIGN_OR_RETURN(std::optional<StreamKey> s, OpenInfoStream(ctx));
  if (!s) return Status::Ok();
  const std::size_t options = ctx.argv.size() - 3;
  if (options == 0) {
    ctx.reply.MapHeader(10);
    LARDER_RETURN_IF_ERROR(ReplyStreamHead(ctx, *s));
    ctx.reply.Bulk("groups");
    ctx.reply.Integer(static_cast<std::int64_t>(s->meta().groups));
    ctx.reply.Bulk("first-entry");
    LARDER_RETURN_IF_ERROR(ReplyEdgeEntry(ctx, *s, true));
    ctx.reply.Bulk("last-entry");
    return ReplyEdgeEntry(ctx, *s, false);
  }
  std::int64_t count = 10;
  if ((options != 1 && options != 3) || !EqualsIgnoreCase(ctx.argv[3], "full") ||
      (options == 3 && !EqualsIgnoreCase(ctx.argv[4], "count"))) {
    ctx.reply.Error("ERR unknown subcommand or wrong number of arguments for '" +
                    std::string(ctx.argv[1].substr(0, 128)) + "'. Try XINFO HELP.");
    return Status::Ok();
  }
  if (options == 3) {
    std::optional<std::int64_t> n = ParseInt64(ctx.argv[5]);
    if (!n) {
      ctx.reply.Error(errors::kNotInteger);
      return Status::Ok();
    }
    count = *n < 0 ? 10 : *n;
  }
  return ReplyStreamFull(ctx, *s, static_cast<std::uint64_t>(count));
}

Status XInfoGroups(CommandContext& ctx) {
  LARDER_ASSIGN_OR_RETURN(std::optional<StreamKey> s, OpenInfoStream(ctx));
  if (!s) return Status::Ok();
  LARDER_ASSIGN_OR_RETURN(auto groups, s->Groups());
  ReplyBuilder& r = ctx.reply;
  r.ArrayHeader(groups.size());
  for (const auto& [name, g] : groups) {
    r.MapHeader(6);
    r.Bulk("name");
    r.Bulk(name);
    r.Bulk("consumers");
    r.Integer(static_cast<std::int64_t>(g.consumers));
    r.Bulk("pending");
    r.Integer(static_cast<std::int64_t>(g.pending));
    r.Bulk("last-delivered-id");
    r.Bulk(g.last_id.ToString());
    r.Bulk("entries-read");
    ReplyEntriesRead(r, g);
    r.Bulk("lag");
    ReplyLag(r, *s, g);
  }
  return Status::Ok();
}

Status XInfoConsumers(CommandContext& ctx) {
  LARDER_ASSIGN_OR_RETURN(std::optional<StreamKey> s, OpenInfoStream(ctx));
  if (!s) return Status::Ok();
  LARDER_ASSIGN_OR_RETURN(std::optional<GroupMeta> g, s->GetGroup(ctx.argv[3]));
  if (!g) {
    ctx.reply.Error("NOGROUP No such consumer group '" + std::string(ctx.argv[3]) +
                    "' for key name '" + std::string(ctx.argv[2]) + "'");
    return Status::Ok();
  }
  LARDER_ASSIGN_OR_RETURN(std::vector<streams::ConsumerMeta> consumers, s->Consumers(g->gid));
  ReplyBuilder& r = ctx.reply;
  r.ArrayHeader(consumers.size());
  for (const streams::ConsumerMeta& c : consumers) {
    r.MapHeader(3);
    r.Bulk("name");
    r.Bulk(c.name);
    r.Bulk("pending");
    r.Integer(static_cast<std::int64_t>(c.pending));
    r.Bulk("idle");
    r.Integer(std::max<std::int64_t>(0, ctx.now_ms - c.seen_time));
  }
  return Status::Ok();
}

Status XInfoHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CONSUMERS <key> <groupname>",
      "    Show consumers of <groupname>.",
      "GROUPS <key>",
      "    Show the stream consumer groups.",
      "STREAM <key> [FULL [COUNT <count>]",
      "    Show information about the stream.",
      "HELP",
      "    Print this help.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (std::string_view line : kLines) ctx.reply.SimpleString(line);
  return Status::Ok();
}

}  // namespace

void RegisterStreamInfoCommand(CommandTable& table) {
  CommandSpec xinfo = StreamCommandSpec("xinfo", -2, 0, 0, 0, nullptr,
                                        "A container for stream introspection commands", "5.0.0");
  xinfo.subcommands = {
      StreamCommandSpec("stream", -3, kCmdReadOnly, 2, 2, XInfoStream,
                        "Get information about a stream", "5.0.0"),
      StreamCommandSpec("groups", 3, kCmdReadOnly, 2, 2, XInfoGroups,
                        "List the consumer groups of a stream", "5.0.0"),
      StreamCommandSpec("consumers", 4, kCmdReadOnly, 2, 2, XInfoConsumers,
                        "List the consumers in a consumer group", "5.0.0"),
      StreamCommandSpec("help", 2, kCmdLoading | kCmdStale, 0, 0, XInfoHelp,
                        "Show helpful text about the different subcommands", "5.0.0"),
  };
  table.Add(std::move(xinfo));
}

}  // namespace larder::server
