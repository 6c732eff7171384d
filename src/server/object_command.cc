// OBJECT ENCODING | IDLETIME | FREQ | REFCOUNT | HELP. larderd keeps values on disk in one
// encoding, so the answers are what Redis 7.0 would say for the same value under its default
// configuration (docs/server.md lists the rules):
//   - strings: "int" for a canonical 64-bit integer, "embstr" up to 44 bytes, else "raw";
//   - hashes: "listpack" up to 128 fields with every field and value up to 64 bytes, else
//     "hashtable"; lists "quicklist"; sets "intset" (up to 512 integers) or "hashtable";
//     sorted sets "listpack" (as hashes) or "skiplist";
//   - REFCOUNT: 2147483647 for the integers 0..9999 Redis shares, else 1;
//   - FREQ: Redis's error when no LFU policy is set (larderd has no maxmemory policy);
//   - IDLETIME: from KeyAccessTimes (access_times.h), or the keyspace's time if later.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "server/access_times.h"
#include "server/args.h"
#include "server/key_commands.h"
#include "server/reply_builder.h"
#include "server/server_commands.h"
#include "server/zset_store.h"

namespace larder::server {
namespace {

constexpr std::size_t kEmbstrMax = 44;
constexpr std::uint64_t kIntsetEntries = 512;
constexpr std::int64_t kSharedIntegers = 10000;
constexpr std::int64_t kSharedRefcount = 2147483647;

std::string_view StringEncoding(std::string_view value) {
  if (value.size() <= 20 && ParseInt64(value)) return "int";
  return value.size() <= kEmbstrMax ? "embstr" : "raw";
}

// Small collections: whether every member (and value) passes `fits`.
template <typename Fits>
Result<bool> AllMembers(Database& db, std::string_view key, Fits fits) {
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it, db.Members(key));
  for (; it->Valid(); it->Next()) {
    if (!fits(it->key(), it->value())) return false;
  }
  LARDER_RETURN_IF_ERROR(it->status());
  return true;
}

Result<std::string_view> CollectionEncoding(Database& db, std::string_view key,
                                            const KeyInfo& info) {
  const auto small = [](std::string_view member, std::string_view value) {
    return member.size() <= kHashListpackValue && value.size() <= kHashListpackValue;
  };
  switch (info.type) {
    case ValueType::kString:
      return std::string_view("raw");  // not reached: strings are handled by the caller
    case ValueType::kList:
      return std::string_view("quicklist");
    case ValueType::kStream:
      return std::string_view("stream");
    case ValueType::kZSet:
      return ZSetEncodingName(info);  // kept in the key's metadata (zset_store.h)
    case ValueType::kHash: {
      bool listpack = info.size <= kHashListpackEntries;
      if (listpack) {
        LARDER_ASSIGN_OR_RETURN(listpack, AllMembers(db, key, small));
      }
      if (listpack) return std::string_view("listpack");
      return std::string_view("hashtable");
    }
    case ValueType::kSet: {
      bool intset = info.size <= kIntsetEntries;
      if (intset) {
        LARDER_ASSIGN_OR_RETURN(intset,
                                AllMembers(db, key, [](std::string_view m, std::string_view) {
                                  return ParseInt64(m).has_value();
                                }));
      }
      return std::string_view(intset ? "intset" : "hashtable");
    }
  }
  return std::string_view("raw");
}

// OBJECT's and MEMORY USAGE's lookup of argv[2], as Redis's objectCommandLookup: counted in
// keyspace_hits/misses, but a miss is no "keymiss" event.
Result<std::optional<KeyInfo>> ObjectLookup(CommandContext& ctx, std::string* value = nullptr) {
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info, ctx.db.Lookup(ctx.argv[2], value));
  CountLookup(ctx, Access::kRead, info.has_value());
  return info;
}

Status ObjectEncoding(CommandContext& ctx) {
  std::string value;
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info, ObjectLookup(ctx, &value));
  if (!info) {
    ctx.reply.Null();
    return Status::Ok();
  }
  if (info->type == ValueType::kString) {
    ctx.reply.Bulk(StringEncoding(value));
    return Status::Ok();
  }
  LARDER_ASSIGN_OR_RETURN(std::string_view encoding,
                          CollectionEncoding(ctx.db, ctx.argv[2], *info));
  ctx.reply.Bulk(encoding);
  return Status::Ok();
}

Status ObjectIdleTime(CommandContext& ctx) {
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info, ObjectLookup(ctx));
  if (!info) {
    ctx.reply.Null();
    return Status::Ok();
  }
  const std::int64_t last =
      std::max(info->last_access_ms,
               ctx.server.Service<KeyAccessTimes>().LastAccessBound(ctx.db.index(), ctx.argv[2]));
  const std::int64_t idle_ms = std::max<std::int64_t>(0, ctx.now_ms - last);
  ctx.reply.Integer(idle_ms / 1000);
  return Status::Ok();
}

Status ObjectFreq(CommandContext& ctx) {
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info, ObjectLookup(ctx));
  if (!info) {
    ctx.reply.Null();
    return Status::Ok();
  }
  ctx.reply.Error(
      "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
      "that when switching between policies at runtime LRU and LFU data will take some time to "
      "adjust.");
  return Status::Ok();
}

