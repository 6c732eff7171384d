// Helpers for the bbolt interop tests (tests/interop_test.cc): the C++ counterparts of the Go
// peer's `dump` and `modify` subcommands (tests/interop/bboltpeer/main.go).
#ifndef LARDER_TESTS_INTEROP_DUMP_H_
#define LARDER_TESTS_INTEROP_DUMP_H_

#include <string>

#include "larder/bolt/options.h"
#include "larder/result.h"
#include "larder/status.h"

namespace larder::test {

// Opens `path` read-only and returns the canonical text dump, depth-first in cursor order:
//   B <hex path components joined by '/'> seq=<n>
//   K <hex bucket path> <hex key> <hex value>
// Byte for byte what `bboltpeer dump PATH` prints.
Result<std::string> DumpDatabase(const std::string& path);

// Applies the deterministic modifications of `bboltpeer modify PATH` (see the comment above
// modify() in main.go) with the C++ engine. `options` is used to open the file; read_only must
// be false.
Status ModifyDatabase(const std::string& path, const bolt::Options& options = {});

}  // namespace larder::test

#endif  // LARDER_TESTS_INTEROP_DUMP_H_
