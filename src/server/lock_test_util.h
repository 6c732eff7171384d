// Test-only: a stored lock holder with the given fencing number and lease end (0: bound to its
// connection), for the lock store and service tests.
#ifndef LARDER_SERVER_LOCK_TEST_UTIL_H_
#define LARDER_SERVER_LOCK_TEST_UTIL_H_

#include <cstdint>
#include <string>

#include "server/lock_table.h"

namespace larder::server::testing {

inline LockHolder TestHolder(std::uint64_t fencing, std::int64_t lease_until_ms) {
  LockHolder h;
  h.fencing = fencing;
  h.token = std::to_string(fencing) + "-abc";
  h.owner = "pid 42 on host";
  h.client_id = 7;
  h.acquired_ms = 1000;
  h.lease_until_ms = lease_until_ms;
  h.lease_ms = lease_until_ms == 0 ? -1 : 500;
  return h;
}

}  // namespace larder::server::testing

#endif  // LARDER_SERVER_LOCK_TEST_UTIL_H_
