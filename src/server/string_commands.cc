// The string commands of Redis 7.0 except the counters (counter_commands.cc) and LCS (lcs.cc):
// SET GET GETEX GETDEL GETSET SETNX SETEX PSETEX MGET MSET MSETNX APPEND STRLEN GETRANGE SUBSTR
// SETRANGE. Replies, errors and the order in which arguments are checked follow Redis 7.0.15
// (checked against Debian's redis-server), so a client sees the same error first.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "server/args.h"
#include "server/command.h"
#include "server/keyspace.h"
#include "server/keyspace_events.h"
#include "server/reply_builder.h"
#include "server/string_family.h"

namespace larder::server {
namespace {

// Options of SET (and the subset GETEX takes), as bits.
enum ExpireOption : unsigned {
  kOptNx = 1u << 0,
  kOptXx = 1u << 1,
  kOptGet = 1u << 2,
  kOptKeepTtl = 1u << 3,
  kOptPersist = 1u << 4,
  kOptEx = 1u << 5,
  kOptPx = 1u << 6,
  kOptExAt = 1u << 7,
  kOptPxAt = 1u << 8,
  kOptIfEq = 1u << 9,   // Redis 8.4: set only when the current value equals `compare`
  kOptIfNe = 1u << 10,  // Redis 8.4: set unless the current value equals `compare`
};
constexpr unsigned kOptAnyCondition = kOptNx | kOptXx | kOptIfEq | kOptIfNe;
constexpr unsigned kOptAnyExpire = kOptEx | kOptPx | kOptExAt | kOptPxAt;

struct ExpireOptions {
  unsigned flags = 0;
  std::string_view expire;   // the EX/PX/EXAT/PXAT argument when one of them is set
  std::string_view compare;  // the IFEQ/IFNE argument when one of them is set
};

unsigned ExpireUnitOption(std::string_view opt) {
  if (EqualsIgnoreCase(opt, "ex")) return kOptEx;
  if (EqualsIgnoreCase(opt, "px")) return kOptPx;
  if (EqualsIgnoreCase(opt, "exat")) return kOptExAt;
  if (EqualsIgnoreCase(opt, "pxat")) return kOptPxAt;
  return 0;
}

// Parses argv[first..] as SET's options (for_set) or GETEX's. nullopt on a syntax error: an
// unknown option, a missing expire argument, or a conflict (NX with XX; KEEPTTL or PERSIST with
// an expire; two different expire units). Repeating the same option is allowed, as in Redis.
std::optional<ExpireOptions> ParseExpireOptions(std::span<const std::string_view> argv,
                                                std::size_t first, bool for_set) {
  ExpireOptions out;
  for (std::size_t j = first; j < argv.size(); ++j) {
    std::string_view opt = argv[j];
    unsigned& f = out.flags;
    if (for_set && EqualsIgnoreCase(opt, "nx") && !(f & (kOptAnyCondition & ~kOptNx))) {
      f |= kOptNx;
    } else if (for_set && EqualsIgnoreCase(opt, "xx") && !(f & (kOptAnyCondition & ~kOptXx))) {
      f |= kOptXx;
    } else if (unsigned cond = !for_set                        ? 0u
                               : EqualsIgnoreCase(opt, "ifeq") ? kOptIfEq
                               : EqualsIgnoreCase(opt, "ifne") ? kOptIfNe
                                                               : 0u;
               cond != 0 && !(f & (kOptAnyCondition & ~cond)) && j + 1 < argv.size()) {
      f |= cond;
      out.compare = argv[++j];
    } else if (for_set && EqualsIgnoreCase(opt, "get")) {
      f |= kOptGet;
    } else if (for_set && EqualsIgnoreCase(opt, "keepttl") &&
               !(f & (kOptAnyExpire | kOptPersist))) {
      f |= kOptKeepTtl;
    } else if (!for_set && EqualsIgnoreCase(opt, "persist") &&
               !(f & (kOptAnyExpire | kOptKeepTtl))) {
      f |= kOptPersist;
    } else if (unsigned unit = ExpireUnitOption(opt);
               unit != 0 && !(f & (kOptKeepTtl | kOptPersist | (kOptAnyExpire & ~unit))) &&
               j + 1 < argv.size()) {
      f |= unit;
      out.expire = argv[++j];
    } else {
      return std::nullopt;
    }
  }
  return out;
}

// Turns an EX/PX/EXAT/PXAT argument into an absolute unix-ms time, or replies the error Redis
// gives (not an integer; "invalid expire time in '<command>' command" for a value <= 0 or one
// that overflows) and returns nullopt.
std::optional<std::int64_t> ResolveExpire(CommandContext& ctx, unsigned unit, std::string_view text,
                                          std::string_view command) {
  std::optional<std::int64_t> value = ParseInt64(text);
  if (!value) {
    ctx.reply.Error(errors::kNotInteger);
    return std::nullopt;
  }
  std::int64_t ms = *value;
  bool seconds = (unit & (kOptEx | kOptExAt)) != 0;
  bool relative = (unit & (kOptEx | kOptPx)) != 0;
  if (ms <= 0 || (seconds && ms > std::numeric_limits<std::int64_t>::max() / 1000)) {
    ctx.reply.Error(InvalidExpireError(command));
    return std::nullopt;
  }
  if (seconds) ms *= 1000;
  if (relative && __builtin_add_overflow(ms, ctx.now_ms, &ms)) {
    ctx.reply.Error(InvalidExpireError(command));
    return std::nullopt;
  }
  return ms;
}

// Stores a string and publishes Redis's events for it: "set", then "expire" when it has an
// expiry. An expiry already in the past is stored as it is, as Redis does: the key is invisible
// from now on and its "expired" event comes when it is met or reclaimed.
Status StoreString(CommandContext& ctx, std::string_view key, std::string_view value,
                   const SetStringOptions& options) {
  LARDER_RETURN_IF_ERROR(ctx.db.SetString(key, value, options));
  NotifyKeyspaceEvent(ctx, kNotifyString, "set", key);
  if (options.expire_at_ms != 0) NotifyKeyspaceEvent(ctx, kNotifyGeneric, "expire", key);
  return Status::Ok();
}

void ReplyValue(CommandContext& ctx, const StringRead& read) {
  if (read.state == StringState::kString) {
    ctx.reply.Bulk(read.value);
  } else {
    ctx.reply.Null();
  }
}

Status Set(CommandContext& ctx) {
  std::optional<ExpireOptions> opts = ParseExpireOptions(ctx.argv, 3, /*for_set=*/true);
  if (!opts) {
    ctx.reply.Error(errors::kSyntax);
    return Status::Ok();
  }
  SetStringOptions store;
  store.keep_ttl = (opts->flags & kOptKeepTtl) != 0;
  if (unsigned unit = opts->flags & kOptAnyExpire; unit != 0) {
    std::optional<std::int64_t> at = ResolveExpire(ctx, unit, opts->expire, "set");
    if (!at) return Status::Ok();
    store.expire_at_ms = *at;
  }
  std::string_view key = ctx.argv[1];
  bool get = (opts->flags & kOptGet) != 0;
  StringRead old;
  if (get) {
    LARDER_ASSIGN_OR_RETURN(old, ReadStringCounted(ctx, key));
    if (old.state == StringState::kWrongType) {
      ctx.reply.Error(errors::kWrongType);
      return Status::Ok();
    }
  } else if (opts->flags & (kOptIfEq | kOptIfNe)) {
    LARDER_ASSIGN_OR_RETURN(old, ReadStringCounted(ctx, key));
  } else if (opts->flags & (kOptNx | kOptXx)) {
    LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info, ctx.db.Lookup(key));
    old.state = info ? StringState::kString : StringState::kMissing;  // existence only
  }
  if ((opts->flags & (kOptIfEq | kOptIfNe)) && old.state == StringState::kWrongType) {
    ctx.reply.Error(errors::kWrongType);  // Redis 8.4: the conditions compare strings only
    return Status::Ok();
  }
  bool found = old.state != StringState::kMissing;
  const bool equal = found && old.value == opts->compare;
  if (((opts->flags & kOptNx) && found) || ((opts->flags & kOptXx) && !found) ||
      ((opts->flags & kOptIfEq) && !equal) || ((opts->flags & kOptIfNe) && equal)) {
    if (get) {
      ReplyValue(ctx, old);
    } else {
      ctx.reply.Null();
    }
    return Status::Ok();
  }
  LARDER_RETURN_IF_ERROR(StoreString(ctx, key, ctx.argv[2], store));
  if (get) {
    ReplyValue(ctx, old);
  } else {
    ctx.reply.Ok();
  }
  return Status::Ok();
}

// Reads argv[1] as a string; replies null (missing) or WRONGTYPE and returns nullopt unless it
// is a string.
Result<std::optional<StringRead>> ReadExistingString(CommandContext& ctx) {
  LARDER_ASSIGN_OR_RETURN(StringRead read, ReadStringCounted(ctx, ctx.argv[1]));
  if (read.state == StringState::kMissing) {
    ctx.reply.Null();
    return std::optional<StringRead>();
  }
  if (read.state == StringState::kWrongType) {
    ctx.reply.Error(errors::kWrongType);
    return std::optional<StringRead>();
  }
  return std::optional<StringRead>(std::move(read));
}

Status Get(CommandContext& ctx) {
  LARDER_ASSIGN_OR_RETURN(std::optional<StringRead> read, ReadExistingString(ctx));
  if (read) ctx.reply.Bulk(read->value);
  return Status::Ok();
}

// GETEX: options are checked first, then the key (missing: null before the expire argument is
// even parsed, as Redis 7.0), then the expire argument.
Status GetEx(CommandContext& ctx) {
  std::optional<ExpireOptions> opts = ParseExpireOptions(ctx.argv, 2, /*for_set=*/false);
  if (!opts) {
    ctx.reply.Error(errors::kSyntax);
    return Status::Ok();
  }
  LARDER_ASSIGN_OR_RETURN(std::optional<StringRead> read, ReadExistingString(ctx));
  if (!read) return Status::Ok();
  std::string_view key = ctx.argv[1];
  if (unsigned unit = opts->flags & kOptAnyExpire; unit != 0) {
    std::optional<std::int64_t> at = ResolveExpire(ctx, unit, opts->expire, "getex");
    if (!at) return Status::Ok();
    if (*at <= ctx.now_ms) {
      LARDER_RETURN_IF_ERROR(ctx.db.Delete(key).status());
      NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", key);
    } else {
      LARDER_RETURN_IF_ERROR(ctx.db.SetExpire(key, *at).status());
      NotifyKeyspaceEvent(ctx, kNotifyGeneric, "expire", key);
    }
  } else if ((opts->flags & kOptPersist) && read->expire_at_ms != 0) {
    LARDER_RETURN_IF_ERROR(ctx.db.SetExpire(key, 0).status());
    NotifyKeyspaceEvent(ctx, kNotifyGeneric, "persist", key);
  }
  ctx.reply.Bulk(read->value);
  return Status::Ok();
}

Status GetDel(CommandContext& ctx) {
  LARDER_ASSIGN_OR_RETURN(std::optional<StringRead> read, ReadExistingString(ctx));
  if (!read) return Status::Ok();
  LARDER_RETURN_IF_ERROR(ctx.db.Delete(ctx.argv[1]).status());
  NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", ctx.argv[1]);
  ctx.reply.Bulk(read->value);
  return Status::Ok();
}

// DELEX key [IFEQ value | IFNE value] (Redis 8.4): deletes the key, with a condition only when
// it is a string whose value equals (IFEQ) or differs from (IFNE) the one given. 1 when deleted.
Status DelEx(CommandContext& ctx) {
  std::string_view key = ctx.argv[1];
  const bool ifeq = ctx.argv.size() == 4 && EqualsIgnoreCase(ctx.argv[2], "ifeq");
  const bool ifne = ctx.argv.size() == 4 && EqualsIgnoreCase(ctx.argv[2], "ifne");
  if (ctx.argv.size() != 2 && !ifeq && !ifne) {
    ctx.reply.Error(errors::kSyntax);
    return Status::Ok();
  }
  bool remove = true;
  if (ifeq || ifne) {
    LARDER_ASSIGN_OR_RETURN(StringRead read, ReadStringCounted(ctx, key));
    if (read.state == StringState::kWrongType) {
      ctx.reply.Error(errors::kWrongType);
      return Status::Ok();
    }
    const bool equal = read.state == StringState::kString && read.value == ctx.argv[3];
    remove = read.state == StringState::kString && equal == ifeq;
  }
  bool deleted = false;
  if (remove) {
    LARDER_ASSIGN_OR_RETURN(deleted, ctx.db.Delete(key));
  }
  if (deleted) NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", key);
  ctx.reply.Integer(deleted ? 1 : 0);
  return Status::Ok();
}

Status GetSet(CommandContext& ctx) {
  LARDER_ASSIGN_OR_RETURN(StringRead old, ReadStringCounted(ctx, ctx.argv[1]));
  if (old.state == StringState::kWrongType) {
    ctx.reply.Error(errors::kWrongType);
    return Status::Ok();
  }
  LARDER_RETURN_IF_ERROR(StoreString(ctx, ctx.argv[1], ctx.argv[2], {}));
  ReplyValue(ctx, old);
  return Status::Ok();
}

// SETNX: any existing key (of any type) blocks the write.
Status SetNx(CommandContext& ctx) {
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info, ctx.db.Lookup(ctx.argv[1]));
  if (info) {
    ctx.reply.Integer(0);
    return Status::Ok();
  }
  LARDER_RETURN_IF_ERROR(StoreString(ctx, ctx.argv[1], ctx.argv[2], {}));
  ctx.reply.Integer(1);
  return Status::Ok();
}

