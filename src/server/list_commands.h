// Helpers shared by the list command files (list_commands.cc, list_read_commands.cc,
// list_blocking_commands.cc). Not a contract for other families.
//
// Thread-safety: as command handlers (the execution lock, inside a batch).
#ifndef LARDER_SERVER_LIST_COMMANDS_H_
#define LARDER_SERVER_LIST_COMMANDS_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "larder/result.h"
#include "server/command.h"
#include "server/key_commands.h"
#include "server/list_encoding.h"

namespace larder::server {

// Registered by RegisterListCommands.
void RegisterListReadCommands(CommandTable& table);      // LLEN LINDEX LRANGE LPOS
void RegisterListBlockingCommands(CommandTable& table);  // BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP

// A list command's spec (key step 1, group "list").
CommandSpec ListCommandSpec(std::string_view name, int arity, std::uint32_t flags, int first_key,
                            int last_key, CommandHandler handler, std::string_view summary,
                            std::string_view since);

// The list at `key`, or nullopt when the key is absent. On another type, replies WRONGTYPE and
// sets *replied.
Result<std::optional<ListKey>> OpenList(CommandContext& ctx, std::string_view key, Access access,
                                        bool* replied);

// An integer argument as Redis's getLongFromObjectOrReply: replies `error` (default: "value is
// not an integer or out of range") and returns nullopt when it is not one.
std::optional<std::int64_t> IntArgument(CommandContext& ctx, std::string_view arg,
                                        std::string_view error = {});

// "LEFT"/"RIGHT" (any case); otherwise replies Redis's syntax error and returns nullopt.
std::optional<ListEnd> ParseListEnd(CommandContext& ctx, std::string_view arg);

// Pops up to `count` elements from `end` of a non-empty list, commits, and sends the keyspace
// events Redis sends (lpop/rpop, then del when emptied). Returns the elements popped.
Result<std::vector<std::string>> PopAndNotify(CommandContext& ctx, ListKey& list, ListEnd end,
                                              std::uint64_t count);

// LMOVE's work once `source` is known to be a non-empty list: moves one element to `dest`
// (created when absent; WRONGTYPE reply when it holds another type) and replies with it.
Status MoveAndReply(CommandContext& ctx, ListKey& source, std::string_view dest, ListEnd from,
                    ListEnd to);

// LMPOP/BLMPOP's arguments from argv[numkeys_index]: numkeys key... LEFT|RIGHT [COUNT n].
struct MPopArgs {
  std::vector<std::string_view> keys;
  ListEnd end = ListEnd::kHead;
  std::uint64_t count = 1;
};
// Replies Redis's error and returns nullopt on bad arguments.
std::optional<MPopArgs> ParseMPop(CommandContext& ctx, std::size_t numkeys_index);

// Pops from the first of `keys` holding a non-empty list and replies: [key, element] when
// `flat` (BLPOP/BRPOP), else [key, [elements...]] (LMPOP). Returns false, without a reply, when
// every key is absent; a key of another type replies WRONGTYPE (and returns true).
Result<bool> ServeFirstList(CommandContext& ctx, std::span<const std::string_view> keys,
                            ListEnd end, std::uint64_t count, bool flat);

}  // namespace larder::server

#endif  // LARDER_SERVER_LIST_COMMANDS_H_
