// A bolt database's whole content as a value, for the bolt suites' models and dumps, and the
// consistency check every test's leftover bolt files get (tests/util/temp_dir.h).
#ifndef LARDER_TESTS_UTIL_BOLT_TREE_H_
#define LARDER_TESTS_UTIL_BOLT_TREE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "larder/bolt/db.h"
#include "larder/file_system.h"
#include "larder/result.h"

namespace larder::test {

struct BucketContent {
  std::map<std::string, std::string> keys;  // the bucket's own keys (not its sub-buckets)
  std::uint64_t sequence = 0;
  bool operator==(const BucketContent&) const = default;
};
// Bucket path (names joined by '/', so names must not hold '/') -> content. A bucket's parent
// is the path before its last '/'.
using BoltTree = std::map<std::string, BucketContent>;

// Every bucket, key, value and sequence seen by `tx` / a read transaction of `db`.
Status DumpBolt(bolt::Tx& tx, BoltTree* out);
Status DumpBolt(bolt::DB& db, BoltTree* out);
// "" when equal, else the first difference (values compared whole).
std::string DiffBolt(const BoltTree& want, const BoltTree& got);
// A canonical string of `tree` (for tests/util/crash_harness.h).
std::string BoltTreeState(const BoltTree& tree);

// The bucket at `path` ("a/b").
Result<bolt::Bucket> ResolveBucket(bolt::Tx& tx, const std::string& path);
// Removes the bucket at `path` and everything nested under it from `tree`.
void EraseBucket(BoltTree* tree, const std::string& path);

// The consistency check of `db`'s latest commit: one message per problem, empty when sound.
std::vector<std::string> CheckBolt(bolt::DB& db);
// Opens the file read-only (on `fs`, nullptr: the OS) and checks it; an error when it cannot be
// opened.
Result<std::vector<std::string>> CheckBoltFile(const std::string& path, FileSystem* fs = nullptr);

}  // namespace larder::test

#endif  // LARDER_TESTS_UTIL_BOLT_TREE_H_
