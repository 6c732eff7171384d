// Helpers shared by the stream command files (stream_commands.cc: XADD XLEN XRANGE XREVRANGE
// XDEL XTRIM XSETID; stream_read_commands.cc: XREAD XREADGROUP; stream_group_commands.cc: XGROUP
// XACK XPENDING XCLAIM XAUTOCLAIM; stream_info_command.cc: XINFO). Not a contract for other
// families; command.h declares RegisterStreamCommands.
//
// Thread-safety: as command handlers (the execution lock, inside a batch).
#ifndef LARDER_SERVER_STREAM_COMMANDS_H_
#define LARDER_SERVER_STREAM_COMMANDS_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "larder/result.h"
#include "server/command.h"
#include "server/key_commands.h"
#include "server/stream_store.h"

namespace larder::server {

// Registered by RegisterStreamCommands.
void RegisterStreamReadCommands(CommandTable& table);
void RegisterStreamGroupCommands(CommandTable& table);
void RegisterStreamInfoCommand(CommandTable& table);

CommandSpec StreamCommandSpec(std::string_view name, int arity, std::uint32_t flags, int first_key,
                              int last_key, CommandHandler handler, std::string_view summary,
                              std::string_view since);

// The stream at `key`, or nullopt when absent. On another type replies WRONGTYPE and sets
// *replied.
Result<std::optional<streams::StreamKey>> OpenStream(CommandContext& ctx, std::string_view key,
                                                     Access access, bool* replied);

// The server's stream-node-max-entries / -bytes.
streams::NodeLimits NodeLimitsFor(CommandContext& ctx);

// Redis's ID arguments; each replies "Invalid stream ID specified as stream command argument"
// and returns nullopt when invalid. Strict: no "-" / "+".
std::optional<streams::StreamId> IdArgument(CommandContext& ctx, std::string_view arg,
                                            std::uint64_t missing_seq, bool strict);
inline constexpr std::string_view kInvalidId =
    "ERR Invalid stream ID specified as stream command argument";

// An entry as Redis replies it: [id, [field, value, ...]].
void ReplyEntry(ReplyBuilder& reply, const streams::Entry& entry);
void ReplyEntries(ReplyBuilder& reply, std::span<const streams::Entry> entries);

// The consumer `name` of `group` (stream_group_commands.cc), created when absent (counted in
// group.consumers, written, with the "xgroup-createconsumer" event); an existing one has its
// seen-time set to now when `refresh`. The caller writes the group (and a refreshed consumer).
Result<streams::ConsumerMeta> LookupOrCreateConsumer(CommandContext& ctx, streams::StreamKey& s,
                                                     std::string_view key,
                                                     streams::GroupMeta& group,
                                                     std::string_view name, bool refresh);
// Gives the pending entry `pe` (new to the group when `is_new`) to consumer `to`, moving it from
// its previous owner, and keeps the pending counts of the group and consumers right. The caller
// writes `to` and the group.
Status AssignPending(streams::StreamKey& s, streams::GroupMeta& group, streams::PendingEntry pe,
                     streams::ConsumerMeta& to, bool is_new);
// Removes the pending entry `pe` (XACK; an entry deleted from the stream), with its counts:
// its owner's in `held` when that is the owner (a consumer the caller holds and writes later),
// else in the owner's record.
Status DropPending(streams::StreamKey& s, streams::GroupMeta& group,
                   const streams::PendingEntry& pe, streams::ConsumerMeta* held);

}  // namespace larder::server

#endif  // LARDER_SERVER_STREAM_COMMANDS_H_
