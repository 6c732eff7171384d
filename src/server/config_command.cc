// CONFIG GET | SET | RESETSTAT | REWRITE | HELP, over config.h's directive table.
#include <set>
#include <string>
#include <vector>

#include "server/args.h"
#include "server/config.h"
#include "server/reply_builder.h"
#include "server/server.h"
#include "server/server_commands.h"

namespace larder::server {
namespace {

// CONFIG GET pattern [pattern ...]: every directive matching a pattern (glob, any case), once.
Status ConfigGet(CommandContext& ctx) {
  const auto config = ctx.server.config();
  std::vector<bool> picked(ConfigEntries().size(), false);
  for (std::size_t i = 2; i < ctx.argv.size(); ++i) {
    for (std::size_t e = 0; e < ConfigEntries().size(); ++e) {
      if (GlobMatch(ctx.argv[i], ConfigEntries()[e].name, /*nocase=*/true)) picked[e] = true;
    }
  }
  const std::size_t at = ctx.reply.BeginDeferredMap();
  std::size_t pairs = 0;
  for (std::size_t e = 0; e < picked.size(); ++e) {
    if (!picked[e]) continue;
    const std::string_view name = ConfigEntries()[e].name;
    Result<std::string> value = RenderConfigValue(*config, name);
    if (!value.ok()) continue;
    ctx.reply.Bulk(name);
    ctx.reply.Bulk(*value);
    ++pairs;
  }
  ctx.reply.EndDeferredMap(at, pairs);
  return Status::Ok();
}

// CONFIG SET name value [name value ...]: all or nothing, as Redis 7.0.
Status ConfigSet(CommandContext& ctx) {
  if (ctx.argv.size() % 2 != 0) {
    ctx.reply.Error(errors::kSyntax);
    return Status::Ok();
  }
  ServerConfig next = *ctx.server.config();
  std::set<std::string> seen;
  for (std::size_t i = 2; i + 1 < ctx.argv.size(); i += 2) {
    const std::string name = ToLower(ctx.argv[i]);
    auto failed = [&](std::string_view reason) {
      ctx.reply.Error("ERR CONFIG SET failed (possibly related to argument '" +
                      std::string(ctx.argv[i]) + "') - " + std::string(reason));
      return Status::Ok();
    };
    if (!seen.insert(name).second) return failed("duplicate parameter");
    const Status s = SetConfigValue(&next, name, ctx.argv[i + 1]);
    if (s.IsNotFound()) {
      ctx.reply.Error("ERR Unknown option or number of arguments for CONFIG SET - '" +
                      std::string(ctx.argv[i]) + "'");
      return Status::Ok();
    }
    if (!s.ok()) return failed(s.message());
  }
  const Status applied = ctx.server.SetConfig(std::move(next));
  if (!applied.ok()) {
    ctx.reply.Error("ERR CONFIG SET failed - " + std::string(applied.message()));
    return Status::Ok();
  }
  ctx.reply.Ok();
  return Status::Ok();
}

Status ConfigResetStat(CommandContext& ctx) {
  ctx.server.stats().Reset();
  ctx.server.ResetCommandStats();
  ctx.reply.Ok();
  return Status::Ok();
}

Status ConfigRewrite(CommandContext& ctx) {
  ctx.reply.Error(ctx.server.config_file().empty()
                      ? "ERR The server is running without a config file"
                      : "ERR CONFIG REWRITE is not supported by larderd: edit the config file");
  return Status::Ok();
}

Status ConfigHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "GET <pattern>",
      "    Return parameters matching the glob-like <pattern> and their values.",
      "SET <directive> <value>",
      "    Set the configuration <directive> to <value>.",
      "RESETSTAT",
      "    Reset statistics reported by the INFO command.",
      "REWRITE",
      "    Not supported by larderd: edit the config file instead.",
  };
  ReplyHelp(ctx.reply, "CONFIG", kLines);
  return Status::Ok();
}

}  // namespace

CommandSpec MakeConfigCommand() {
  constexpr std::uint32_t kAdmin = kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale;
  CommandSpec config = ServerSpec("config", -2, 0, nullptr,
                                  "A container for server configuration commands", "2.0.0");
  config.subcommands = {
      ServerSpec("get", -3, kAdmin, ConfigGet, "Get the values of configuration parameters",
                 "2.0.0"),
      ServerSpec("set", -4, kAdmin, ConfigSet, "Set configuration parameters to the given values",
                 "2.0.0"),
      ServerSpec("resetstat", 2, kAdmin, ConfigResetStat, "Reset the server's statistics", "2.0.0"),
      ServerSpec("rewrite", 2, kAdmin, ConfigRewrite, "Persist the effective configuration to file",
                 "2.8.0"),
      ServerSpec("help", 2, kCmdLoading | kCmdStale, ConfigHelp,
                 "Show helpful text about the different subcommands", "5.0.0"),
  };
  return config;
}

}  // namespace larder::server
