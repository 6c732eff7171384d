// Helpers shared by the key, expiry and hash command files (key_commands.cc,
// expire_commands.cc, object_command.cc, hash_commands.cc, hash_read_commands.cc). Not a
// contract for other families; command.h declares the Register*Commands entry points.
//
// Thread-safety: as command handlers (run under the execution lock, inside a batch).
#ifndef LARDER_SERVER_KEY_COMMANDS_H_
#define LARDER_SERVER_KEY_COMMANDS_H_

#include <cstddef>
#include <optional>
#include <string_view>

#include "larder/result.h"
#include "server/command.h"
#include "server/keyspace.h"

namespace larder::server {

// Registered by RegisterKeyCommands.
void RegisterExpireCommands(CommandTable& table);  // EXPIRE ... PERSIST, TTL ... PEXPIRETIME
void RegisterObjectCommand(CommandTable& table);   // OBJECT and its subcommands
// Registered by RegisterHashCommands.
void RegisterHashReadCommands(CommandTable& table);  // HGETALL HKEYS HVALS HRANDFIELD HSCAN

// Redis's hash-max-listpack-entries / -value defaults: a hash at most this big, with every field
// and value at most this long, is reported as "listpack" and is scanned in one HSCAN call.
inline constexpr std::uint64_t kHashListpackEntries = 128;
inline constexpr std::size_t kHashListpackValue = 64;

// Whether a lookup is a read command's (counted in INFO's keyspace_hits/keyspace_misses, as
// Redis counts lookupKeyRead) or a write command's (not counted).
enum class Access { kRead, kWrite };
void CountLookup(CommandContext& ctx, Access access, bool hit);

// Looks `key` up for a command on `type`. When it holds another type, replies WRONGTYPE and sets
// *replied. Absent (or expired) keys give nullopt.
Result<std::optional<KeyInfo>> LookupTyped(CommandContext& ctx, std::string_view key,
                                           ValueType type, Access access, bool* replied);
// Database::Lookup, counted as CountLookup says.
Result<std::optional<KeyInfo>> LookupKey(CommandContext& ctx, std::string_view key, Access access,
                                         std::string* string_value = nullptr);

// The database with a user-given index (MOVE, COPY DB): replies Redis's error and returns null
// when the argument is not an int or out of range.
Database* ParseDbArgument(CommandContext& ctx, std::string_view arg);

// "ERR source and destination objects are the same"
inline constexpr std::string_view kSameObjectError =
    "ERR source and destination objects are the same";

}  // namespace larder::server

#endif  // LARDER_SERVER_KEY_COMMANDS_H_