Status SetWithExpire(CommandContext& ctx, unsigned unit, std::string_view command) {
  std::optional<std::int64_t> at = ResolveExpire(ctx, unit, ctx.argv[2], command);
  if (!at) return Status::Ok();
  SetStringOptions store;
  store.expire_at_ms = *at;
  LARDER_RETURN_IF_ERROR(StoreString(ctx, ctx.argv[1], ctx.argv[3], store));
  ctx.reply.Ok();
  return Status::Ok();
}

Status SetEx(CommandContext& ctx) { return SetWithExpire(ctx, kOptEx, "setex"); }
Status PSetEx(CommandContext& ctx) { return SetWithExpire(ctx, kOptPx, "psetex"); }

Status MGet(CommandContext& ctx) {
  ctx.reply.ArrayHeader(ctx.argv.size() - 1);
  for (std::size_t i = 1; i < ctx.argv.size(); ++i) {
    LARDER_ASSIGN_OR_RETURN(StringRead read, ReadStringCounted(ctx, ctx.argv[i]));
    ReplyValue(ctx, read);  // a key of another type reads as null
  }
  return Status::Ok();
}

Status SetPairs(CommandContext& ctx) {
  for (std::size_t i = 1; i + 1 < ctx.argv.size(); i += 2) {
    LARDER_RETURN_IF_ERROR(StoreString(ctx, ctx.argv[i], ctx.argv[i + 1], {}));
  }
  return Status::Ok();
}

