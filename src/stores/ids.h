// Record ids: random UUIDs (version 4) with a type prefix, and the checks every id passes.
#ifndef LARDER_SRC_STORES_IDS_H_
#define LARDER_SRC_STORES_IDS_H_

#include <string>
#include <string_view>

#include "larder/status.h"

namespace larder::stores {

// A random UUID, version 4 (RFC 4122), in lower-case 8-4-4-4-12 form, from getrandom(2).
// Thread-safe.
std::string NewUuidV4();

// `prefix` + NewUuidV4(), e.g. "e-" for executions, "j-" for jobs.
std::string NewId(std::string_view prefix);

// OK when `id` can be a key part: 1..256 bytes, no '/' and no NUL. `what` names it in the error.
Status CheckId(std::string_view what, std::string_view id);

}  // namespace larder::stores

#endif  // LARDER_SRC_STORES_IDS_H_
