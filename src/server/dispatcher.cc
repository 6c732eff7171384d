#include "server/dispatcher.h"

#include <fmt/format.h>

#include <string>
#include <utility>
#include <vector>

#include "server/args.h"
#include "server/blocking.h"
#include "server/client.h"
#include "server/command.h"
#include "server/keyspace.h"
#include "server/reply_builder.h"
#include "server/server.h"
#include "server/transaction.h"

namespace larder::server {

namespace {

bool ArityOk(int arity, std::size_t argc) {
  return arity >= 0 ? argc == static_cast<std::size_t>(arity)
                    : argc >= static_cast<std::size_t>(-arity);
}

// Redis's rejection: an error reply that also flags an open transaction (EXEC then aborts).
void Reject(Server& server, Client& client, std::string_view error, const CommandSpec* spec,
            std::string_view full_name, std::span<const std::string_view> argv,
            std::int64_t now_ms) {
  if (client.multi.active) client.multi.aborted = true;
  std::string out;
  ReplyBuilder reply(&out, client.protocol);
  if (full_name == "exec") {
    // A rejected EXEC discards the transaction (in MULTI or not), as Redis's execCommandAbort.
    AbortTransaction(server, client);
    reply.Error(fmt::format("EXECABORT Transaction discarded because of: {}",
                            error.starts_with("ERR ") ? error.substr(4) : error));
  } else {
    reply.Error(error);
  }
  server.stats().error_replies.fetch_add(1, std::memory_order_relaxed);
  CommandRecord record;
  record.spec = spec;
  record.full_name = full_name;
  record.argv = argv;
  record.client = &client;
  record.db = client.db;
  record.start_us = now_ms * 1000;
  record.outcome = CommandRecord::Outcome::kRejected;
  server.RecordCommand(record);
  if (client.reply_mode == ReplyMode::kOn) {
    server.DeliverTo(client, out, now_ms);
  } else if (client.reply_mode == ReplyMode::kSkip) {
    client.reply_mode = ReplyMode::kOn;
  }
}

// How a handler runs: in which database, whether it may block (not inside EXEC), and whether it
// is a blocked command's re-run (blocking.h: MONITOR saw it when it arrived).
struct HandlerRun {
  int db;
  bool may_block;
  bool rerun;
};

// Runs the handler, its reply appended to *out. Accounts stats, the slow log and the services;
// a command that blocks is accounted when its wait ends (blocking.cc), as Redis 7.0 does.
void RunHandler(Server& server, Client& client, const CommandSpec& spec, std::string_view full_name,
                std::span<const std::string_view> argv, std::int64_t now_ms, std::string* out,
                HandlerRun how) {
  ReplyBuilder reply(out, client.protocol);
  const std::size_t mark = reply.Mark();
  const int db_index = how.db;
  CommandContext ctx{server, client, server.keyspace(), server.keyspace().db(db_index), reply,
                     argv,   now_ms, how.may_block};
  // Set before the call, as Redis does: CLIENT LIST/INFO show themselves as the current command.
  client.last_command = std::string(full_name);
  client.block_requested = false;
  const std::int64_t start_us = server.command_clock().Start();
  const Status s = spec.handler(ctx);
  const std::int64_t duration_us = server.command_clock().Stop() - start_us;
  const bool blocked = std::exchange(client.block_requested, false);
  CommandRecord::Outcome outcome = CommandRecord::Outcome::kOk;
  if (!s.ok()) {
    reply.Rollback(mark);
    reply.Error(fmt::format("ERR {}", s.ToString()));
    server.Poison(s);
    outcome = CommandRecord::Outcome::kFailed;
    // A wait registered before the failure ends here (its client gets this error).
    if (blocked && !how.rerun && server.blocking_service() != nullptr) {
      server.blocking_service()->Unblock(client, UnblockReason::kReset, now_ms);
    }
  } else if (out->size() > mark && (*out)[mark] == '-') {
    outcome = CommandRecord::Outcome::kFailed;
  }

  CommandRecord record;
  record.spec = &spec;
  record.full_name = full_name;
  record.argv = argv;
  record.client = &client;
  record.db = db_index;
  record.start_us = start_us;
  record.duration_us = duration_us;
  record.outcome = outcome;
  if (!blocked || !s.ok()) {
    if (outcome == CommandRecord::Outcome::kFailed) {
      server.stats().error_replies.fetch_add(1, std::memory_order_relaxed);
    }
    server.stats().commands_processed.fetch_add(1, std::memory_order_relaxed);
    client.CountCommand();
    server.RecordCommand(record);
  }
  if (!how.rerun) server.NotifyCommand(record);
}

}  // namespace

const CommandSpec* ResolveCommand(const Server& server, std::span<const std::string_view> argv,
                                  std::string* error, std::string* full_name,
                                  const CommandSpec** known, CommandMemo* memo) {
  if (known != nullptr) *known = nullptr;
  const CommandSpec* spec =
      memo != nullptr ? server.commands().Find(argv[0], memo) : server.commands().Find(argv[0]);
  if (spec == nullptr) {
    *error = UnknownCommandError(argv[0], argv.data() + 1, argv.size() - 1);
    return nullptr;
  }
  *full_name = spec->name;  // lower case (command.h), the same as argv[0] folded
  if (!ArityOk(spec->arity, argv.size())) {
    *error = WrongArityError(*full_name);
    if (known != nullptr) *known = spec;
    return nullptr;
  }
  if (spec->handler != nullptr || spec->subcommands.empty()) return spec;
  if (argv.size() < 2) {
    *error = WrongArityError(*full_name);
    return nullptr;
  }
  const CommandSpec* sub = CommandTable::FindSubcommand(*spec, argv[1]);
  if (sub == nullptr) {
    *error = UnknownSubcommandError(argv[0], argv[1]);
    return nullptr;
  }
  *full_name += '|';
  *full_name += ToLower(argv[1]);
  if (!ArityOk(sub->arity, argv.size())) {
    *error = WrongArityError(*full_name);
    if (known != nullptr) *known = sub;
    return nullptr;
  }
  return sub;
}

void DispatchCommand(Server& server, Client& client, std::span<const std::string_view> argv,
                     std::int64_t now_ms) {
  std::string error;
  std::string full_name;
  const CommandSpec* known = nullptr;
  const CommandSpec* spec =
      ResolveCommand(server, argv, &error, &full_name, &known, &client.command_memo);
  if (spec == nullptr) {
    Reject(server, client, error, known, full_name, argv, now_ms);
    return;
  }
  if (!client.authenticated && !server.exec_config().requirepass.empty() &&
      (spec->flags & kCmdNoAuth) == 0) {
    Reject(server, client, errors::kNoAuth, spec, full_name, argv, now_ms);
    return;
  }
  if (client.in_subscribed_mode() && (spec->flags & kCmdSubscribedOk) == 0) {
    Reject(server, client,
           fmt::format("ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / "
                       "QUIT / RESET are allowed in this context",
                       full_name),
           spec, full_name, argv, now_ms);
    return;
  }
  if ((spec->flags & kCmdWrite) != 0 && server.poisoned()) {
    Reject(server, client,
           fmt::format("ERR writes are refused after an engine error: {}",
                       server.poison_status().ToString()),
           spec, full_name, argv, now_ms);
    return;
  }
  if (client.multi.active && (spec->flags & kCmdMultiControl) == 0) {
    if ((spec->flags & kCmdNoMulti) != 0) {
      Reject(server, client, "ERR Command not allowed inside a transaction", spec, full_name, argv,
             now_ms);
      return;
    }
    client.multi.queued.emplace_back(argv.begin(), argv.end());
    if (client.reply_mode == ReplyMode::kOn) {
      server.DeliverTo(client, "+QUEUED\r\n", now_ms);
    } else if (client.reply_mode == ReplyMode::kSkip) {
      client.reply_mode = ReplyMode::kOn;
    }
    return;
  }

  // CLIENT REPLY: SKIP armed before this command drops this command's reply; OFF drops all.
  const bool skip_armed = client.reply_mode == ReplyMode::kSkip;
  std::string out;
  RunHandler(server, client, *spec, full_name, argv, now_ms, &out,
             HandlerRun{client.db, /*may_block=*/true, /*rerun=*/false});
  // CLIENT REPLY ON run while SKIP is armed turns the skip off and is answered, as in Redis.
  const bool drop =
      (skip_armed && client.reply_mode != ReplyMode::kOn) || client.reply_mode == ReplyMode::kOff;
  if (skip_armed && client.reply_mode == ReplyMode::kSkip) client.reply_mode = ReplyMode::kOn;
  if (!drop && !out.empty()) server.DeliverTo(client, out, now_ms);
  // After every command run (EXEC as a whole: its queued commands run inside its handler).
  if (BlockingService* blocking = server.blocking_service()) blocking->ServeReadyClients(now_ms);
}

namespace {
// "get", or "config|get" for a subcommand's spec.
std::string FullNameOf(const CommandSpec& spec, std::span<const std::string_view> argv) {
  std::string full_name = ToLower(argv[0]);
  if (spec.name != full_name && argv.size() > 1) {
    full_name += '|';
    full_name += ToLower(argv[1]);
  }
  return full_name;
}
}  // namespace

void ExecuteResolved(Server& server, Client& client, const CommandSpec& spec,
                     std::span<const std::string_view> argv, std::int64_t now_ms,
                     std::string* out) {
  RunHandler(server, client, spec, FullNameOf(spec, argv), argv, now_ms, out,
             HandlerRun{client.db, /*may_block=*/false, /*rerun=*/false});
}

void ExecuteBlocked(Server& server, Client& client, const CommandSpec& spec,
                    std::span<const std::string_view> argv, int db, std::int64_t now_ms,
                    std::string* out) {
  RunHandler(server, client, spec, FullNameOf(spec, argv), argv, now_ms, out,
             HandlerRun{db, /*may_block=*/true, /*rerun=*/true});
}

}  // namespace larder::server
