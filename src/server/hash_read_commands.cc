// Hash commands that walk the fields: HGETALL HKEYS HVALS HRANDFIELD HSCAN, with Redis 7.0's
// replies (RESP3 maps for HGETALL, pairs for HRANDFIELD WITHVALUES) and errors.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "server/args.h"
#include "server/key_commands.h"
#include "server/random_members.h"
#include "server/rank_index.h"
#include "server/reply_builder.h"
#include "server/scan.h"

namespace larder::server {
namespace {

enum class Part { kFields, kValues, kBoth };

Status HGetAllGeneric(CommandContext& ctx, Part part) {
  bool replied;
  LARDER_ASSIGN_OR_RETURN(auto info,
                          LookupTyped(ctx, ctx.argv[1], ValueType::kHash, Access::kRead, &replied));
  if (replied) return Status::Ok();
  const std::size_t header =
      part == Part::kBoth ? ctx.reply.BeginDeferredMap() : ctx.reply.BeginDeferredArray();
  std::size_t n = 0;
  if (info) {
    LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it, ctx.db.Members(ctx.argv[1]));
    for (; it->Valid(); it->Next(), ++n) {
      if (part != Part::kValues) ctx.reply.Bulk(it->key());
      if (part != Part::kFields) ctx.reply.Bulk(it->value());
    }
    LARDER_RETURN_IF_ERROR(it->status());  // the dispatcher discards the partial reply
  }
  if (part == Part::kBoth) {
    ctx.reply.EndDeferredMap(header, n);
  } else {
    ctx.reply.EndDeferredArray(header, n);
  }
  return Status::Ok();
}
Status HGetAllCommand(CommandContext& ctx) { return HGetAllGeneric(ctx, Part::kBoth); }
Status HKeysCommand(CommandContext& ctx) { return HGetAllGeneric(ctx, Part::kFields); }
Status HValsCommand(CommandContext& ctx) { return HGetAllGeneric(ctx, Part::kValues); }

std::mt19937_64& Random() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

// The fields at the given positions (0-based, in field order) of the hash: a few positions of a
// big hash through its rank index (rank_index.h: built once, then kept in step by SetMember and
// DeleteMember), else one walk.
Result<std::unordered_map<std::uint64_t, std::pair<std::string, std::string>>> FieldsAt(
    Database& db, std::string_view key, const KeyInfo& info, std::vector<std::uint64_t> positions) {
  std::sort(positions.begin(), positions.end());
  positions.erase(std::unique(positions.begin(), positions.end()), positions.end());
  std::unordered_map<std::uint64_t, std::pair<std::string, std::string>> fields;
  if (db.rank_cache() != nullptr && positions.size() * 4 < info.size) {
    RankIndex ranks(db, info.version, "");
    for (std::uint64_t want : positions) {
      LARDER_ASSIGN_OR_RETURN(std::string field, ranks.EntryAt(want));
      LARDER_ASSIGN_OR_RETURN(std::optional<std::string> value, db.GetRecord(info.version, field));
      if (!value) return Status::Corruption("HRANDFIELD: a ranked field is missing");
      fields.emplace(want, std::pair(std::move(field), std::move(*value)));
    }
    return fields;
  }
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it, db.Members(key));
  std::uint64_t at = 0;
  for (std::uint64_t want : positions) {
    for (; it->Valid() && at < want; ++at) it->Next();
    if (!it->Valid()) break;
    fields.emplace(want, std::pair(std::string(it->key()), std::string(it->value())));
  }
  LARDER_RETURN_IF_ERROR(it->status());
  return fields;
}

void ReplyField(ReplyBuilder& reply, const std::pair<std::string, std::string>& field,
                bool with_values) {
  if (!with_values) {
    reply.Bulk(field.first);
    return;
  }
  if (reply.protocol() == 3) reply.ArrayHeader(2);
  reply.Bulk(field.first);
  reply.Bulk(field.second);
}

