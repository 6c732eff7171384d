// Helpers for the blocking commands of the keyspace families (BZPOPMIN, BZMPOP, and the list
// family's BLPOP... may move onto them): the timeout argument as a deadline, and blocking the
// client on keys of its database through BlockingService (blocking.h).
//
// Thread-safety: as command handlers (under the execution lock, inside a batch).
#ifndef LARDER_SERVER_BLOCKING_KEYS_H_
#define LARDER_SERVER_BLOCKING_KEYS_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "server/command.h"
#include "server/keyspace.h"

namespace larder::server {

// The deadline (unix ms; 0: none) of a timeout argument in seconds (ParseTimeoutSeconds), or
// nullopt after Redis's error reply.
std::optional<std::int64_t> ParseBlockDeadline(CommandContext& ctx, std::string_view arg);

// Blocks ctx's client on `keys` of its database until `deadline_ms` (the handler writes no
// reply), or, where it may not block (MULTI/EXEC), writes on_timeout's reply at once. The
// command is re-run only when a waited key holds `key_type` (BlockOptions::key_type).
void BlockOnKeys(CommandContext& ctx, std::span<const std::string_view> keys,
                 std::int64_t deadline_ms, void (*on_timeout)(ReplyBuilder&),
                 std::optional<ValueType> key_type);

}  // namespace larder::server

#endif  // LARDER_SERVER_BLOCKING_KEYS_H_
