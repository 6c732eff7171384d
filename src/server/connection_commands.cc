// PING ECHO HELLO AUTH SELECT QUIT RESET, and the registration of the connection family
// (CLIENT in client_commands.cc, SHUTDOWN in shutdown_command.cc).
#include "server/connection_commands.h"

#include <optional>
#include <string>

#include "larder/version.h"
#include "server/args.h"
#include "server/client.h"
#include "server/keyspace.h"
#include "server/reply_builder.h"
#include "server/server.h"

namespace larder::server {

namespace {

constexpr std::string_view kWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";

Status Ping(CommandContext& ctx) {
  if (ctx.argv.size() > 2) {
    ctx.reply.Error(WrongArityError("ping"));
    return Status::Ok();
  }
  if (ctx.client.in_subscribed_mode()) {  // RESP2 subscribed mode: a two-element array
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("pong");
    ctx.reply.Bulk(ctx.argv.size() == 2 ? ctx.argv[1] : std::string_view());
  } else if (ctx.argv.size() == 2) {
    ctx.reply.Bulk(ctx.argv[1]);
  } else {
    ctx.reply.SimpleString("PONG");
  }
  return Status::Ok();
}

Status Echo(CommandContext& ctx) {
  ctx.reply.Bulk(ctx.argv[1]);
  return Status::Ok();
}

bool Authenticated(const ServerConfig& config, const Client& client) {
  return config.requirepass.empty() || client.authenticated;
}

Status Hello(CommandContext& ctx) {
  const auto config = ctx.server.config();
  int version = 0;
  if (ctx.argv.size() >= 2) {
    const auto v = ParseInt64(ctx.argv[1]);
    if (!v) {
      ctx.reply.Error("ERR Protocol version is not an integer or out of range");
      return Status::Ok();
    }
    if (*v < 2 || *v > 3) {
      ctx.reply.Error("NOPROTO sorry, this protocol version is not supported");
      return Status::Ok();
    }
    version = static_cast<int>(*v);
  }
  std::optional<std::string_view> user, password, name;
  for (std::size_t j = 2; j < ctx.argv.size(); ++j) {
    const std::size_t more = ctx.argv.size() - 1 - j;
    if (EqualsIgnoreCase(ctx.argv[j], "auth") && more >= 2) {
      user = ctx.argv[j + 1];
      password = ctx.argv[j + 2];
      j += 2;
    } else if (EqualsIgnoreCase(ctx.argv[j], "setname") && more >= 1) {
      name = ctx.argv[j + 1];
      ++j;
    } else {
      ctx.reply.Error("ERR Syntax error in HELLO option '" + std::string(ctx.argv[j]) + "'");
      return Status::Ok();
    }
  }
  if (user) {
    if (!PasswordMatches(*config, *user, *password)) {
      ctx.reply.Error(kWrongPass);
      return Status::Ok();
    }
    ctx.client.authenticated = true;
  }
  if (!Authenticated(*config, ctx.client)) {
    ctx.reply.Error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
        "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and "
        "select the RESP protocol version at the same time");
    return Status::Ok();
  }
  if (name) {
    if (!ValidClientName(*name)) {
      ctx.reply.Error(kBadClientName);
      return Status::Ok();
    }
    ctx.client.name = std::string(*name);
  }
  if (version != 0) ctx.client.protocol = version;
  ctx.reply.set_protocol(ctx.client.protocol);
  ctx.reply.MapHeader(7);
  ctx.reply.Bulk("server");
  ctx.reply.Bulk("redis");
  ctx.reply.Bulk("version");
  ctx.reply.Bulk("7.0.15");
  ctx.reply.Bulk("proto");
  ctx.reply.Integer(ctx.client.protocol);
  ctx.reply.Bulk("id");
  ctx.reply.Integer(static_cast<std::int64_t>(ctx.client.id()));
  ctx.reply.Bulk("mode");
  ctx.reply.Bulk("standalone");
  ctx.reply.Bulk("role");
  ctx.reply.Bulk("master");
  ctx.reply.Bulk("modules");
  ctx.reply.ArrayHeader(0);
  return Status::Ok();
}

Status Auth(CommandContext& ctx) {
  if (ctx.argv.size() > 3) {
    ctx.reply.Error(errors::kSyntax);
    return Status::Ok();
  }
  const auto config = ctx.server.config();
  std::string_view user = "default";
  std::string_view password = ctx.argv[1];
  if (ctx.argv.size() == 2) {
    if (config->requirepass.empty()) {
      ctx.reply.Error(
          "ERR AUTH <password> called without any password configured for the default user. "
          "Are you sure your configuration is correct?");
      return Status::Ok();
    }
  } else {
    user = ctx.argv[1];
    password = ctx.argv[2];
  }
  if (!PasswordMatches(*config, user, password)) {
    ctx.reply.Error(kWrongPass);
    return Status::Ok();
  }
  ctx.client.authenticated = true;
  ctx.reply.Ok();
  return Status::Ok();
}

Status Select(CommandContext& ctx) {
  const auto index = ParseInt64InRange(ctx.argv[1], INT32_MIN, INT32_MAX);
  if (!index) {
    ctx.reply.Error(errors::kNotInteger);
    return Status::Ok();
  }
  if (*index < 0 || *index >= ctx.keyspace.databases()) {
    ctx.reply.Error(errors::kDbIndex);
    return Status::Ok();
  }
  ctx.client.db = static_cast<int>(*index);
  ctx.reply.Ok();
  return Status::Ok();
}

Status Quit(CommandContext& ctx) {
  ctx.reply.Ok();
  ctx.client.close_after_reply = true;
  return Status::Ok();
}

// RESET: the connection's state as a new connection's (MULTI, WATCH, subscriptions, MONITOR,
// CLIENT REPLY, db, protocol, name, authentication).
Status Reset(CommandContext& ctx) {
  Client& c = ctx.client;
  ctx.server.NotifyClientReset(c);
  c.multi = MultiState();
  c.watched_keys.clear();
  c.watch_dirty = false;
  c.channels.clear();
  c.patterns.clear();
  c.shard_channels.clear();
  c.monitor = false;
  c.reply_mode = ReplyMode::kOn;
  c.db = 0;
  c.protocol = 2;
  c.name.clear();
  c.authenticated = ctx.server.config()->requirepass.empty();
  ctx.reply.set_protocol(2);
  ctx.reply.SimpleString("RESET");
  return Status::Ok();
}

}  // namespace

