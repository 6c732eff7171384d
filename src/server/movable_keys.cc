#include "server/movable_keys.h"

#include <cstddef>

#include "server/args.h"

namespace larder::server {
namespace {

// SORT key [BY p] [LIMIT o c] [GET p ...] [STORE dst]: the key and the last STORE's destination
// (Redis's sortGetKeys: BY/GET skip one argument, LIMIT two; a STORE is noted, not skipped).
std::vector<std::string_view> SortKeys(std::span<const std::string_view> argv) {
  std::vector<std::string_view> keys = {argv[1]};
  std::optional<std::string_view> store;
  for (std::size_t i = 2; i < argv.size(); ++i) {
    if (EqualsIgnoreCase(argv[i], "limit")) {
      i += 2;
    } else if (EqualsIgnoreCase(argv[i], "get") || EqualsIgnoreCase(argv[i], "by")) {
      i += 1;
    } else if (EqualsIgnoreCase(argv[i], "store") && i + 1 < argv.size()) {
      store = argv[i + 1];
    }
  }
  if (store) keys.push_back(*store);
  return keys;
}

// name numkeys key [key ...] ...: the numkeys keys after argv[numkeys_at] (SINTERCARD).
std::optional<std::vector<std::string_view>> NumKeys(std::span<const std::string_view> argv,
                                                     std::size_t numkeys_at) {
  const std::optional<std::int64_t> n = ParseInt64(argv[numkeys_at]);
  if (!n || *n <= 0 || static_cast<std::uint64_t>(*n) > argv.size() - numkeys_at - 1) {
    return std::vector<std::string_view>();
  }
  const auto first = argv.begin() + static_cast<std::ptrdiff_t>(numkeys_at + 1);
  return std::vector<std::string_view>(first, first + *n);
}

// XREAD / XREADGROUP [BLOCK ms] [COUNT n] [GROUP g c] [NOACK] STREAMS key ... id ...: the first
// half of what follows STREAMS, rounded down (Redis 7.0's key spec; none on a syntax error).
std::vector<std::string_view> XReadKeys(std::span<const std::string_view> argv) {
  for (std::size_t i = 1; i < argv.size(); ++i) {
    if (EqualsIgnoreCase(argv[i], "block") || EqualsIgnoreCase(argv[i], "count")) {
      ++i;
    } else if (EqualsIgnoreCase(argv[i], "group")) {
      i += 2;
    } else if (EqualsIgnoreCase(argv[i], "noack")) {
    } else if (EqualsIgnoreCase(argv[i], "streams")) {
      const std::size_t n = argv.size() - i - 1;
      if (n < 2) break;  // as Redis 7.0's key spec: half the arguments, rounded down
      const auto first = argv.begin() + static_cast<std::ptrdiff_t>(i + 1);
      return std::vector<std::string_view>(first, first + static_cast<std::ptrdiff_t>(n / 2));
    } else {
      break;
    }
  }
  return {};
}

}  // namespace

std::optional<std::vector<std::string_view>> MovableKeys(std::span<const std::string_view> argv) {
  if (argv.size() < 2) return std::nullopt;
  if (EqualsIgnoreCase(argv[0], "sort")) return SortKeys(argv);
  if (EqualsIgnoreCase(argv[0], "sintercard")) return NumKeys(argv, 1);
  if (EqualsIgnoreCase(argv[0], "xread") || EqualsIgnoreCase(argv[0], "xreadgroup")) {
    return XReadKeys(argv);
  }
  return std::nullopt;
}

}  // namespace larder::server
