// bench_rocksdb: the comparison workloads (workload.h) on RocksDB (Debian's 7.8.3), default
// options (64 MiB memtable, 8 MiB block cache, Snappy) with the WAL on. Batches are WriteBatch
// writes; non-durable workloads write with sync=false, durable ones with sync=true, and
// concurrent durable writers use RocksDB's own group commit. A read transaction is a snapshot;
// one transaction per read is a plain Get.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <filesystem>
#include <string>

#include "workload.h"

namespace larder::bench {
namespace {

void Check(const rocksdb::Status& s, std::string_view what) {
  if (!s.ok()) Die(std::string(what) + ": " + s.ToString());
}

rocksdb::Slice S(std::string_view s) { return {s.data(), s.size()}; }

class RocksReader : public Reader {
 public:
  explicit RocksReader(rocksdb::DB* db) : db_(db) {}
  void Begin() override {
    snapshot_ = db_->GetSnapshot();
    options_.snapshot = snapshot_;
  }
  void End() override {
    db_->ReleaseSnapshot(snapshot_);
    options_.snapshot = nullptr;
  }
  std::int64_t Get(std::string_view key) override {
    rocksdb::Status s = db_->Get(options_, db_->DefaultColumnFamily(), S(key), &value_);
    if (s.IsNotFound()) return -1;
    Check(s, "get");
    return static_cast<std::int64_t>(value_.size());
  }
  std::uint64_t Scan(std::uint64_t* bytes) override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options_));
    const std::uint64_t count = CountEntries(*it, bytes);
    Check(it->status(), "scan");
    return count;
  }

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snapshot_ = nullptr;
  rocksdb::ReadOptions options_;
  rocksdb::PinnableSlice value_;
};

class RocksStore : public Store {
 public:
  explicit RocksStore(const OpenSpec& spec) {
    rocksdb::Options o;
    o.create_if_missing = true;
    rocksdb::DB* db;
    Check(rocksdb::DB::Open(o, spec.dir, &db), "open");
    db_.reset(db);
    write_.sync = spec.durable;
  }
  ~RocksStore() override { Check(db_->Close(), "close"); }
  void BeginWrite() override { batch_.Clear(); }
  void Put(std::string_view key, std::string_view value) override {
    Check(batch_.Put(S(key), S(value)), "put");
  }
  void Delete(std::string_view key) override { Check(batch_.Delete(S(key)), "delete"); }
  void Commit() override { Check(db_->Write(write_, &batch_), "write"); }
  std::unique_ptr<Reader> NewReader() override { return std::make_unique<RocksReader>(db_.get()); }

  class Writer : public DurableWriter {
   public:
    Writer(rocksdb::DB* db, const rocksdb::WriteOptions& w) : db_(db), write_(w) {}
    void Put(std::string_view key, std::string_view value) override {
      Check(db_->Put(write_, S(key), S(value)), "durable put");
    }

   private:
    rocksdb::DB* db_;
    rocksdb::WriteOptions write_;
  };
  std::unique_ptr<DurableWriter> NewDurableWriter() override {
    return std::make_unique<Writer>(db_.get(), write_);
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::WriteOptions write_;
  rocksdb::WriteBatch batch_;
};

std::unique_ptr<Store> Open(const OpenSpec& spec) {
  std::filesystem::create_directories(spec.dir);
  return std::make_unique<RocksStore>(spec);
}

}  // namespace
}  // namespace larder::bench

int main(int argc, char** argv) {
  return larder::bench::RunnerMain(argc, argv, "rocksdb", larder::bench::Open);
}
