// Registration of the sorted-set family's command files and their shared helpers
// (zset_commands.cc, zset_range_commands.cc, zset_set_ops.cc, zset_blocking_commands.cc). Not a
// contract for other families: the sorted set's internal API is zset_store.h; command.h declares
// RegisterZSetCommands.
//
// Thread-safety: as command handlers (under the execution lock, inside a batch).
#ifndef LARDER_SERVER_ZSET_COMMANDS_H_
#define LARDER_SERVER_ZSET_COMMANDS_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "larder/result.h"
#include "server/command.h"
#include "server/key_commands.h"
#include "server/zset_store.h"

namespace larder::server {

// Registered by RegisterZSetCommands.
void RegisterZSetRangeCommands(CommandTable& table);  // ZRANGE family, ZREMRANGEBY*
void RegisterZSetSetOpCommands(CommandTable& table);  // ZUNION ZINTER ZDIFF (+STORE) ZINTERCARD
void RegisterZSetPopCommands(CommandTable& table);    // ZPOPMIN ZPOPMAX ZMPOP BZPOP* BZMPOP

// Registered by RegisterZSetPopCommands: BZPOPMIN BZPOPMAX BZMPOP.
void RegisterZSetBlockingCommands(CommandTable& table);

// The pops' reply shapes (zset_pop_commands.cc).
enum class ZPopShape { kPop, kBlockingPop, kMPop };
enum class ZPopOutcome { kReplied, kEmpty };
// Pops up to `count` (-1: one, replied as without a count) members from the first of `keys`
// that holds a sorted set and replies in `shape`; kEmpty (nothing replied) when none does.
// WRONGTYPE on the first key of another type met before that is replied.
Result<ZPopOutcome> ZPopFirst(CommandContext& ctx, std::span<const std::string_view> keys, bool max,
                              std::int64_t count, ZPopShape shape);
// ZMPOP's arguments from numkeys on: keys, MIN|MAX, [COUNT n]; nullopt when an error was
// replied.
struct ZMPopArgs {
  std::span<const std::string_view> keys;
  bool max = false;
  std::int64_t count = 1;
};
std::optional<ZMPopArgs> ParseZMPopArgs(CommandContext& ctx, std::size_t numkeys_at);

// Loads `store` for a command (counted as `access`); replies WRONGTYPE and sets *replied when the
// key holds another type.
Result<ZSetStore::State> LoadZSet(CommandContext& ctx, ZSetStore& store, Access access,
                                  bool* replied);

// Members as ZRANGE replies them: bulk strings, or with scores a flat list (RESP2) or [member,
// score] pairs (RESP3).
void ReplyZMembers(ReplyBuilder& reply, const std::vector<ZMember>& members, bool withscores);

// Commits a command's writes to `store` and publishes `event` (class z) when it wrote, then
// "del" (class g) when the set was emptied.
Status CommitZSet(CommandContext& ctx, ZSetStore& store, std::string_view event);

// The STORE forms: replaces `dst` with a sorted set of `members` (deletes it when there are
// none), publishing `event` (or "del" when an existing dst was deleted); returns its size.
Result<std::uint64_t> StoreZSetResult(CommandContext& ctx, std::string_view dst,
                                      const std::vector<ZMember>& members, std::string_view event);

// A command of the family (group "sorted-set", key step 1).
CommandSpec ZSetSpec(std::string_view name, int arity, std::uint32_t flags, int first, int last,
                     CommandHandler handler, std::string_view summary, std::string_view since);

// "ERR min or max is not a float" and "ERR min or max not valid string range item".
inline constexpr std::string_view kZScoreRangeError = "ERR min or max is not a float";
inline constexpr std::string_view kZLexRangeError = "ERR min or max not valid string range item";

// Redis's sanitation of a rank range [start, stop] (negative from the end) over `size`
// elements; false when it is empty.
bool NormalizeRankRange(std::int64_t start, std::int64_t stop, std::uint64_t size,
                        std::uint64_t* from, std::uint64_t* to);

}  // namespace larder::server

#endif  // LARDER_SERVER_ZSET_COMMANDS_H_
