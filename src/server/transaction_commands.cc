// MULTI, EXEC, DISCARD, WATCH, UNWATCH and the TransactionService (transaction.h).
#include <string>
#include <string_view>
#include <vector>

#include "server/args.h"
#include "server/client.h"
#include "server/command.h"
#include "server/dispatcher.h"
#include "server/keyspace.h"
#include "server/reply_builder.h"
#include "server/transaction.h"

namespace larder::server {

TransactionService::TransactionService(Server& server)
    : server_(server), registry_([this](WatchRegistry::WatcherId id) {
        // Called with the execution lock held (the keyspace reports from a command).
        auto it = watchers_.find(id);
        if (it != watchers_.end()) it->second->watch_dirty = true;
      }) {
  server_.keyspace().AddObserver(&registry_);
}

TransactionService::~TransactionService() { server_.keyspace().RemoveObserver(&registry_); }

Status TransactionService::Watch(CommandContext& ctx, std::string_view key) {
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info, ctx.db.Lookup(key));
  Client& client = ctx.client;
  const int db = ctx.db.index();
  registry_.Watch(client.id(), db, key, info.has_value(), info ? info->expire_at_ms : 0);
  watchers_[client.id()] = &client;
  for (const auto& [d, k] : client.watched_keys) {
    if (d == db && k == key) return Status::Ok();
  }
  client.watched_keys.emplace_back(db, std::string(key));
  return Status::Ok();
}

Result<bool> TransactionService::Dirty(CommandContext& ctx) {
  WatchRegistry::Verdict verdict = registry_.Check(ctx.client.id(), ctx.now_ms);
  if (verdict.dirty) return true;
  // After a flush or swap: a key must exist now exactly when it existed at WATCH
  // (watch_registry.h explains why this is Redis's rule).
  for (const WatchRegistry::WatchedKey& k : verdict.recheck) {
    LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info, ctx.keyspace.db(k.db).Lookup(k.key));
    if (info.has_value() != k.existed) return true;
  }
  return false;
}

void TransactionService::Unwatch(Client& client) {
  registry_.UnwatchAll(client.id());
  watchers_.erase(client.id());
  client.watched_keys.clear();
  client.watch_dirty = false;
}

namespace {

void EndMulti(Client& client) {
  client.multi.active = false;
  client.multi.aborted = false;
  client.multi.queued.clear();
}

}  // namespace

void AbortTransaction(Server& server, Client& client) {
  server.Service<TransactionService>().Unwatch(client);
  EndMulti(client);
}

namespace {

Status MultiCommand(CommandContext& ctx) {
  if (ctx.client.multi.active) {
    ctx.reply.Error("ERR MULTI calls can not be nested");
    return Status::Ok();
  }
  EndMulti(ctx.client);
  ctx.client.multi.active = true;
  ctx.reply.Ok();
  return Status::Ok();
}

Status DiscardCommand(CommandContext& ctx) {
  if (!ctx.client.multi.active) {
    ctx.reply.Error("ERR DISCARD without MULTI");
    return Status::Ok();
  }
  ctx.server.Service<TransactionService>().Unwatch(ctx.client);
  EndMulti(ctx.client);
  ctx.reply.Ok();
  return Status::Ok();
}

Status ExecCommand(CommandContext& ctx) {
  Client& client = ctx.client;
  if (!client.multi.active) {
    ctx.reply.Error("ERR EXEC without MULTI");
    return Status::Ok();
  }
  TransactionService& tx = ctx.server.Service<TransactionService>();
  if (client.multi.aborted) {
    tx.Unwatch(client);
    EndMulti(client);
    ctx.reply.Error("EXECABORT Transaction discarded because of previous errors.");
    return Status::Ok();
  }
  LARDER_ASSIGN_OR_RETURN(const bool dirty, tx.Dirty(ctx));
  tx.Unwatch(client);  // before running: the transaction's own writes touch nobody's EXEC here
  std::vector<std::vector<std::string>> queued = std::move(client.multi.queued);
  EndMulti(client);
  if (dirty) {
    ctx.reply.NullArray();
    return Status::Ok();
  }
  // Each queued command was resolved when queued; resolving again only finds its spec. Every
  // command writes exactly one reply (dispatcher.h), so the array's length is known.
  ctx.reply.ArrayHeader(queued.size());
  tx.set_executing(client.id());
  std::vector<std::string_view> argv;
  for (const std::vector<std::string>& command : queued) {
    argv.assign(command.begin(), command.end());
    std::string error;
    std::string full_name;
    const CommandSpec* spec = ResolveCommand(ctx.server, argv, &error, &full_name);
    if (spec == nullptr) {
      ctx.reply.Error(error);  // not reached: the dispatcher queued only resolved commands
      continue;
    }
    ExecuteResolved(ctx.server, client, *spec, argv, ctx.now_ms, ctx.reply.buffer());
  }
  tx.set_executing(0);
  return Status::Ok();
}

Status WatchCommand(CommandContext& ctx) {
  if (ctx.client.multi.active) {
    ctx.reply.Error("ERR WATCH inside MULTI is not allowed");
    return Status::Ok();
  }
  TransactionService& tx = ctx.server.Service<TransactionService>();
  for (std::size_t i = 1; i < ctx.argv.size(); ++i) {
    LARDER_RETURN_IF_ERROR(tx.Watch(ctx, ctx.argv[i]));
  }
  ctx.reply.Ok();
  return Status::Ok();
}

Status UnwatchCommand(CommandContext& ctx) {
  ctx.server.Service<TransactionService>().Unwatch(ctx.client);
  ctx.reply.Ok();
  return Status::Ok();
}

constexpr std::uint32_t kTxFlags = kCmdNoScript | kCmdLoading | kCmdStale;

}  // namespace

void RegisterTransactionCommands(CommandTable& table) {
  table.Add({"multi",
             1,
             kTxFlags | kCmdFast | kCmdMultiControl,
             0,
             0,
             0,
             MultiCommand,
             "transactions",
             "Starts a transaction.",
             "1.2.0",
             {}});
  table.Add({"exec",
             1,
             kTxFlags | kCmdSkipSlowlog | kCmdMultiControl,
             0,
             0,
             0,
             ExecCommand,
             "transactions",
             "Executes all commands in a transaction.",
             "1.2.0",
             {}});
  table.Add({"discard",
             1,
             kTxFlags | kCmdFast | kCmdMultiControl,
             0,
             0,
             0,
             DiscardCommand,
             "transactions",
             "Discards a transaction.",
             "2.0.0",
             {}});
  table.Add({"watch",
             -2,
             kTxFlags | kCmdFast | kCmdMultiControl,
             1,
             -1,
             1,
             WatchCommand,
             "transactions",
             "Monitors changes to keys to determine the execution of a transaction.",
             "2.2.0",
             {}});
  table.Add({"unwatch",
             1,
             kTxFlags | kCmdFast,
             0,
             0,
             0,
             UnwatchCommand,
             "transactions",
             "Forgets about watched keys of a transaction.",
             "2.2.0",
             {}});
}

}  // namespace larder::server
