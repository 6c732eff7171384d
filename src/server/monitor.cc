#include "server/monitor.h"

#include <fmt/format.h>

#include <algorithm>

#include "server/args.h"
#include "server/client.h"
#include "server/command.h"
#include "server/reply_builder.h"
#include "server/transaction.h"

namespace larder::server {

void AppendQuoted(std::string* out, std::string_view s) {
  out->push_back('"');
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '\\':
        out->append("\\\\");
        break;
      case '"':
        out->append("\\\"");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\a':
        out->append("\\a");
        break;
      case '\b':
        out->append("\\b");
        break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out->push_back(ch);
        } else {
          constexpr std::string_view kHexDigits = "0123456789abcdef";
          out->append("\\x");
          out->push_back(kHexDigits[c >> 4]);
          out->push_back(kHexDigits[c & 0xf]);
        }
    }
  }
  out->push_back('"');
}

std::string FormatMonitorLine(std::int64_t unix_us, int db, std::string_view addr,
                              std::span<const std::string_view> argv) {
  std::string line =
      fmt::format("+{}.{:06} [{} {}]", unix_us / 1000000, unix_us % 1000000, db, addr);
  // Which arguments are secrets: all of AUTH's; HELLO's two after its AUTH option.
  std::size_t redact_from = argv.size();
  std::size_t redact_to = argv.size();
  if (!argv.empty() && EqualsIgnoreCase(argv[0], "auth")) {
    redact_from = 1;
  } else if (!argv.empty() && EqualsIgnoreCase(argv[0], "hello")) {
    for (std::size_t i = 2; i < argv.size(); ++i) {
      if (EqualsIgnoreCase(argv[i], "auth")) {
        redact_from = i + 1;
        redact_to = std::min(argv.size(), i + 3);
        break;
      }
    }
  }
  for (std::size_t i = 0; i < argv.size(); ++i) {
    line.push_back(' ');
    AppendQuoted(&line, i >= redact_from && i < redact_to ? "(redacted)" : argv[i]);
  }
  line.append("\r\n");
  return line;
}

void MonitorService::Add(Client& client) {
  client.monitor = true;
  monitors_[client.id()] = &client;
}

void MonitorService::OnCommand(const CommandRecord& record) {
  if (monitors_.empty() || record.spec == nullptr || record.client == nullptr) return;
  if (record.outcome == CommandRecord::Outcome::kRejected) return;
  if ((record.spec->flags & (kCmdAdmin | kCmdSkipMonitor)) != 0) return;
  // The database after the command ran, as Redis shows it ("select 2" under [2]).
  const std::string line =
      FormatMonitorLine(record.start_us, record.client->db, record.client->addr(), record.argv);
  const std::int64_t now_ms = record.start_us / 1000;
  for (const auto& [id, monitor] : monitors_) server_.DeliverTo(*monitor, line, now_ms);
}

void MonitorService::OnClientClosed(Client& client) {
  monitors_.erase(client.id());
  client.monitor = false;
}

namespace {

Status MonitorCommand(CommandContext& ctx) {
  // Inside EXEC a client expects one reply per command: Redis refuses (a DENY BLOCKING client).
  if (ctx.server.Service<TransactionService>().InsideExec(ctx.client)) {
    ctx.reply.Error("ERR MONITOR isn't allowed for DENY BLOCKING client");
    return Status::Ok();
  }
  ctx.server.Service<MonitorService>().Add(ctx.client);
  ctx.reply.Ok();
  return Status::Ok();
}

}  // namespace

void RegisterMonitorCommand(CommandTable& table) {
  table.Add({"monitor",
             1,
             kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale,
             0,
             0,
             0,
             MonitorCommand,
             "server",
             "Listens for all requests received by the server in real time.",
             "1.0.0",
             {}});
}

}  // namespace larder::server
