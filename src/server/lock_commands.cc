// The lock service's commands (docs/locks.md): LOCK.ACQUIRE (here, with its waiting through
// blocking.h), LOCK.RELEASE, LOCK.WRITERELEASE, LOCK.EXTEND, LOCK.DO, LOCK.INFO, LOCK.LIST.
// State: LockService (lock_service.h). Every command first loads the table if needed and ends
// the leases that ran out (LockService::Prepare), so a lease is never honoured past its end
// even between two cron ticks.
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/args.h"
#include "server/blocking.h"
#include "server/client.h"
#include "server/dispatcher.h"
#include "server/key_commands.h"
#include "server/keyspace_events.h"
#include "server/lock_service.h"
#include "server/lock_store.h"
#include "server/reply_builder.h"
#include "server/string_family.h"

namespace larder::server {
namespace {

LockService& Locks(CommandContext& ctx) { return ctx.server.Service<LockService>(); }

// Prepare's engine error is the command's.
Result<LockService*> PreparedLocks(CommandContext& ctx) {
  LockService& locks = Locks(ctx);
  LARDER_RETURN_IF_ERROR(locks.Prepare(ctx.keyspace, ctx.now_ms));
  return &locks;
}

void ReplyNotHolder(CommandContext& ctx, std::string_view name) {
  ctx.reply.Error(fmt::format("NOTHOLDER the token does not hold lock '{}'", name));
}

// A positive number of milliseconds, else replies the error and returns nullopt.
std::optional<std::int64_t> ParseMs(CommandContext& ctx, std::string_view arg, std::int64_t min,
                                    std::string_view what) {
  std::optional<std::int64_t> v = ParseInt64(arg);
  if (!v) {
    ctx.reply.Error(errors::kNotInteger);
    return std::nullopt;
  }
  if (*v < min || *v > (std::int64_t{1} << 50)) {
    ctx.reply.Error(fmt::format("ERR {} is out of range", what));
    return std::nullopt;
  }
  return v;
}

struct AcquireOptions {
  std::string_view name;
  std::int64_t timeout_ms = 0;  // 0: as long as the connection lives
  std::int64_t lease_ms = 0;    // 0: bound to the connection
  std::string_view owner;
  std::optional<std::string_view> state;
  bool nowait = false;
  bool async = false;
  bool rerun = false;  // a re-run of a blocked call (BlockingService::Rerunning)
};

// Replies the error and returns nullopt on a bad argument.
std::optional<AcquireOptions> ParseAcquire(CommandContext& ctx) {
  AcquireOptions o;
  std::span<const std::string_view> argv = ctx.argv;
  if (BlockingService* blocking = ctx.server.blocking_service()) {
    o.rerun = blocking->Rerunning(ctx.client);
  }
  o.name = argv[1];
  for (std::size_t i = 2; i < argv.size(); ++i) {
    const std::string_view opt = argv[i];
    const bool has_value = i + 1 < argv.size();
    if (EqualsIgnoreCase(opt, "timeout") && has_value) {
      auto v = ParseMs(ctx, argv[++i], 0, "timeout");
      if (!v) return std::nullopt;
      o.timeout_ms = *v;
    } else if (EqualsIgnoreCase(opt, "lease") && has_value) {
      auto v = ParseMs(ctx, argv[++i], 1, "lease");
      if (!v) return std::nullopt;
      o.lease_ms = *v;
    } else if (EqualsIgnoreCase(opt, "owner") && has_value) {
      o.owner = argv[++i];
    } else if (EqualsIgnoreCase(opt, "state") && has_value) {
      o.state = argv[++i];
    } else if (EqualsIgnoreCase(opt, "nowait")) {
      o.nowait = true;
    } else if (EqualsIgnoreCase(opt, "async")) {
      o.async = true;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return std::nullopt;
    }
  }
  if (o.async && ctx.reply.protocol() < 3) {
    ctx.reply.Error("ERR LOCK.ACQUIRE ASYNC needs RESP3: send HELLO 3 first");
    return std::nullopt;
  }
  return o;
}

// The blocking service's hooks for a waiter.
void ReplyTimedOut(ReplyBuilder& reply) { reply.NullArray(); }
void OnWaiterLeft(Server& server, Client& client, UnblockReason reason) {
  LockService& locks = server.Service<LockService>();
  const std::string* name = locks.table().WaitingFor(client.id());
  const LockEntry* e = name != nullptr ? locks.table().Find(*name) : nullptr;
  const bool async =
      e != nullptr && std::any_of(e->waiters.begin(), e->waiters.end(), [&](const LockWaiter& w) {
        return w.client_id == client.id() && w.async;
      });
  if (async && reason == UnblockReason::kTimeout) {
    // An ASYNC waiter (it has no on_timeout reply) learns of its timeout by a push, as it
    // learns of its grant.
    std::string out;
    ReplyBuilder push(&out, client.protocol);
    push.PushHeader(2);
    push.Bulk("lock-timeout");
    push.Bulk(*name);
    server.DeliverTo(client, out, Server::NowMs());
  }
  locks.RemoveWaiter(client.id());
}

// Queues the caller (first call) or keeps it in its place (re-run: the blocking service keeps
// the first call's deadline and place).
void Wait(CommandContext& ctx, LockService& locks, const AcquireOptions& o) {
  if (!o.rerun) {
    locks.table().Enqueue(o.name,
                          LockWaiter{ctx.client.id(), std::string(o.owner), ctx.now_ms, o.async});
  }
  BlockOptions block;
  block.keys.push_back(WaitKey{kLockNamespace, std::string(o.name)});
  block.deadline_ms = o.timeout_ms > 0 ? ctx.now_ms + o.timeout_ms : 0;
  block.on_timeout = o.async ? nullptr : ReplyTimedOut;
  block.on_unblock = OnWaiterLeft;
  block.pause_client = !o.async;
  ctx.server.Service<BlockingService>().Block(ctx, std::move(block));
  if (o.async && !o.rerun) ctx.reply.SimpleString("QUEUED");
}

// LOCK.ACQUIRE lock [TIMEOUT ms] [LEASE ms] [OWNER text] [STATE key] [NOWAIT] [ASYNC]
Status AcquireCommand(CommandContext& ctx) {
  LockService& locks = Locks(ctx);
  std::optional<AcquireOptions> o = ParseAcquire(ctx);
  if (!o) return Status::Ok();
  LARDER_RETURN_IF_ERROR(locks.Prepare(ctx.keyspace, ctx.now_ms));
  LockTable& table = locks.table();
  const std::uint64_t id = ctx.client.id();
  if (!o->rerun) {
    if (const LockHolder* h = table.Holder(o->name); h != nullptr && h->client_id == id) {
      ctx.reply.Error(fmt::format("ERR this connection already holds lock '{}'", o->name));
      return Status::Ok();
    }
    if (const std::string* waiting = table.WaitingFor(id)) {
      ctx.reply.Error(fmt::format("ERR this connection already waits for lock '{}'", *waiting));
      return Status::Ok();
    }
  }
  if (o->rerun && !table.CanGrant(o->name, id)) {  // not its turn yet: keeps its place
    Wait(ctx, locks, *o);
    return Status::Ok();
  }
  std::string state;
  bool has_state = false;
  if (o->state) {
    LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info,
                            LookupKey(ctx, *o->state, Access::kRead, &state));
    if (info && info->type != ValueType::kString) {
      locks.RemoveWaiter(id);  // a re-run's key changed type: it leaves the queue
      ctx.reply.Error(errors::kWrongType);
      return Status::Ok();
    }
    has_state = info.has_value();
  }
  if (!table.CanGrant(o->name, id)) {
    if (o->nowait || !ctx.may_block) {
      locks.RemoveWaiter(id);
      ctx.reply.NullArray();
      return Status::Ok();
    }
    Wait(ctx, locks, *o);
    return Status::Ok();
  }
  const LockHolder& h = table.Grant(o->name, id, std::string(o->owner), o->lease_ms, ctx.now_ms);
  LARDER_RETURN_IF_ERROR(StoreGrant(ctx.keyspace, o->name, h, table.last_fencing()));
  if (o->async && o->rerun) {
    ctx.reply.PushHeader(5);
    ctx.reply.Bulk("lock-granted");
    ctx.reply.Bulk(o->name);
  } else {
    ctx.reply.ArrayHeader(3);
  }
  ctx.reply.Bulk(h.token);
  ctx.reply.Integer(static_cast<std::int64_t>(h.fencing));
  if (has_state) {
    ctx.reply.Bulk(state);
  } else {
    ctx.reply.Null();
  }
  return Status::Ok();
}

// The holder `token` of argv[1], or null after replying NOTHOLDER.
Result<const LockHolder*> CheckHolder(CommandContext& ctx, std::string_view token) {
  LARDER_ASSIGN_OR_RETURN(LockService * locks, PreparedLocks(ctx));
  const LockHolder* h = locks->table().CheckToken(ctx.argv[1], token);
  if (h == nullptr) ReplyNotHolder(ctx, ctx.argv[1]);
  return h;
}

// LOCK.RELEASE lock token
Status ReleaseCommand(CommandContext& ctx) {
  LARDER_ASSIGN_OR_RETURN(const LockHolder* h, CheckHolder(ctx, ctx.argv[2]));
  if (h == nullptr) return Status::Ok();
  LARDER_RETURN_IF_ERROR(Locks(ctx).Release(ctx.keyspace, ctx.argv[1]));
  ctx.reply.Integer(1);
  return Status::Ok();
}

// LOCK.WRITERELEASE lock token key value: the write and the release in the command's batch,
// so one log record holds both (durable together, or neither after a crash).
Status WriteReleaseCommand(CommandContext& ctx) {
  LARDER_ASSIGN_OR_RETURN(const LockHolder* h, CheckHolder(ctx, ctx.argv[2]));
  if (h == nullptr) return Status::Ok();
  if (ctx.argv[4].size() > MaxStringLength(ctx)) {
    ctx.reply.Error(errors::kStringTooLong);
    return Status::Ok();
  }
  LARDER_RETURN_IF_ERROR(ctx.db.SetString(ctx.argv[3], ctx.argv[4]));
  NotifyKeyspaceEvent(ctx, kNotifyString, "set", ctx.argv[3]);
  LARDER_RETURN_IF_ERROR(Locks(ctx).Release(ctx.keyspace, ctx.argv[1]));
  ctx.reply.Integer(1);
  return Status::Ok();
}

// LOCK.EXTEND lock token ms
Status ExtendCommand(CommandContext& ctx) {
  std::optional<std::int64_t> ms = ParseMs(ctx, ctx.argv[3], 1, "lease");
  if (!ms) return Status::Ok();
  LARDER_ASSIGN_OR_RETURN(const LockHolder* h, CheckHolder(ctx, ctx.argv[2]));
  if (h == nullptr) return Status::Ok();
  LockTable& table = Locks(ctx).table();
  table.Extend(ctx.argv[1], *ms, ctx.now_ms + *ms);
  LARDER_RETURN_IF_ERROR(StoreHolder(ctx.keyspace, ctx.argv[1], *table.Holder(ctx.argv[1])));
  ctx.reply.Integer(1);
  return Status::Ok();
}

// LOCK.DO lock token command [arg ...]: the command runs in this handler, right after the
// check, so nothing can run between them, with may_block = false (a blocking command replies
// as on a timeout, as inside EXEC). Commands that change the connection's session or run
// other commands are refused (they are not single fenced writes).
Status DoCommand(CommandContext& ctx) {
  LARDER_ASSIGN_OR_RETURN(const LockHolder* h, CheckHolder(ctx, ctx.argv[2]));
  if (h == nullptr) return Status::Ok();
  std::span<const std::string_view> inner = ctx.argv.subspan(3);
  std::string error, full_name;
  const CommandSpec* spec = ResolveCommand(ctx.server, inner, &error, &full_name);
  if (spec == nullptr) {
    ctx.reply.Error(error);
    return Status::Ok();
  }
  constexpr std::uint32_t kRefused = kCmdNoMulti | kCmdMultiControl | kCmdPubSub | kCmdAdmin;
  if ((spec->flags & kRefused) != 0 || full_name.starts_with("lock.")) {
    ctx.reply.Error(fmt::format("ERR '{}' cannot run inside LOCK.DO", full_name));
    return Status::Ok();
  }
  ExecuteResolved(ctx.server, ctx.client, *spec, inner, ctx.now_ms, ctx.reply.buffer());
  return Status::Ok();
}

// The `owner` and `client-id` entries of LOCK.INFO's holder and waiter maps.
void ReplyIdentity(ReplyBuilder& r, std::string_view owner, std::uint64_t client_id) {
  r.Bulk("owner");
  r.Bulk(owner);
  r.Bulk("client-id");
  r.Integer(static_cast<std::int64_t>(client_id));
}

// LOCK.INFO lock
Status InfoCommand(CommandContext& ctx) {
  LARDER_ASSIGN_OR_RETURN(LockService * locks, PreparedLocks(ctx));
  const LockEntry* e = locks->table().Find(ctx.argv[1]);
  ReplyBuilder& r = ctx.reply;
  r.MapHeader(2);
  r.Bulk("holder");
  if (e == nullptr || !e->holder) {
    r.Null();
  } else {
    const LockHolder& h = *e->holder;
    r.MapHeader(5);
    ReplyIdentity(r, h.owner, h.client_id);
    r.Bulk("held-ms");
    r.Integer(ctx.now_ms - h.acquired_ms);
    r.Bulk("lease-ms");
    r.Integer(h.lease_until_ms == 0 ? -1 : h.lease_until_ms - ctx.now_ms);
    r.Bulk("fencing");
    r.Integer(static_cast<std::int64_t>(h.fencing));
  }
  r.Bulk("waiters");
  r.ArrayHeader(e == nullptr ? 0 : e->waiters.size());
  if (e == nullptr) return Status::Ok();
  for (const LockWaiter& w : e->waiters) {
    r.MapHeader(3);
    ReplyIdentity(r, w.owner, w.client_id);
    r.Bulk("waiting-ms");
    r.Integer(ctx.now_ms - w.since_ms);
  }
  return Status::Ok();
}

// LOCK.LIST [pattern]
Status ListCommand(CommandContext& ctx) {
  if (ctx.argv.size() > 2) {
    ctx.reply.Error(errors::kSyntax);
    return Status::Ok();
  }
  LARDER_ASSIGN_OR_RETURN(LockService * locks, PreparedLocks(ctx));
  std::vector<std::string> names = locks->table().Names();
  if (ctx.argv.size() == 2) {
    std::erase_if(names, [&](const std::string& n) { return !GlobMatch(ctx.argv[1], n); });
  }
  ctx.reply.BulkArray(names);
  return Status::Ok();
}

CommandSpec LockSpec(std::string_view name, int arity, std::uint32_t flags, int key,
                     CommandHandler handler, std::string_view summary) {
  return CommandSpec{name,    arity,  flags,   key,     key, key == 0 ? 0 : 1,
                     handler, "lock", summary, "1.0.0", {}};
}

}  // namespace

