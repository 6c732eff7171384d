// Hash commands, field at a time: HSET HMSET HSETNX HGET HMGET HDEL HLEN HSTRLEN HEXISTS HINCRBY
// HINCRBYFLOAT (whole-hash reads, HRANDFIELD and HSCAN: hash_read_commands.cc), with Redis 7.0's
// replies and errors. Fields live as members of the key (Database::SetMember...), so a command
// touches only the fields it names.
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "server/args.h"
#include "server/key_commands.h"
#include "server/keyspace_events.h"
#include "server/reply_builder.h"

namespace larder::server {
namespace {

// HSET key field value [field value ...] and HMSET (which replies OK).
Status HSetGeneric(CommandContext& ctx, bool hmset) {
  if (ctx.argv.size() % 2 != 0) {
    ctx.reply.Error(WrongArityError(hmset ? "hmset" : "hset"));
    return Status::Ok();
  }
  bool replied;
  LARDER_ASSIGN_OR_RETURN(
      auto info, LookupTyped(ctx, ctx.argv[1], ValueType::kHash, Access::kWrite, &replied));
  (void)info;
  if (replied) return Status::Ok();
  std::int64_t created = 0;
  for (std::size_t i = 2; i < ctx.argv.size(); i += 2) {
    LARDER_ASSIGN_OR_RETURN(
        bool added, ctx.db.SetMember(ctx.argv[1], ValueType::kHash, ctx.argv[i], ctx.argv[i + 1]));
    created += added ? 1 : 0;
  }
  NotifyKeyspaceEvent(ctx, kNotifyHash, "hset", ctx.argv[1]);
  if (hmset) {
    ctx.reply.Ok();
  } else {
    ctx.reply.Integer(created);
  }
  return Status::Ok();
}
Status HSetCommand(CommandContext& ctx) { return HSetGeneric(ctx, false); }
Status HMSetCommand(CommandContext& ctx) { return HSetGeneric(ctx, true); }

// The field's value when the key is a hash; replied is set on WRONGTYPE.
Result<std::optional<std::string>> GetField(CommandContext& ctx, std::string_view field,
                                            Access access, bool* replied) {
  LARDER_ASSIGN_OR_RETURN(auto info,
                          LookupTyped(ctx, ctx.argv[1], ValueType::kHash, access, replied));
  if (*replied || !info) return std::optional<std::string>();
  return ctx.db.GetMember(ctx.argv[1], field);
}

Status HSetNxCommand(CommandContext& ctx) {
  bool replied;
  LARDER_ASSIGN_OR_RETURN(auto value, GetField(ctx, ctx.argv[2], Access::kWrite, &replied));
  if (replied) return Status::Ok();
  if (value) {
    ctx.reply.Integer(0);
    return Status::Ok();
  }
  LARDER_ASSIGN_OR_RETURN(
      bool added, ctx.db.SetMember(ctx.argv[1], ValueType::kHash, ctx.argv[2], ctx.argv[3]));
  NotifyKeyspaceEvent(ctx, kNotifyHash, "hset", ctx.argv[1]);
  ctx.reply.Integer(added ? 1 : 0);
  return Status::Ok();
}

Status HGetCommand(CommandContext& ctx) {
  bool replied;
  LARDER_ASSIGN_OR_RETURN(auto value, GetField(ctx, ctx.argv[2], Access::kRead, &replied));
  if (replied) return Status::Ok();
  if (value) {
    ctx.reply.Bulk(*value);
  } else {
    ctx.reply.Null();
  }
  return Status::Ok();
}

Status HMGetCommand(CommandContext& ctx) {
  bool replied;
  LARDER_ASSIGN_OR_RETURN(auto info,
                          LookupTyped(ctx, ctx.argv[1], ValueType::kHash, Access::kRead, &replied));
  if (replied) return Status::Ok();
  std::vector<std::optional<std::string>> values;
  for (std::size_t i = 2; i < ctx.argv.size(); ++i) {
    if (!info) {
      values.emplace_back();
      continue;
    }
    LARDER_ASSIGN_OR_RETURN(std::optional<std::string> value,
                            ctx.db.GetMember(ctx.argv[1], ctx.argv[i]));
    values.push_back(std::move(value));
  }
  ctx.reply.ArrayHeader(values.size());
  for (const auto& value : values) {
    if (value) {
      ctx.reply.Bulk(*value);
    } else {
      ctx.reply.Null();
    }
  }
  return Status::Ok();
}

Status HDelCommand(CommandContext& ctx) {
  bool replied;
  LARDER_ASSIGN_OR_RETURN(
      auto info, LookupTyped(ctx, ctx.argv[1], ValueType::kHash, Access::kWrite, &replied));
  if (replied) return Status::Ok();
  std::int64_t deleted = 0;
  for (std::size_t i = 2; info && i < ctx.argv.size(); ++i) {
    LARDER_ASSIGN_OR_RETURN(bool existed, ctx.db.DeleteMember(ctx.argv[1], ctx.argv[i]));
    deleted += existed ? 1 : 0;
  }
  if (deleted > 0) {
    NotifyKeyspaceEvent(ctx, kNotifyHash, "hdel", ctx.argv[1]);
    // The last field gone: the key is gone too.
    if (static_cast<std::uint64_t>(deleted) == info->size) {
      NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", ctx.argv[1]);
    }
  }
  ctx.reply.Integer(deleted);
  return Status::Ok();
}

Status HLenCommand(CommandContext& ctx) {
  bool replied;
  LARDER_ASSIGN_OR_RETURN(auto info,
                          LookupTyped(ctx, ctx.argv[1], ValueType::kHash, Access::kRead, &replied));
  if (replied) return Status::Ok();
  ctx.reply.Integer(info ? static_cast<std::int64_t>(info->size) : 0);
  return Status::Ok();
}

Status HStrLenCommand(CommandContext& ctx) {
  bool replied;
  LARDER_ASSIGN_OR_RETURN(auto value, GetField(ctx, ctx.argv[2], Access::kRead, &replied));
  if (replied) return Status::Ok();
  ctx.reply.Integer(value ? static_cast<std::int64_t>(value->size()) : 0);
  return Status::Ok();
}

Status HExistsCommand(CommandContext& ctx) {
  bool replied;
  LARDER_ASSIGN_OR_RETURN(auto value, GetField(ctx, ctx.argv[2], Access::kRead, &replied));
  if (replied) return Status::Ok();
  ctx.reply.Integer(value ? 1 : 0);
  return Status::Ok();
}

Status HIncrByCommand(CommandContext& ctx) {
  const std::optional<std::int64_t> incr = ParseInt64(ctx.argv[3]);
  if (!incr) {
    ctx.reply.Error(errors::kNotInteger);
    return Status::Ok();
  }
  bool replied;
  LARDER_ASSIGN_OR_RETURN(auto value, GetField(ctx, ctx.argv[2], Access::kWrite, &replied));
  if (replied) return Status::Ok();
  std::int64_t current = 0;
  if (value) {
    const std::optional<std::int64_t> parsed = ParseInt64(*value);
    if (!parsed) {
      ctx.reply.Error("ERR hash value is not an integer");
      return Status::Ok();
    }
    current = *parsed;
  }
  std::int64_t result;
  if (__builtin_add_overflow(current, *incr, &result)) {
    ctx.reply.Error(errors::kOverflow);
    return Status::Ok();
  }
  LARDER_ASSIGN_OR_RETURN(bool added, ctx.db.SetMember(ctx.argv[1], ValueType::kHash, ctx.argv[2],
                                                       std::to_string(result)));
  (void)added;
  NotifyKeyspaceEvent(ctx, kNotifyHash, "hincrby", ctx.argv[1]);
  ctx.reply.Integer(result);
  return Status::Ok();
}

Status HIncrByFloatCommand(CommandContext& ctx) {
  const std::optional<long double> incr = ParseLongDouble(ctx.argv[3]);
  if (!incr) {
    ctx.reply.Error(errors::kNotFloat);
    return Status::Ok();
  }
  if (std::isnan(*incr) || std::isinf(*incr)) {
    ctx.reply.Error("ERR value is NaN or Infinity");
    return Status::Ok();
  }
  bool replied;
  LARDER_ASSIGN_OR_RETURN(auto value, GetField(ctx, ctx.argv[2], Access::kWrite, &replied));
  if (replied) return Status::Ok();
  long double current = 0;
  if (value) {
    const std::optional<long double> parsed = ParseLongDouble(*value);
    if (!parsed) {
      ctx.reply.Error("ERR hash value is not a float");
      return Status::Ok();
    }
    current = *parsed;
  }
  const long double result = current + *incr;
  if (std::isnan(result) || std::isinf(result)) {
    ctx.reply.Error(errors::kNaN);
    return Status::Ok();
  }
  const std::string text = FormatLongDouble(result);
  LARDER_ASSIGN_OR_RETURN(bool added,
                          ctx.db.SetMember(ctx.argv[1], ValueType::kHash, ctx.argv[2], text));
  (void)added;
  NotifyKeyspaceEvent(ctx, kNotifyHash, "hincrbyfloat", ctx.argv[1]);
  ctx.reply.Bulk(text);
  return Status::Ok();
}

}  // namespace

void RegisterHashCommands(CommandTable& table) {
  const std::vector<CommandSpec> specs = {
      {"hset",
       -4,
       kCmdGrowFast,
       1,
       1,
       1,
       HSetCommand,
       "hash",
       "Set fields of a hash; count the new ones",
       "2.0.0",
       {}},
      {"hmset",
       -4,
       kCmdGrowFast,
       1,
       1,
       1,
       HMSetCommand,
       "hash",
       "Set fields of a hash (deprecated: HSET)",
       "2.0.0",
       {}},
      {"hsetnx",
       4,
       kCmdGrowFast,
       1,
       1,
       1,
       HSetNxCommand,
       "hash",
       "Set a hash field only when it is absent",
       "2.0.0",
       {}},
      {"hget",
       3,
       kCmdReadFast,
       1,
       1,
       1,
       HGetCommand,
       "hash",
       "The value of a hash field",
       "2.0.0",
       {}},
      {"hmget",
       -3,
       kCmdReadFast,
       1,
       1,
       1,
       HMGetCommand,
       "hash",
       "The values of hash fields",
       "2.0.0",
       {}},
      {"hdel",
       -3,
       kCmdWriteFast,
       1,
       1,
       1,
       HDelCommand,
       "hash",
       "Delete hash fields; count the deleted ones",
       "2.0.0",
       {}},
      {"hlen",
       2,
       kCmdReadFast,
       1,
       1,
       1,
       HLenCommand,
       "hash",
       "The number of fields of a hash",
       "2.0.0",
       {}},
      {"hstrlen",
       3,
       kCmdReadFast,
       1,
       1,
       1,
       HStrLenCommand,
       "hash",
       "The length of a hash field's value",
       "3.2.0",
       {}},
      {"hexists",
       3,
       kCmdReadFast,
       1,
       1,
       1,
       HExistsCommand,
       "hash",
       "Whether a hash field exists",
       "2.0.0",
       {}},
      {"hincrby",
       4,
       kCmdGrowFast,
       1,
       1,
       1,
       HIncrByCommand,
       "hash",
       "Add an integer to a hash field",
       "2.0.0",
       {}},
      {"hincrbyfloat",
       4,
       kCmdGrowFast,
       1,
       1,
       1,
       HIncrByFloatCommand,
       "hash",
       "Add a floating point number to a hash field",
       "2.6.0",
       {}},
  };
  for (const CommandSpec& spec : specs) table.Add(spec);
  RegisterHashReadCommands(table);
}

}  // namespace larder::server