Status MSet(CommandContext& ctx) {
  if (ctx.argv.size() % 2 == 0) {
    ctx.reply.Error(WrongArityError("mset"));
    return Status::Ok();
  }
  LARDER_RETURN_IF_ERROR(SetPairs(ctx));
  ctx.reply.Ok();
  return Status::Ok();
}

Status MSetNx(CommandContext& ctx) {
  if (ctx.argv.size() % 2 == 0) {
    ctx.reply.Error(WrongArityError("msetnx"));
    return Status::Ok();
  }
  for (std::size_t i = 1; i < ctx.argv.size(); i += 2) {
    LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info, ctx.db.Lookup(ctx.argv[i]));
    if (info) {
      ctx.reply.Integer(0);
      return Status::Ok();
    }
  }
  LARDER_RETURN_IF_ERROR(SetPairs(ctx));
  ctx.reply.Integer(1);
  return Status::Ok();
}

Status Append(CommandContext& ctx) {
  LARDER_ASSIGN_OR_RETURN(StringRead read, ReadString(ctx.db, ctx.argv[1]));
  std::string_view suffix = ctx.argv[2];
  if (read.state == StringState::kWrongType) {
    ctx.reply.Error(errors::kWrongType);
    return Status::Ok();
  }
  if (read.state == StringState::kString &&
      !StringLengthOk(ctx, read.value.size(), suffix.size())) {
    ctx.reply.Error(errors::kStringTooLong);
    return Status::Ok();
  }
  read.value.append(suffix);
  LARDER_RETURN_IF_ERROR(ctx.db.SetString(ctx.argv[1], read.value, OverwriteOf(read)));
  NotifyKeyspaceEvent(ctx, kNotifyString, "append", ctx.argv[1]);
  ctx.reply.Integer(static_cast<std::int64_t>(read.value.size()));
  return Status::Ok();
}

