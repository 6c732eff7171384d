// Internal to the server family (INFO CONFIG COMMAND TIME SLOWLOG): the pieces
// RegisterServerCommands assembles, each in its own file.
#ifndef LARDER_SERVER_SERVER_COMMANDS_H_
#define LARDER_SERVER_SERVER_COMMANDS_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "larder/result.h"
#include "server/command.h"

namespace larder::server {

class ReplyBuilder;

// INFO (info_command.cc).
CommandSpec MakeInfoCommand();
// The INFO text for `sections` (lower or upper case; none: the default sections), as Redis 7.0
// lays it out: "# Section\r\nkey:value\r\n..." with a blank line between sections. REQUIRES: the
// execution lock and an open batch (the keyspace section counts keys).
Result<std::string> BuildInfo(Server& server, std::span<const std::string_view> sections,
                              std::int64_t now_ms);
// COMMAND and its subcommands (command_command.cc).
CommandSpec MakeCommandCommand();
// CONFIG and its subcommands (config_command.cc).
CommandSpec MakeConfigCommand();

// A command of the "server" group without keys.
CommandSpec ServerSpec(std::string_view name, int arity, std::uint32_t flags,
                       CommandHandler handler, std::string_view summary, std::string_view since);

// Redis's HELP reply: "<NAME> <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", then
// `lines`, then the HELP entry, each line a simple string.
void ReplyHelp(ReplyBuilder& reply, std::string_view name, std::span<const std::string_view> lines);

}  // namespace larder::server

#endif  // LARDER_SERVER_SERVER_COMMANDS_H_
