// Registration of the set family's command files and their shared helpers (set_commands.cc,
// set_algebra_commands.cc, set_random_commands.cc). Not a contract for other families: the set
// type's internal API is set_store.h; command.h declares RegisterSetCommands.
//
// Thread-safety: as command handlers (under the execution lock, inside a batch).
#ifndef LARDER_SERVER_SET_COMMANDS_H_
#define LARDER_SERVER_SET_COMMANDS_H_

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "larder/result.h"
#include "server/command.h"
#include "server/keyspace.h"

namespace larder::server {

// Registered by RegisterSetCommands.
void RegisterSetAlgebraCommands(CommandTable& table);  // SINTER SINTERCARD SUNION SDIFF, STOREs
void RegisterSetRandomCommands(CommandTable& table);   // SPOP SRANDMEMBER

// Looks `key` up as a set (WRONGTYPE replied and *replied set for another type).
Result<std::optional<KeyInfo>> LookupSet(CommandContext& ctx, std::string_view key, bool write,
                                         bool* replied);
// Replies members as a RESP3 set (an array in RESP2).
void ReplyMemberSet(CommandContext& ctx, std::span<const std::string> members);

}  // namespace larder::server

#endif  // LARDER_SERVER_SET_COMMANDS_H_
