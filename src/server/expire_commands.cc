// Expiry commands: EXPIRE PEXPIRE EXPIREAT PEXPIREAT (NX|XX|GT|LT), TTL PTTL EXPIRETIME
// PEXPIRETIME, PERSIST, with Redis 7.0's replies and errors. Times are the command's clock
// (CommandContext::now_ms), so one command sees one "now".
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "server/args.h"
#include "server/key_commands.h"
#include "server/keyspace_events.h"
#include "server/reply_builder.h"

namespace larder::server {
namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

enum ExpireFlag : unsigned { kNx = 1, kXx = 2, kGt = 4, kLt = 8 };

// The NX|XX|GT|LT options from argv[3...]; replies Redis's error and returns nullopt when bad.
std::optional<unsigned> ParseExpireFlags(CommandContext& ctx) {
  unsigned flags = 0;
  for (std::size_t i = 3; i < ctx.argv.size(); ++i) {
    const std::string_view arg = ctx.argv[i];
    if (EqualsIgnoreCase(arg, "nx")) {
      flags |= kNx;
    } else if (EqualsIgnoreCase(arg, "xx")) {
      flags |= kXx;
    } else if (EqualsIgnoreCase(arg, "gt")) {
      flags |= kGt;
    } else if (EqualsIgnoreCase(arg, "lt")) {
      flags |= kLt;
    } else {
      ctx.reply.Error("ERR Unsupported option " + std::string(arg));
      return std::nullopt;
    }
  }
  if ((flags & kNx) && (flags & (kXx | kGt | kLt))) {
    ctx.reply.Error("ERR NX and XX, GT or LT options at the same time are not compatible");
    return std::nullopt;
  }
  if ((flags & kGt) && (flags & kLt)) {
    ctx.reply.Error("ERR GT and LT options at the same time are not compatible");
    return std::nullopt;
  }
  return flags;
}

// Whether the flags allow replacing `current` (0: no expiry, i.e. infinite) with `when`.
bool FlagsAllow(unsigned flags, std::int64_t current, std::int64_t when) {
  if ((flags & kNx) && current != 0) return false;
  if ((flags & kXx) && current == 0) return false;
  if ((flags & kGt) && (current == 0 || when <= current)) return false;
  if ((flags & kLt) && current != 0 && when >= current) return false;
  return true;
}

// One handler for the four: `name` for the error text, `seconds` for EXPIRE/EXPIREAT,
// `relative` for EXPIRE/PEXPIRE (added to now).
Status ExpireGeneric(CommandContext& ctx, std::string_view name, bool seconds, bool relative) {
  const std::optional<unsigned> flags = ParseExpireFlags(ctx);
  if (!flags) return Status::Ok();
  const std::optional<std::int64_t> parsed = ParseInt64(ctx.argv[2]);
  if (!parsed) {
    ctx.reply.Error(errors::kNotInteger);
    return Status::Ok();
  }
  std::int64_t when = *parsed;
  const std::int64_t base = relative ? ctx.now_ms : 0;
  if (seconds) {
    if (when > kMax / 1000 || when < kMin / 1000) {
      ctx.reply.Error(InvalidExpireError(name));
      return Status::Ok();
    }
    when *= 1000;
  }
  if (when > kMax - base) {
    ctx.reply.Error(InvalidExpireError(name));
    return Status::Ok();
  }
  when += base;

  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info, ctx.db.Lookup(ctx.argv[1]));
  if (!info || !FlagsAllow(*flags, info->expire_at_ms, when)) {
    ctx.reply.Integer(0);
    return Status::Ok();
  }
  if (when <= ctx.now_ms) {  // already past: the key goes now, as Redis does
    LARDER_ASSIGN_OR_RETURN(bool deleted, ctx.db.Delete(ctx.argv[1]));
    (void)deleted;
    NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", ctx.argv[1]);
  } else {
    LARDER_ASSIGN_OR_RETURN(bool set, ctx.db.SetExpire(ctx.argv[1], when));
    (void)set;
    NotifyKeyspaceEvent(ctx, kNotifyGeneric, "expire", ctx.argv[1]);
  }
  ctx.reply.Integer(1);
  return Status::Ok();
}

