// CLIENT ID | SETNAME | GETNAME | LIST | INFO | KILL | UNBLOCK | REPLY | NO-EVICT | NO-TOUCH |
// HELP.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/args.h"
#include "server/blocking.h"
#include "server/client.h"
#include "server/connection_commands.h"
#include "server/reply_builder.h"
#include "server/server.h"
#include "server/server_commands.h"

namespace larder::server {

namespace {

enum class ClientType { kNormal, kPubSub, kReplica, kMaster };

std::optional<ClientType> ParseClientType(std::string_view name) {
  if (EqualsIgnoreCase(name, "normal")) return ClientType::kNormal;
  if (EqualsIgnoreCase(name, "pubsub")) return ClientType::kPubSub;
  if (EqualsIgnoreCase(name, "replica") || EqualsIgnoreCase(name, "slave")) {
    return ClientType::kReplica;
  }
  if (EqualsIgnoreCase(name, "master")) return ClientType::kMaster;
  return std::nullopt;
}

ClientType TypeOf(const Client& c) {
  return c.output_class() == OutputClass::kPubSub ? ClientType::kPubSub : ClientType::kNormal;
}

void ReplyUnknownType(CommandContext& ctx, std::string_view name) {
  ctx.reply.Error("ERR Unknown client type '" + std::string(name) + "'");
}

Status Id(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<std::int64_t>(ctx.client.id()));
  return Status::Ok();
}

Status SetName(CommandContext& ctx) {
  if (!ValidClientName(ctx.argv[2])) {
    ctx.reply.Error(kBadClientName);
    return Status::Ok();
  }
  ctx.client.name = std::string(ctx.argv[2]);
  ctx.reply.Ok();
  return Status::Ok();
}

Status GetName(CommandContext& ctx) {
  if (ctx.client.name.empty()) {
    ctx.reply.Null();
  } else {
    ctx.reply.Bulk(ctx.client.name);
  }
  return Status::Ok();
}

// CLIENT LIST [TYPE t] [ID id ...]
Status List(CommandContext& ctx) {
  std::optional<ClientType> type;
  std::vector<std::uint64_t> ids;
  if (ctx.argv.size() == 4 && EqualsIgnoreCase(ctx.argv[2], "type")) {
    type = ParseClientType(ctx.argv[3]);
    if (!type) {
      ReplyUnknownType(ctx, ctx.argv[3]);
      return Status::Ok();
    }
  } else if (ctx.argv.size() > 3 && EqualsIgnoreCase(ctx.argv[2], "id")) {
    for (std::size_t j = 3; j < ctx.argv.size(); ++j) {
      const auto id = ParseInt64InRange(ctx.argv[j], 1, INT64_MAX);
      if (!id) {
        ctx.reply.Error("ERR Invalid client ID");
        return Status::Ok();
      }
      ids.push_back(static_cast<std::uint64_t>(*id));
    }
  } else if (ctx.argv.size() != 2) {
    ctx.reply.Error(errors::kSyntax);
    return Status::Ok();
  }
  std::string text;
  if (!ids.empty()) {
    for (std::uint64_t id : ids) {
      if (auto c = ctx.server.FindClient(id)) text += c->InfoLine(ctx.now_ms) + "\n";
    }
  } else {
    for (const auto& c : ctx.server.ListClients()) {
      if (type && TypeOf(*c) != *type) continue;
      text += c->InfoLine(ctx.now_ms) + "\n";
    }
  }
  ctx.reply.Verbatim(text);
  return Status::Ok();
}

Status Info(CommandContext& ctx) {
  ctx.reply.Verbatim(ctx.client.InfoLine(ctx.now_ms) + "\n");
  return Status::Ok();
}

// CLIENT KILL addr:port (old form) | CLIENT KILL [ID id] [TYPE t] [ADDR a] [LADDR a]
// [SKIPME yes|no] [USER u] (new form; every filter must match).
Status Kill(CommandContext& ctx) {
  std::optional<std::uint64_t> id;
  std::optional<ClientType> type;
  std::optional<std::string_view> addr, laddr, user;
  bool skipme = true;
  const bool old_form = ctx.argv.size() == 3;
  if (old_form) {
    addr = ctx.argv[2];
    skipme = false;
  } else {
    for (std::size_t i = 2; i < ctx.argv.size(); i += 2) {
      if (i + 1 >= ctx.argv.size()) {
        ctx.reply.Error(errors::kSyntax);
        return Status::Ok();
      }
      const std::string_view opt = ctx.argv[i];
      const std::string_view val = ctx.argv[i + 1];
      if (EqualsIgnoreCase(opt, "id")) {
        const auto v = ParseInt64InRange(val, 1, INT64_MAX);
        if (!v) {
          ctx.reply.Error("ERR client-id should be greater than 0");
          return Status::Ok();
        }
        id = static_cast<std::uint64_t>(*v);
      } else if (EqualsIgnoreCase(opt, "type")) {
        type = ParseClientType(val);
        if (!type) {
          ReplyUnknownType(ctx, val);
          return Status::Ok();
        }
      } else if (EqualsIgnoreCase(opt, "addr")) {
        addr = val;
      } else if (EqualsIgnoreCase(opt, "laddr")) {
        laddr = val;
      } else if (EqualsIgnoreCase(opt, "user")) {
        if (val != "default") {
          ctx.reply.Error("ERR No such user '" + std::string(val) + "'");
          return Status::Ok();
        }
        user = val;
      } else if (EqualsIgnoreCase(opt, "skipme")) {
        if (EqualsIgnoreCase(val, "yes")) {
          skipme = true;
        } else if (EqualsIgnoreCase(val, "no")) {
          skipme = false;
        } else {
          ctx.reply.Error(errors::kSyntax);
          return Status::Ok();
        }
      } else {
        ctx.reply.Error(errors::kSyntax);
        return Status::Ok();
      }
    }
  }
  std::int64_t killed = 0;
  for (const auto& c : ctx.server.ListClients()) {
    if (id && c->id() != *id) continue;
    if (type && TypeOf(*c) != *type) continue;
    if (addr && c->addr() != *addr) continue;
    if (laddr && c->laddr() != *laddr) continue;
    const bool self = c.get() == &ctx.client;
    if (self && skipme) continue;
    if (self) {
      c->close_after_reply = true;  // after this reply
    } else {
      c->RequestClose("killed by CLIENT KILL");
    }
    ++killed;
  }
  if (old_form) {
    if (killed == 0) {
      ctx.reply.Error("ERR No such client");
    } else {
      ctx.reply.Ok();
    }
  } else {
    ctx.reply.Integer(killed);
  }
  return Status::Ok();
}

// CLIENT REPLY ON|OFF|SKIP: OFF and SKIP have no reply (the dispatcher applies the mode).
Status Reply(CommandContext& ctx) {
  const std::string_view mode = ctx.argv[2];
  if (EqualsIgnoreCase(mode, "on")) {
    ctx.client.reply_mode = ReplyMode::kOn;
    ctx.reply.Ok();
  } else if (EqualsIgnoreCase(mode, "off")) {
    ctx.client.reply_mode = ReplyMode::kOff;
  } else if (EqualsIgnoreCase(mode, "skip")) {
    if (ctx.client.reply_mode == ReplyMode::kOn) ctx.client.reply_mode = ReplyMode::kSkip;
  } else {
    ctx.reply.Error(errors::kSyntax);
  }
  return Status::Ok();
}

// CLIENT UNBLOCK id [TIMEOUT|ERROR]: ends the waits of a blocked client (blocking.h); 1 when it
// was blocked, else 0.
Status Unblock(CommandContext& ctx) {
  if (ctx.argv.size() > 4) {
    ctx.reply.Error(
        "ERR unknown subcommand or wrong number of arguments for 'unblock'. Try CLIENT HELP.");
    return Status::Ok();
  }
  UnblockReason reason = UnblockReason::kUnblockTimeout;
  if (ctx.argv.size() == 4) {
    if (EqualsIgnoreCase(ctx.argv[3], "error")) {
      reason = UnblockReason::kUnblockError;
    } else if (!EqualsIgnoreCase(ctx.argv[3], "timeout")) {
      ctx.reply.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
      return Status::Ok();
    }
  }
  const std::optional<std::int64_t> id = ParseInt64(ctx.argv[2]);
  if (!id) {
    ctx.reply.Error(errors::kNotInteger);
    return Status::Ok();
  }
  BlockingService* blocking = ctx.server.blocking_service();
  const std::shared_ptr<Client> target =
      *id > 0 ? ctx.server.FindClient(static_cast<std::uint64_t>(*id)) : nullptr;
  const bool done =
      blocking != nullptr && target != nullptr && blocking->Unblock(*target, reason, ctx.now_ms);
  ctx.reply.Integer(done ? 1 : 0);
  return Status::Ok();
}

// NO-EVICT / NO-TOUCH: accepted (larderd evicts nothing; OBJECT IDLETIME is best effort).
Status OnOff(CommandContext& ctx) {
  if (EqualsIgnoreCase(ctx.argv[2], "on") || EqualsIgnoreCase(ctx.argv[2], "off")) {
    ctx.reply.Ok();
  } else {
    ctx.reply.Error(errors::kSyntax);
  }
  return Status::Ok();
}

Status Help(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "GETNAME",
      "    Return the name of the current connection.",
      "ID",
      "    Return the ID of the current connection.",
      "INFO",
      "    Return information about the current client connection.",
      "KILL <ip:port>",
      "    Kill connection made from <ip:port>.",
      "KILL <option> <value> [<option> <value> [...]]",
      "    Kill connections. Options are: ID <client-id>, TYPE (NORMAL|PUBSUB), ADDR <ip:port>,",
      "    LADDR <ip:port>, USER default, SKIPME (YES|NO) (default YES).",
      "UNBLOCK <clientid> [TIMEOUT|ERROR]",
      "    Unblock the specified blocked client (TIMEOUT: as its timeout; ERROR: with an",
      "    UNBLOCKED error).",
      "LIST [options ...]",
      "    Return information about client connections. Options: TYPE (NORMAL|PUBSUB),",
      "    ID <client-id> [<client-id> ...].",
      "REPLY (ON|OFF|SKIP)",
      "    Control the replies sent to the current connection.",
      "SETNAME <name>",
      "    Assign the name <name> to the current connection.",
      "NO-EVICT (ON|OFF)",
      "    Accepted; larderd never evicts.",
      "NO-TOUCH (ON|OFF)",
      "    Accepted.",
  };
  ReplyHelp(ctx.reply, "CLIENT", kLines);
  return Status::Ok();
}

}  // namespace

