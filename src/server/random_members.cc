#include "server/random_members.h"

#include <algorithm>
#include <unordered_set>

#include "server/args.h"
#include "server/reply_builder.h"

namespace larder::server {

std::optional<RandomCount> ParseRandomCount(CommandContext& ctx, std::string_view flag) {
  RandomCount out;
  if (ctx.argv.size() < 3) return out;
  out.with_count = true;
  if (const std::optional<std::string_view> error = ParseRandomCount(ctx.argv[2], &out.count)) {
    ctx.reply.Error(*error);
    return std::nullopt;
  }
  if (ctx.argv.size() > 4 || (ctx.argv.size() == 4 && !EqualsIgnoreCase(ctx.argv[3], flag))) {
    ctx.reply.Error(errors::kSyntax);
    return std::nullopt;
  }
  out.with_values = ctx.argv.size() == 4;
  if ((out.with_values && (out.count < -(INT64_MAX / 2) || out.count > INT64_MAX / 2)) ||
      out.count < -kMaxRandomCount) {
    ctx.reply.Error("ERR value is out of range");
    return std::nullopt;
  }
  return out;
}

std::vector<std::uint64_t> RandomPositions(std::uint64_t size, std::int64_t count,
                                           std::mt19937_64& rng) {
  std::vector<std::uint64_t> picks;
  if (count < 0) {
    std::uniform_int_distribution<std::uint64_t> any(0, size - 1);
    for (std::int64_t i = 0; i < -count; ++i) picks.push_back(any(rng));
  } else if (static_cast<std::uint64_t>(count) >= size) {
    for (std::uint64_t i = 0; i < size; ++i) picks.push_back(i);
  } else {
    std::unordered_set<std::uint64_t> chosen;
    for (std::uint64_t j = size - static_cast<std::uint64_t>(count); j < size; ++j) {
      const std::uint64_t t = std::uniform_int_distribution<std::uint64_t>(0, j)(rng);
      const std::uint64_t pick = chosen.count(t) != 0 ? j : t;
      chosen.insert(pick);
      picks.push_back(pick);
    }
    std::shuffle(picks.begin(), picks.end(), rng);
  }
  return picks;
}

}  // namespace larder::server