void RegisterLockCommands(CommandTable& table) {
  constexpr std::uint32_t kW = kCmdWrite;
  constexpr std::uint32_t kR = kCmdReadOnly;
  constexpr std::uint32_t kF = kCmdFast;
  table.Add(LockSpec("lock.acquire", -2, kW | kCmdBlocking | kCmdDenyOom, 0, AcquireCommand,
                     "Takes a lock, waiting first in first out; replies token, fencing, state"));
  table.Add(
      LockSpec("lock.release", 3, kW | kF, 0, ReleaseCommand, "Releases a lock held by the token"));
  table.Add(LockSpec("lock.writerelease", 5, kW | kCmdDenyOom, 3, WriteReleaseCommand,
                     "Sets a key and releases the lock in one atomic, durable step"));
  table.Add(LockSpec("lock.extend", 4, kW | kF, 0, ExtendCommand,
                     "Makes the token's lease end the given milliseconds from now"));
  table.Add(LockSpec("lock.do", -4, kW | kCmdDenyOom, 0, DoCommand,
                     "Runs one command only while the token holds the lock"));
  table.Add(
      LockSpec("lock.info", 2, kR | kF, 0, InfoCommand, "Describes a lock's holder and waiters"));
  table.Add(LockSpec("lock.list", -1, kR, 0, ListCommand, "Lists held or awaited locks"));
}

}  // namespace larder::server