Status StrLen(CommandContext& ctx) {
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info, ctx.db.Lookup(ctx.argv[1]));
  CountRead(ctx, ctx.argv[1], info.has_value());
  if (info && info->type != ValueType::kString) {
    ctx.reply.Error(errors::kWrongType);
    return Status::Ok();
  }
  ctx.reply.Integer(info ? static_cast<std::int64_t>(info->size) : 0);
  return Status::Ok();
}

// GETRANGE and SUBSTR: inclusive [start, end], negative indexes from the end, clamped.
Status GetRange(CommandContext& ctx) {
  std::optional<std::int64_t> start = ParseInt64(ctx.argv[2]);
  std::optional<std::int64_t> end = start ? ParseInt64(ctx.argv[3]) : std::nullopt;
  if (!end) {
    ctx.reply.Error(errors::kNotInteger);
    return Status::Ok();
  }
  LARDER_ASSIGN_OR_RETURN(StringRead read, ReadStringCounted(ctx, ctx.argv[1]));
  if (read.state == StringState::kWrongType) {
    ctx.reply.Error(errors::kWrongType);
    return Status::Ok();
  }
  auto len = static_cast<std::int64_t>(read.value.size());
  std::int64_t s = *start;
  std::int64_t e = *end;
  if (s < 0 && e < 0 && s > e) {
    ctx.reply.Bulk("");
    return Status::Ok();
  }
  if (s < 0) s = std::max<std::int64_t>(0, len + s);
  if (e < 0) e = std::max<std::int64_t>(0, len + e);
  if (e >= len) e = len - 1;
  if (len == 0 || s > e) {
    ctx.reply.Bulk("");
  } else {
    ctx.reply.Bulk(std::string_view(read.value)
                       .substr(static_cast<std::size_t>(s), static_cast<std::size_t>(e - s + 1)));
  }
  return Status::Ok();
}

