// Key-spec flags of the commands (COMMAND GETKEYSANDFLAGS): for each key a command names, how
// the command uses it, in Redis 7.0's words: RO (read only), RW (read and write), OW (overwrite
// without reading), RM (remove), then access / update / insert / delete. larderd keeps Redis's
// legacy key positions in CommandSpec (first_key, last_key, key_step) and these flags here, so
// a family's spec needs no key-spec list of its own.
//
// Thread-safety: pure functions over a constant table.
#ifndef LARDER_SERVER_KEY_SPECS_H_
#define LARDER_SERVER_KEY_SPECS_H_

#include <cstddef>
#include <span>
#include <string_view>

#include "server/command.h"

namespace larder::server {

// The flags ("OW update") of the key at `index` among the keys of the command `argv` (argv[0]
// the command's name; the keys in the order COMMAND GETKEYS gives them). `full_name` is the
// lower-case name ("set", "object|encoding"), `spec` its entry in the command table. A command
// Redis does not have (larderd's own) gets "RO access" when read-only, "RW update" when it
// writes, "RW access" otherwise.
std::string_view KeyFlags(const CommandSpec& spec, std::string_view full_name,
                          std::span<const std::string_view> argv, std::size_t index);

}  // namespace larder::server

#endif  // LARDER_SERVER_KEY_SPECS_H_
