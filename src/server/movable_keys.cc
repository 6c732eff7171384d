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

}  // namespace

std::optional<std::vector<std::string_view>> MovableKeys(std::span<const std::string_view> argv) {
  if (argv.size() < 2) return std::nullopt;
  if (EqualsIgnoreCase(argv[0], "sort")) return SortKeys(argv);
  if (EqualsIgnoreCase(argv[0], "sintercard")) return NumKeys(argv, 1);
  return std::nullopt;
}

}  // namespace larder::server