Status ObjectRefCount(CommandContext& ctx) {
  std::string value;
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info, ObjectLookup(ctx, &value));
  if (!info) {
    ctx.reply.Null();
    return Status::Ok();
  }
  std::int64_t refcount = 1;
  if (info->type == ValueType::kString) {
    const std::optional<std::int64_t> v = ParseInt64(value);
    if (v && *v >= 0 && *v < kSharedIntegers) refcount = kSharedRefcount;
  }
  ctx.reply.Integer(refcount);
  return Status::Ok();
}

Status ObjectHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "ENCODING <key>",
      "    The name of the encoding Redis would use for the value of <key>.",
      "FREQ <key>",
      "    The access frequency of <key> (needs an LFU maxmemory policy, which larderd lacks).",
      "IDLETIME <key>",
      "    Seconds since <key> was last read or written.",
      "REFCOUNT <key>",
      "    The reference count Redis would report for the value of <key>.",
  };
  ReplyHelp(ctx.reply, "OBJECT", kLines);
  return Status::Ok();
}

// An estimate of what Redis would use: the key, a record header, and the value (strings) or the
// members' average size, sampled over the first `samples` members (0: all), times their count.
constexpr std::int64_t kRecordOverhead = 16;

Status MemoryUsage(CommandContext& ctx) {
  std::int64_t samples = 5;
  for (std::size_t i = 3; i < ctx.argv.size(); ++i) {
    if (!EqualsIgnoreCase(ctx.argv[i], "samples") || i + 1 >= ctx.argv.size()) {
      ctx.reply.Error(errors::kSyntax);
      return Status::Ok();
    }
    const std::optional<std::int64_t> parsed = ParseInt64(ctx.argv[++i]);
    if (!parsed) {
      ctx.reply.Error(errors::kNotInteger);
      return Status::Ok();
    }
    if (*parsed < 0) {
      ctx.reply.Error(errors::kSyntax);
      return Status::Ok();
    }
    samples = *parsed == 0 ? INT64_MAX : *parsed;
  }
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info, ObjectLookup(ctx));
  if (!info) {
    ctx.reply.Null();
    return Status::Ok();
  }
  std::int64_t usage = 2 * kRecordOverhead + static_cast<std::int64_t>(ctx.argv[2].size());
  if (info->type == ValueType::kString) {
    usage += static_cast<std::int64_t>(info->size);
  } else {
    LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it, ctx.db.Members(ctx.argv[2]));
    std::int64_t seen = 0;
    std::int64_t bytes = 0;
    for (; it->Valid() && seen < samples; it->Next(), ++seen) {
      bytes += kRecordOverhead + static_cast<std::int64_t>(it->key().size() + it->value().size());
    }
    LARDER_RETURN_IF_ERROR(it->status());
    if (seen > 0) usage += bytes / seen * static_cast<std::int64_t>(info->size);
  }
  ctx.reply.Integer(usage);
  return Status::Ok();
}

Status MemoryHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "USAGE <key> [SAMPLES <count>]",
      "    An estimate of the bytes <key> and its value take, sampling <count> members of a",
      "    collection (default 5, 0 for all).",
  };
  ReplyHelp(ctx.reply, "MEMORY", kLines);
  return Status::Ok();
}

}  // namespace

void RegisterObjectCommand(CommandTable& table) {
  // A subcommand on the key in argv[2] (first_key 0: none), counted from its container.
  const auto sub = [](std::string_view name, int arity, std::uint32_t flags, int key,
                      CommandHandler handler, std::string_view group, std::string_view summary,
                      std::string_view since) {
    return CommandSpec{name,    arity, flags,   key,   key, key == 0 ? 0 : 1,
                       handler, group, summary, since, {}};
  };
  constexpr std::uint32_t kRead = kCmdReadOnly;
  constexpr std::uint32_t kHelp = kCmdLoading | kCmdStale;
  CommandSpec object{
      "object", -2, 0, 0, 0, 0, nullptr, "generic", "Inspect how a key's value is stored",
      "2.2.3",  {}};
  object.subcommands = {
      sub("encoding", 3, kRead, 2, ObjectEncoding, "generic", "The encoding of a key's value",
          "2.2.3"),
      sub("freq", 3, kRead, 2, ObjectFreq, "generic", "The logarithmic access frequency of a key",
          "4.0.0"),
      sub("idletime", 3, kRead, 2, ObjectIdleTime, "generic",
          "Seconds since a key was last accessed", "2.2.3"),
      sub("refcount", 3, kRead, 2, ObjectRefCount, "generic",
          "The reference count of a key's value", "2.2.3"),
      sub("help", 2, kHelp, 0, ObjectHelp, "generic", "Show OBJECT's subcommands", "6.2.0"),
  };
  table.Add(std::move(object));
  // MEMORY USAGE (the Redis test suite measures keys with it); DOCTOR, STATS, PURGE and
  // MALLOC-STATS are not implemented.
  CommandSpec memory{"memory", -2, 0, 0, 0, 0, nullptr, "server", "Memory introspection",
                     "4.0.0",  {}};
  memory.subcommands = {
      sub("usage", -3, kRead, 2, MemoryUsage, "server",
          "Estimate the memory a key and its value take", "4.0.0"),
      sub("help", 2, kHelp, 0, MemoryHelp, "server", "Show MEMORY's subcommands", "4.0.0"),
  };
  table.Add(std::move(memory));
}

}  // namespace larder::server