// SETRANGE: writes value at offset, zero-padding a shorter string; an empty value changes
// nothing (and creates no key).
Status SetRange(CommandContext& ctx) {
  std::optional<std::int64_t> offset = ParseInt64(ctx.argv[2]);
  if (!offset) {
    ctx.reply.Error(errors::kNotInteger);
    return Status::Ok();
  }
  if (*offset < 0) {
    ctx.reply.Error("ERR offset is out of range");
    return Status::Ok();
  }
  std::string_view value = ctx.argv[3];
  LARDER_ASSIGN_OR_RETURN(StringRead read, ReadString(ctx.db, ctx.argv[1]));
  if (read.state == StringState::kWrongType) {
    ctx.reply.Error(errors::kWrongType);
    return Status::Ok();
  }
  if (value.empty()) {
    ctx.reply.Integer(static_cast<std::int64_t>(read.value.size()));
    return Status::Ok();
  }
  auto at = static_cast<std::uint64_t>(*offset);
  if (!StringLengthOk(ctx, at, value.size())) {
    ctx.reply.Error(errors::kStringTooLong);
    return Status::Ok();
  }
  if (read.value.size() < at + value.size()) read.value.resize(at + value.size(), '\0');
  read.value.replace(at, value.size(), value);
  LARDER_RETURN_IF_ERROR(ctx.db.SetString(ctx.argv[1], read.value, OverwriteOf(read)));
  NotifyKeyspaceEvent(ctx, kNotifyString, "setrange", ctx.argv[1]);
  ctx.reply.Integer(static_cast<std::int64_t>(read.value.size()));
  return Status::Ok();
}