// HRANDFIELD key [count [WITHVALUES]]
Status HRandFieldCommand(CommandContext& ctx) {
  const std::optional<RandomCount> args = ParseRandomCount(ctx, "withvalues");
  if (!args) return Status::Ok();
  const bool with_count = args->with_count;
  const std::int64_t count = args->count;
  const bool with_values = args->with_values;
  bool replied;
  LARDER_ASSIGN_OR_RETURN(auto info,
                          LookupTyped(ctx, ctx.argv[1], ValueType::kHash, Access::kRead, &replied));
  if (replied) return Status::Ok();
  if (!info || info->size == 0 || count == 0) {
    if (!with_count) {
      ctx.reply.Null();
    } else {
      ctx.reply.ArrayHeader(0);
    }
    return Status::Ok();
  }
  const std::uint64_t size = info->size;
  const std::vector<std::uint64_t> picks = RandomPositions(size, count, Random());
  LARDER_ASSIGN_OR_RETURN(auto fields, FieldsAt(ctx.db, ctx.argv[1], *info, picks));
  if (!with_count) {
    auto it = fields.find(picks[0]);
    if (it == fields.end())
      return Status::Corruption("HRANDFIELD: the hash is shorter than its size");
    ctx.reply.Bulk(it->second.first);
    return Status::Ok();
  }
  std::size_t n = 0;
  for (std::uint64_t pick : picks) n += fields.count(pick);
  if (with_values && ctx.reply.protocol() != 3) {
    ctx.reply.ArrayHeader(2 * n);
  } else {
    ctx.reply.ArrayHeader(n);
  }
  for (std::uint64_t pick : picks) {
    auto it = fields.find(pick);
    if (it != fields.end()) ReplyField(ctx.reply, it->second, with_values);
  }
  return Status::Ok();
}

// HSCAN key cursor [MATCH pattern] [COUNT count]. A hash Redis would keep as a listpack is
// returned whole in one call, as Redis does (some clients rely on it).
Status HScanCommand(CommandContext& ctx) {
  const std::optional<std::uint64_t> cursor = ParseScanCursorOrReply(ctx, ctx.argv[2]);
  if (!cursor) return Status::Ok();
  bool replied;
  LARDER_ASSIGN_OR_RETURN(auto info,
                          LookupTyped(ctx, ctx.argv[1], ValueType::kHash, Access::kRead, &replied));
  if (replied) return Status::Ok();
  if (!info) {
    ReplyEmptyScan(ctx);
    return Status::Ok();
  }
  ScanOptions options;
  if (!ParseScanOptions(ctx, 3, /*allow_type=*/false, &options)) return Status::Ok();
  ScanCursorTable& table = ScanCursors(ctx);
  const std::string scope = CollectionScanScope("hash", ctx.db.index(), ctx.argv[1]);
  const std::optional<std::string> last = table.Take(*cursor, scope);
  const std::uint64_t limit = info->size <= kHashListpackEntries ? UINT64_MAX : options.count;
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it,
                          ctx.db.Members(ctx.argv[1], ScanStartAfter(last)));
  LARDER_ASSIGN_OR_RETURN(ScanBatch batch, CollectScanBatch(*it, limit));
  it.reset();
  ReplyScanPairs(ctx, table, scope, batch, options.pattern);
  return Status::Ok();
}

}  // namespace

void RegisterHashReadCommands(CommandTable& table) {
  const std::vector<CommandSpec> specs = {
      {"hgetall",
       2,
       kCmdReadOnly,
       1,
       1,
       1,
       HGetAllCommand,
       "hash",
       "Every field and value of a hash",
       "2.0.0",
       {}},
      {"hkeys",
       2,
       kCmdReadOnly,
       1,
       1,
       1,
       HKeysCommand,
       "hash",
       "Every field of a hash",
       "2.0.0",
       {}},
      {"hvals",
       2,
       kCmdReadOnly,
       1,
       1,
       1,
       HValsCommand,
       "hash",
       "Every value of a hash",
       "2.0.0",
       {}},
      {"hrandfield",
       -2,
       kCmdReadOnly,
       1,
       1,
       1,
       HRandFieldCommand,
       "hash",
       "Random fields of a hash",
       "6.2.0",
       {}},
      {"hscan",
       -3,
       kCmdReadOnly,
       1,
       1,
       1,
       HScanCommand,
       "hash",
       "Walk the fields of a hash a few at a time",
       "2.8.0",
       {}},
  };
  for (const CommandSpec& spec : specs) table.Add(spec);
}

}  // namespace larder::server
