// Background work of the keyspace, in bounded steps (ActiveExpireCycle runs them with the
// execution lock held, so each step must stay short):
//   - active expiry: the expiry index of each live database, oldest first, up to now;
//   - dead collection versions ("g" records: a deleted or overwritten collection of more than
//     kInlineDropMembers members): their members deleted, then the record;
//   - dead physical databases ("d" records: FLUSHDB, FLUSHALL): their keys, members, expiry
//     entries and count record deleted, then the record.
// A unit of work is about one kv delete (an expired key with up to kInlineDropMembers members
// counts as one); a step does at most `budget` units, plus at most kInlineDropMembers for the
// last key it expires.
//
// Thread-safety: as KeyspaceState.
#ifndef LARDER_SERVER_RECLAIM_H_
#define LARDER_SERVER_RECLAIM_H_

#include <cstdint>

#include "larder/result.h"
#include "server/keyspace_state.h"

namespace larder::server {

// Deletes expired keys (reported to the observer, counted in expired_keys); returns how many
// index entries it handled.
Result<std::uint64_t> ExpireStep(KeyspaceState& state, std::uint64_t budget);
// Reclaims dead versions, then dead databases; returns the units done.
Result<std::uint64_t> ReclaimStep(KeyspaceState& state, std::uint64_t budget);

}  // namespace larder::server

#endif  // LARDER_SERVER_RECLAIM_H_
