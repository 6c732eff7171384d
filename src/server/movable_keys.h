// Key extraction for commands whose keys are not at fixed positions ("movablekeys" in Redis):
// COMMAND GETKEYS asks here before using a command's legacy first/last/step. Families add
// their commands to movable_keys.cc.
//
// Thread-safety: a pure function.
#ifndef LARDER_SERVER_MOVABLE_KEYS_H_
#define LARDER_SERVER_MOVABLE_KEYS_H_

#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace larder::server {

// The keys of the full command `argv` (argv[0] is the command's name) when the command has
// movable keys; nullopt for the others (their fixed positions apply). REQUIRES: argv satisfies
// the command's arity.
std::optional<std::vector<std::string_view>> MovableKeys(std::span<const std::string_view> argv);

}  // namespace larder::server

#endif  // LARDER_SERVER_MOVABLE_KEYS_H_
