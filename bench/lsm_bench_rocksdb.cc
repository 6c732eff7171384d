// lsm_bench_rocksdb: db_bench's workloads (tools/larder/db_bench.h) over RocksDB 7.8.3 (Debian's
// librocksdb), the LSM engine's peer in bench/lsm_compare.py. Options: RocksDB's defaults
// (64 MiB memtable, Snappy on every level, the WAL on) with what larder's defaults also have: a
// 10-bit Bloom filter and a 32 MiB block cache.
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <filesystem>
#include <memory>
#include <string>

#include "lsm_kv_adapter.h"

namespace larder::bench {
namespace {

struct RocksApi {
  using DB = rocksdb::DB;
  using Iterator = rocksdb::Iterator;
  using ReadOptions = rocksdb::ReadOptions;
  using WriteOptions = rocksdb::WriteOptions;
  using WriteBatch = rocksdb::WriteBatch;
  using Slice = rocksdb::Slice;
  using Status = rocksdb::Status;
  using Snapshot = rocksdb::Snapshot;
};

Result<std::unique_ptr<kv::Store>> Open(const std::string& dir, bool) {
  static const std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(32 << 20);
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::Options options;
  options.create_if_missing = true;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, dir, &db);
  if (!s.ok()) return Status::IOError(s.ToString());
  return std::unique_ptr<kv::Store>(new LevelDbShapedStore<RocksApi>(db));
}

}  // namespace
}  // namespace larder::bench

int main(int argc, char** argv) {
  return larder::bench::DbBenchMain(
      argc, argv, {.name = "rocksdb", .open = larder::bench::Open, .stats_json = {}});
}