CommandSpec StringSpec(std::string_view name, int arity, std::uint32_t flags, int first_key,
                       int last_key, int key_step, CommandHandler handler, std::string_view summary,
                       std::string_view since) {
  return FamilySpec("string", name, arity, flags, first_key, last_key, key_step, handler, summary,
                    since);
}

}  // namespace

void RegisterStringCommands(CommandTable& table) {
  constexpr std::uint32_t kW = kCmdWrite;
  constexpr std::uint32_t kR = kCmdReadOnly;
  constexpr std::uint32_t kF = kCmdFast;
  constexpr std::uint32_t kM = kCmdDenyOom;
  table.Add(StringSpec("set", -3, kW | kM, 1, 1, 1, Set,
                       "Sets a key's string value, with optional expiry and conditions", "1.0.0"));
  table.Add(StringSpec("get", 2, kR | kF, 1, 1, 1, Get, "Returns a key's string value", "1.0.0"));
  table.Add(StringSpec("getex", -2, kW | kF, 1, 1, 1, GetEx,
                       "Returns a string value and changes or removes its expiry", "6.2.0"));
  table.Add(StringSpec("getdel", 2, kW | kF, 1, 1, 1, GetDel,
                       "Returns a string value and deletes the key", "6.2.0"));
  table.Add(StringSpec("delex", -2, kW | kF, 1, 1, 1, DelEx,
                       "Deletes a key, optionally only when its string value matches", "8.4.0"));
  table.Add(StringSpec("getset", 3, kW | kM | kF, 1, 1, 1, GetSet,
                       "Sets a string value and returns the previous one", "1.0.0"));
  table.Add(StringSpec("setnx", 3, kW | kM | kF, 1, 1, 1, SetNx,
                       "Sets a string value only when the key does not exist", "1.0.0"));
  table.Add(StringSpec("setex", 4, kW | kM, 1, 1, 1, SetEx,
                       "Sets a string value with an expiry in seconds", "2.0.0"));
  table.Add(StringSpec("psetex", 4, kW | kM, 1, 1, 1, PSetEx,
                       "Sets a string value with an expiry in milliseconds", "2.6.0"));
  table.Add(StringSpec("mget", -2, kR | kF, 1, -1, 1, MGet,
                       "Returns the string values of several keys", "1.0.0"));
  table.Add(StringSpec("mset", -3, kW | kM, 1, -1, 2, MSet,
                       "Sets the string values of several keys", "1.0.1"));
  table.Add(StringSpec("msetnx", -3, kW | kM, 1, -1, 2, MSetNx,
                       "Sets several string values only when none of the keys exists", "1.0.1"));
  table.Add(StringSpec("append", 3, kW | kM | kF, 1, 1, 1, Append,
                       "Appends to a string value, creating the key when absent", "2.0.0"));
  table.Add(StringSpec("strlen", 2, kR | kF, 1, 1, 1, StrLen,
                       "Returns the length of a string value", "2.2.0"));
  table.Add(StringSpec("getrange", 4, kR, 1, 1, 1, GetRange,
                       "Returns a substring of a string value", "2.4.0"));
  table.Add(StringSpec("substr", 4, kR, 1, 1, 1, GetRange,
                       "Returns a substring of a string value (old name of GETRANGE)", "1.0.0"));
  table.Add(StringSpec("setrange", 4, kW | kM, 1, 1, 1, SetRange,
                       "Overwrites part of a string value at an offset", "2.2.0"));
  RegisterCounterCommands(table);
  RegisterLcsCommand(table);
}

}  // namespace larder::server
