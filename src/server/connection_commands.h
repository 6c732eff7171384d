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

}  // namespace larder::server

#endif  // LARDER_SERVER_CONNECTION_COMMANDS_H_
