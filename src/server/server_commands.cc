// The server family: TIME and SLOWLOG here, INFO (info_command.cc), CONFIG (config_command.cc)
// and COMMAND (command_command.cc), and their registration. MONITOR belongs to the pub/sub and
// MONITOR family, SHUTDOWN to the connection family.
#include "server/server_commands.h"

#include <string>
#include <vector>

#include "server/args.h"
#include "server/client.h"
#include "server/reply_builder.h"
#include "server/server.h"

namespace larder::server {
namespace {

constexpr std::size_t kDefaultSlowLogCount = 10;

Status Time(CommandContext& ctx) {
  const std::int64_t now_us = Server::NowUs();
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(now_us / 1000000));
  ctx.reply.Bulk(std::to_string(now_us % 1000000));
  return Status::Ok();
}

// SLOWLOG GET [count]: newest first; count -1 lists every entry.
Status SlowLogGet(CommandContext& ctx) {
  std::size_t count = kDefaultSlowLogCount;
  if (ctx.argv.size() == 3) {
    const auto n = ParseInt64(ctx.argv[2]);
    if (!n || *n < -1) {
      ctx.reply.Error("ERR count should be greater than or equal to -1");
      return Status::Ok();
    }
    count = *n == -1 ? SIZE_MAX : static_cast<std::size_t>(*n);
  }
  const std::vector<SlowLogEntry> entries = ctx.server.SlowLogGet(count);
  ctx.reply.ArrayHeader(entries.size());
  for (const SlowLogEntry& e : entries) {
    ctx.reply.ArrayHeader(6);
    ctx.reply.Integer(static_cast<std::int64_t>(e.id));
    ctx.reply.Integer(e.unix_time);
    ctx.reply.Integer(e.duration_us);
    ctx.reply.BulkArray(std::span<const std::string>(e.argv));
    ctx.reply.Bulk(e.client_addr);
    ctx.reply.Bulk(e.client_name);
  }
  return Status::Ok();
}

Status SlowLogLen(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<std::int64_t>(ctx.server.SlowLogLen()));
  return Status::Ok();
}

Status SlowLogReset(CommandContext& ctx) {
  ctx.server.SlowLogReset();
  ctx.reply.Ok();
  return Status::Ok();
}

Status SlowLogHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "GET [<count>]",
      "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
      "    Entries are made of:",
      "    id, timestamp, time in microseconds, arguments array, client IP and port,",
      "    client name",
      "LEN",
      "    Return the length of the slowlog.",
      "RESET",
      "    Reset the slowlog.",
  };
  ReplyHelp(ctx.reply, "SLOWLOG", kLines);
  return Status::Ok();
}

CommandSpec MakeSlowLogCommand() {
  constexpr std::uint32_t kAdmin = kCmdAdmin | kCmdLoading | kCmdStale;
  CommandSpec slowlog =
      ServerSpec("slowlog", -2, 0, nullptr, "A container for slow log commands", "2.2.12");
  slowlog.subcommands = {
      ServerSpec("get", -2, kAdmin, SlowLogGet, "Get the slow log's entries", "2.2.12"),
      ServerSpec("len", 2, kAdmin, SlowLogLen, "Get the slow log's length", "2.2.12"),
      ServerSpec("reset", 2, kAdmin, SlowLogReset, "Clear all entries from the slow log", "2.2.12"),
      ServerSpec("help", 2, kCmdLoading | kCmdStale, SlowLogHelp,
                 "Show helpful text about the different subcommands", "6.2.0"),
  };
  return slowlog;
}

}  // namespace

CommandSpec ServerSpec(std::string_view name, int arity, std::uint32_t flags,
                       CommandHandler handler, std::string_view summary, std::string_view since) {
  return CommandSpec{name, arity, flags, 0, 0, 0, handler, "server", summary, since, {}};
}

void ReplyHelp(ReplyBuilder& reply, std::string_view name,
               std::span<const std::string_view> lines) {
  reply.ArrayHeader(lines.size() + 3);
  reply.SimpleString(std::string(name) +
                     " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  for (std::string_view line : lines) reply.SimpleString(line);
  reply.SimpleString("HELP");
  reply.SimpleString("    Prints this help.");
}

void RegisterServerCommands(CommandTable& table) {
  table.Add(MakeInfoCommand());
  table.Add(MakeConfigCommand());
  table.Add(MakeCommandCommand());
  table.Add(ServerSpec("time", 1, kCmdLoading | kCmdStale | kCmdFast, Time,
                       "Return the current server time", "2.6.0"));
  table.Add(MakeSlowLogCommand());
}

}  // namespace larder::server
