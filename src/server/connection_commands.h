// Internal to the connection family: the pieces RegisterConnectionCommands assembles, and the
// helpers shared by its files.
#ifndef LARDER_SERVER_CONNECTION_COMMANDS_H_
#define LARDER_SERVER_CONNECTION_COMMANDS_H_

#include <string_view>

#include "server/command.h"
#include "server/config.h"

namespace larder::server {

// The CLIENT container with its subcommands (client_commands.cc).
CommandSpec MakeClientCommand();
// SHUTDOWN (shutdown_command.cc).
CommandSpec MakeShutdownCommand();

// Whether `user`/`password` authenticate as the only user, "default": any password when no
// requirepass is set (Redis's "nopass" default user), else exactly requirepass.
bool PasswordMatches(const ServerConfig& config, std::string_view user, std::string_view password);
// Redis's rule for CLIENT SETNAME / HELLO SETNAME: printable ASCII without spaces.
bool ValidClientName(std::string_view name);
inline constexpr std::string_view kBadClientName =
    "ERR Client names cannot contain spaces, newlines or special characters.";
// A connection-family command or subcommand (no keys).
CommandSpec ConnectionSpec(std::string_view name, int arity, std::uint32_t flags,
                           CommandHandler handler, std::string_view summary,
                           std::string_view since);

}  // namespace larder::server

#endif  // LARDER_SERVER_CONNECTION_COMMANDS_H_
