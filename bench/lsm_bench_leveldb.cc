// lsm_bench_leveldb: db_bench's workloads (tools/larder/db_bench.h) over LevelDB 1.23 (Debian's
// libleveldb), the LSM engine's other peer in bench/lsm_compare.py. Options: LevelDB's defaults
// (Snappy, 2 MiB tables) with a 64 MiB memtable, a 10-bit Bloom filter and a 32 MiB block cache,
// as larder's defaults have.
#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/write_batch.h>

#include <memory>
#include <string>

#include "lsm_kv_adapter.h"

namespace larder::bench {
namespace {

struct LevelApi {
  using DB = leveldb::DB;
  using Iterator = leveldb::Iterator;
  using ReadOptions = leveldb::ReadOptions;
  using WriteOptions = leveldb::WriteOptions;
  using WriteBatch = leveldb::WriteBatch;
  using Slice = leveldb::Slice;
  using Status = leveldb::Status;
  using Snapshot = leveldb::Snapshot;
};

Result<std::unique_ptr<kv::Store>> Open(const std::string& dir, bool) {
  // Shared by every open of the run; they live as long as the process.
  static leveldb::Cache* const cache = leveldb::NewLRUCache(32 << 20);
  static const leveldb::FilterPolicy* const filter = leveldb::NewBloomFilterPolicy(10);
  leveldb::Options options;
  options.create_if_missing = true;
  options.write_buffer_size = 64 << 20;
  options.block_cache = cache;
  options.filter_policy = filter;
  leveldb::DB* db = nullptr;
  leveldb::Status s = leveldb::DB::Open(options, dir, &db);
  if (!s.ok()) return Status::IOError(s.ToString());
  return std::unique_ptr<kv::Store>(new LevelDbShapedStore<LevelApi>(db));
}

}  // namespace
}  // namespace larder::bench

int main(int argc, char** argv) {
  return larder::bench::DbBenchMain(
      argc, argv, {.name = "leveldb", .open = larder::bench::Open, .stats_json = {}});
}