Status ExpireCommand(CommandContext& ctx) { return ExpireGeneric(ctx, "expire", true, true); }
Status PExpireCommand(CommandContext& ctx) { return ExpireGeneric(ctx, "pexpire", false, true); }
Status ExpireAtCommand(CommandContext& ctx) { return ExpireGeneric(ctx, "expireat", true, false); }
Status PExpireAtCommand(CommandContext& ctx) {
  return ExpireGeneric(ctx, "pexpireat", false, false);
}

// TTL PTTL EXPIRETIME PEXPIRETIME: -2 absent, -1 no expiry; seconds are rounded to nearest.
Status TtlGeneric(CommandContext& ctx, bool millis, bool absolute) {
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info, LookupKey(ctx, ctx.argv[1], Access::kRead));
  if (!info) {
    ctx.reply.Integer(-2);
    return Status::Ok();
  }
  if (info->expire_at_ms == 0) {
    ctx.reply.Integer(-1);
    return Status::Ok();
  }
  std::int64_t t = absolute ? info->expire_at_ms : info->expire_at_ms - ctx.now_ms;
  if (t < 0) t = 0;
  ctx.reply.Integer(millis ? t : (t + 500) / 1000);
  return Status::Ok();
}
Status TtlCommand(CommandContext& ctx) { return TtlGeneric(ctx, false, false); }
Status PTtlCommand(CommandContext& ctx) { return TtlGeneric(ctx, true, false); }
Status ExpireTimeCommand(CommandContext& ctx) { return TtlGeneric(ctx, false, true); }
Status PExpireTimeCommand(CommandContext& ctx) { return TtlGeneric(ctx, true, true); }

Status PersistCommand(CommandContext& ctx) {
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info, ctx.db.Lookup(ctx.argv[1]));
  if (!info || info->expire_at_ms == 0) {
    ctx.reply.Integer(0);
    return Status::Ok();
  }
  LARDER_ASSIGN_OR_RETURN(bool persisted, ctx.db.SetExpire(ctx.argv[1], 0));
  if (persisted) NotifyKeyspaceEvent(ctx, kNotifyGeneric, "persist", ctx.argv[1]);
  ctx.reply.Integer(persisted ? 1 : 0);
  return Status::Ok();
}

}  // namespace

void RegisterExpireCommands(CommandTable& table) {
  const std::vector<CommandSpec> specs = {
      {"expire",
       -3,
       kCmdWriteFast,
       1,
       1,
       1,
       ExpireCommand,
       "generic",
       "Expire a key after a number of seconds",
       "1.0.0",
       {}},
      {"pexpire",
       -3,
       kCmdWriteFast,
       1,
       1,
       1,
       PExpireCommand,
       "generic",
       "Expire a key after a number of milliseconds",
       "2.6.0",
       {}},
      {"expireat",
       -3,
       kCmdWriteFast,
       1,
       1,
       1,
       ExpireAtCommand,
       "generic",
       "Expire a key at a unix time in seconds",
       "1.2.0",
       {}},
      {"pexpireat",
       -3,
       kCmdWriteFast,
       1,
       1,
       1,
       PExpireAtCommand,
       "generic",
       "Expire a key at a unix time in milliseconds",
       "2.6.0",
       {}},
      {"ttl",
       2,
       kCmdReadFast,
       1,
       1,
       1,
       TtlCommand,
       "generic",
       "Seconds left before a key expires",
       "1.0.0",
       {}},
      {"pttl",
       2,
       kCmdReadFast,
       1,
       1,
       1,
       PTtlCommand,
       "generic",
       "Milliseconds left before a key expires",
       "2.6.0",
       {}},
      {"expiretime",
       2,
       kCmdReadFast,
       1,
       1,
       1,
       ExpireTimeCommand,
       "generic",
       "The unix time in seconds at which a key expires",
       "7.0.0",
       {}},
      {"pexpiretime",
       2,
       kCmdReadFast,
       1,
       1,
       1,
       PExpireTimeCommand,
       "generic",
       "The unix time in milliseconds at which a key expires",
       "7.0.0",
       {}},
      {"persist",
       2,
       kCmdWriteFast,
       1,
       1,
       1,
       PersistCommand,
       "generic",
       "Remove a key's expiry",
       "2.2.0",
       {}},
  };
  for (const CommandSpec& spec : specs) table.Add(spec);
}

}  // namespace larder::server
