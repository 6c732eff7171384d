// The lock table's durable part (docs/formats/larderd.md, "Service records: the lock table"):
// every holder and the fencing counter, kept as service records of the keyspace
// (Keyspace::PutSystemRecord), so a grant, a release and a write-release are logged in the
// same write-ahead log record as the batch's other writes: a reply that says "granted" or
// "released" is sent only once that record is durable, and a kill -9 leaves either the state
// before the batch or after it.
//
//   lock:fencing     -> u64be: the last fencing number given (written with every grant)
//   lock:h:<name>    -> a holder (EncodeHolder): present exactly while the lock is held
//
// Waiters are not stored: they are connections, and connections do not survive a restart.
//
// Thread-safety: as the keyspace's batch calls (the execution lock, inside a batch).
#ifndef LARDER_SERVER_LOCK_STORE_H_
#define LARDER_SERVER_LOCK_STORE_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "larder/result.h"
#include "larder/status.h"
#include "server/keyspace.h"
#include "server/lock_table.h"

namespace larder::server {

// version 1, then varints fencing, client_id, acquired_ms, lease_until_ms, lease_ms + 1, then
// the token length-prefixed, then the owner (the rest).
std::string EncodeHolder(const LockHolder& h);
bool DecodeHolder(std::string_view bytes, LockHolder* h);

// A grant: the holder and the fencing counter.
Status StoreGrant(Keyspace& keyspace, std::string_view name, const LockHolder& h,
                  std::uint64_t last_fencing);
// A holder changed (EXTEND).
Status StoreHolder(Keyspace& keyspace, std::string_view name, const LockHolder& h);
// A release.
Status StoreRelease(Keyspace& keyspace, std::string_view name);

struct StoredLocks {
  std::uint64_t last_fencing = 0;
  std::vector<std::pair<std::string, LockHolder>> holders;  // by name
};
// Everything stored (at start-up). A record that does not decode is an error naming it. A
// keyspace without service records (NotSupported: test fakes) reads as empty.
Result<StoredLocks> LoadLocks(Keyspace& keyspace);

}  // namespace larder::server

#endif  // LARDER_SERVER_LOCK_STORE_H_