CommandSpec MakeClientCommand() {
  constexpr std::uint32_t kBase = kCmdNoScript | kCmdLoading | kCmdStale;
  CommandSpec client = ConnectionSpec("client", -2, kBase, nullptr,
                                      "A container for client connection commands", "2.4.0");
  client.subcommands = {
      ConnectionSpec("id", 2, kBase, Id, "Returns the unique client ID of the connection", "5.0.0"),
      ConnectionSpec("setname", 3, kBase, SetName, "Sets the connection name", "2.6.9"),
      ConnectionSpec("getname", 2, kBase, GetName, "Returns the name of the connection", "2.6.9"),
      ConnectionSpec("list", -2, kBase | kCmdAdmin, List, "Lists open connections", "2.4.0"),
      ConnectionSpec("info", 2, kBase, Info, "Returns information about the connection", "6.2.0"),
      ConnectionSpec("kill", -3, kBase | kCmdAdmin, Kill, "Terminates open connections", "2.4.0"),
      ConnectionSpec("unblock", -3, kBase, Unblock,
                     "Unblocks a client blocked by a blocking command from a different connection",
                     "5.0.0"),
      ConnectionSpec("reply", 3, kBase, Reply, "Instructs the server whether to reply to commands",
                     "3.2.0"),
      ConnectionSpec("no-evict", 3, kBase | kCmdAdmin, OnOff, "Sets the client eviction mode",
                     "7.0.0"),
      ConnectionSpec("no-touch", 3, kBase, OnOff,
                     "Controls whether commands sent by the client affect the "
                     "LRU/LFU of accessed keys",
                     "7.2.0"),
      ConnectionSpec("help", 2, kCmdLoading | kCmdStale, Help,
                     "Returns helpful text about the different "
                     "subcommands",
                     "5.0.0"),
  };
  return client;
}

}  // namespace larder::server
