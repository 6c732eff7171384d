// The bolt engine behind the engine-neutral kv::Store (include/larder/kv.h): one bucket of a
// bolt database holds the store's keys.
//
//   Snapshot  = a read transaction (it holds the pages it sees until destroyed);
//   Write     = one write transaction through DB::Batch (concurrent writers share a commit);
//   Iterator  = a cursor of a read transaction, clipped to its bounds;
//   Transaction = bolt's one write transaction, the bucket's nodes in memory until Commit
//               (which syncs unless the DB has no_sync, whatever WriteOptions::sync says);
//               it holds bolt's writer lock, so Write and DB::Update wait for it to end;
//   Get       = a recycled read transaction and the reader's Get, copying into the caller's
//               string (no heap allocation when its capacity suffices).
//
// Durability: every Write commits with bolt's two fsyncs whatever WriteOptions::sync says,
// unless the DB was opened with Options::no_sync (then a power loss may lose or damage recent
// commits; a process crash loses nothing).
//
// Sub-buckets nested in the store's bucket (made through the bolt API) are not key-value
// entries: iterators skip them and Get returns Incompatible for their names.
#ifndef LARDER_BOLT_KV_H_
#define LARDER_BOLT_KV_H_

#include <memory>
#include <string>
#include <string_view>

#include "larder/bolt/db.h"
#include "larder/bolt/options.h"
#include "larder/kv.h"
#include "larder/result.h"

namespace larder::bolt {

// The bucket a store uses unless told otherwise.
inline constexpr std::string_view kDefaultKVBucket = "kv";

// Opens (creating) the database at `path` and its bucket `bucket` (created when absent unless
// options.read_only; a read-only store over a missing bucket reads as empty). The store owns
// the DB. Errors: those of DB::Open, and InvalidArgument for an empty bucket name.
Result<std::unique_ptr<kv::Store>> OpenKV(const std::string& path, const Options& options = {},
                                          std::string_view bucket = kDefaultKVBucket);

// A store over bucket `bucket` of an open database, created when absent unless the database
// is read-only. Does not own `db`, which must outlive the store; other users may share the DB
// (its other buckets, or this one through the bolt API: the store sees their commits).
Result<std::unique_ptr<kv::Store>> NewKVStore(DB* db, std::string_view bucket = kDefaultKVBucket);

}  // namespace larder::bolt

#endif  // LARDER_BOLT_KV_H_
