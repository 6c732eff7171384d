// Shared by the random-member commands (HRANDFIELD, ZRANDMEMBER; SRANDMEMBER may join): their
// `count [WITHVALUES|WITHSCORES]` arguments as Redis 7.0 checks them, and the positions to pick.
//
// Thread-safety: ParseRandomCount as command handlers; RandomPositions uses the caller's rng.
#ifndef LARDER_SERVER_RANDOM_MEMBERS_H_
#define LARDER_SERVER_RANDOM_MEMBERS_H_

#include <cstdint>
#include <optional>
#include <random>
#include <string_view>
#include <vector>

#include "server/command.h"

namespace larder::server {

struct RandomCount {
  bool with_count = false;   // a count was given (the reply is an array)
  std::int64_t count = 1;    // negative: repeats allowed
  bool with_values = false;  // the flag after the count
};
// argv[2] (the count) and argv[3] (`flag`, e.g. "withscores") when present. Replies Redis's
// error and returns nullopt when they are wrong.
std::optional<RandomCount> ParseRandomCount(CommandContext& ctx, std::string_view flag);

// The positions (0..size-1) a random-member reply lists, in reply order: |count| draws with
// repeats for a negative count; every position in order when count >= size; else `count`
// distinct positions (Floyd's sampling), shuffled. REQUIRES: size > 0.
std::vector<std::uint64_t> RandomPositions(std::uint64_t size, std::int64_t count,
                                           std::mt19937_64& rng);

}  // namespace larder::server

#endif  // LARDER_SERVER_RANDOM_MEMBERS_H_
