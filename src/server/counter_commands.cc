// The counters over string values: INCR DECR INCRBY DECRBY INCRBYFLOAT. A counter keeps the
// key's expiry, as Redis overwrites the value in place.
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "server/args.h"
#include "server/command.h"
#include "server/keyspace.h"
#include "server/reply_builder.h"
#include "server/string_family.h"

namespace larder::server {
namespace {

// Reads argv[1] for a counter: replies WRONGTYPE and returns false for another type. A missing
// key reads as an empty value (`exists` false).
Result<bool> ReadCounter(CommandContext& ctx, StringRead* read) {
  LARDER_ASSIGN_OR_RETURN(*read, ReadString(ctx.db, ctx.argv[1]));
  if (read->state == StringState::kWrongType) {
    ctx.reply.Error(errors::kWrongType);
    return false;
  }
  return true;
}

// Stores the new value over what `read` found and publishes `event` ("incrby" or "incrbyfloat",
// as Redis names them).
Status StoreCounter(CommandContext& ctx, const StringRead& read, std::string_view value,
                    std::string_view event) {
  LARDER_RETURN_IF_ERROR(ctx.db.SetString(ctx.argv[1], value, OverwriteOf(read)));
  NotifyKeyspaceEvent(ctx, kNotifyString, event, ctx.argv[1]);
  return Status::Ok();
}

Status IncrementBy(CommandContext& ctx, std::int64_t incr) {
  StringRead read;
  LARDER_ASSIGN_OR_RETURN(bool ok, ReadCounter(ctx, &read));
  if (!ok) return Status::Ok();
  std::int64_t value = 0;
  if (read.state == StringState::kString) {
    std::optional<std::int64_t> parsed = ParseInt64(read.value);
    if (!parsed) {
      ctx.reply.Error(errors::kNotInteger);
      return Status::Ok();
    }
    value = *parsed;
  }
  std::int64_t result = 0;
  if (__builtin_add_overflow(value, incr, &result)) {
    ctx.reply.Error(errors::kOverflow);
    return Status::Ok();
  }
  LARDER_RETURN_IF_ERROR(StoreCounter(ctx, read, std::to_string(result), "incrby"));
  ctx.reply.Integer(result);
  return Status::Ok();
}

Status Incr(CommandContext& ctx) { return IncrementBy(ctx, 1); }
Status Decr(CommandContext& ctx) { return IncrementBy(ctx, -1); }

Status IncrBy(CommandContext& ctx) {
  std::optional<std::int64_t> incr = ParseInt64(ctx.argv[2]);
  if (!incr) {
    ctx.reply.Error(errors::kNotInteger);
    return Status::Ok();
  }
  return IncrementBy(ctx, *incr);
}

Status DecrBy(CommandContext& ctx) {
  std::optional<std::int64_t> decr = ParseInt64(ctx.argv[2]);
  if (!decr) {
    ctx.reply.Error(errors::kNotInteger);
    return Status::Ok();
  }
  if (*decr == std::numeric_limits<std::int64_t>::min()) {
    ctx.reply.Error("ERR decrement would overflow");
    return Status::Ok();
  }
  return IncrementBy(ctx, -*decr);
}

// INCRBYFLOAT: the type is checked first, then the stored value, then the increment (Redis's
// order); the result is stored and replied in Redis's human-friendly long double format.
Status IncrByFloat(CommandContext& ctx) {
  StringRead read;
  LARDER_ASSIGN_OR_RETURN(bool ok, ReadCounter(ctx, &read));
  if (!ok) return Status::Ok();
  long double value = 0;
  if (read.state == StringState::kString) {
    std::optional<long double> parsed = ParseLongDouble(read.value);
    if (!parsed) {
      ctx.reply.Error(errors::kNotFloat);
      return Status::Ok();
    }
    value = *parsed;
  }
  std::optional<long double> incr = ParseLongDouble(ctx.argv[2]);
  if (!incr) {
    ctx.reply.Error(errors::kNotFloat);
    return Status::Ok();
  }
  value += *incr;
  if (std::isnan(value) || std::isinf(value)) {
    ctx.reply.Error(errors::kNaN);
    return Status::Ok();
  }
  std::string text = FormatLongDouble(value);
  LARDER_RETURN_IF_ERROR(StoreCounter(ctx, read, text, "incrbyfloat"));
  ctx.reply.Bulk(text);
  return Status::Ok();
}

CommandSpec CounterSpec(std::string_view name, int arity, CommandHandler handler,
                        std::string_view summary, std::string_view since) {
  return FamilySpec("string", name, arity, kCmdGrowFast, 1, 1, 1, handler, summary, since);
}

}  // namespace

void RegisterCounterCommands(CommandTable& table) {
  table.Add(CounterSpec("incr", 2, Incr, "Adds one to the integer value of a key", "1.0.0"));
  table.Add(CounterSpec("decr", 2, Decr, "Subtracts one from the integer value of a key", "1.0.0"));
  table.Add(
      CounterSpec("incrby", 3, IncrBy, "Adds an integer to the integer value of a key", "1.0.0"));
  table.Add(CounterSpec("decrby", 3, DecrBy, "Subtracts an integer from the integer value of a key",
                        "1.0.0"));
  table.Add(CounterSpec("incrbyfloat", 3, IncrByFloat,
                        "Adds a floating point number to the numeric value of a key", "2.6.0"));
}

}  // namespace larder::server