bool ValidClientName(std::string_view name) {
  for (char c : name) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

CommandSpec ConnectionSpec(std::string_view name, int arity, std::uint32_t flags,
                           CommandHandler handler, std::string_view summary,
                           std::string_view since) {
  return CommandSpec{name, arity, flags, 0, 0, 0, handler, "connection", summary, since, {}};
}

bool PasswordMatches(const ServerConfig& config, std::string_view user, std::string_view password) {
  if (user != "default") return false;
  return config.requirepass.empty() || password == config.requirepass;
}

void RegisterConnectionCommands(CommandTable& table) {
  constexpr std::uint32_t kSession = kCmdNoScript | kCmdLoading | kCmdStale | kCmdFast;
  table.Add(
      ConnectionSpec("ping", -1, kCmdFast | kCmdSubscribedOk, Ping, "Ping the server", "1.0.0"));
  table.Add(ConnectionSpec("echo", 2, kCmdFast, Echo, "Echo the given string", "1.0.0"));
  table.Add(
      ConnectionSpec("hello", -1, kSession | kCmdNoAuth, Hello, "Handshake with Redis", "6.0.0"));
  table.Add(ConnectionSpec("auth", -2, kSession | kCmdNoAuth, Auth, "Authenticate to the server",
                           "1.0.0"));
  table.Add(ConnectionSpec("select", 2, kCmdLoading | kCmdStale | kCmdFast, Select,
                           "Change the selected database for the current connection", "1.0.0"));
  table.Add(ConnectionSpec("quit", -1, kSession | kCmdNoAuth | kCmdNoMulti | kCmdSubscribedOk, Quit,
                           "Close the connection", "1.0.0"));
  table.Add(ConnectionSpec("reset", 1, kSession | kCmdNoAuth | kCmdNoMulti | kCmdSubscribedOk,
                           Reset, "Reset the connection", "6.2.0"));
  table.Add(MakeClientCommand());
  table.Add(MakeShutdownCommand());
}

}  // namespace larder::server
