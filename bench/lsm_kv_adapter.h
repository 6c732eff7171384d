// A kv::Store (include/larder/kv.h) over a LevelDB-shaped engine: LevelDB 1.23 and RocksDB 7.8.3
// have the same names for what the db_bench runner (tools/larder/db_bench.h) uses (DB::Get,
// Write, NewIterator, GetSnapshot; Iterator; WriteBatch; Slice; Status), so one template serves
// both peers of the LSM comparison (bench/lsm_bench_rocksdb.cc, bench/lsm_bench_leveldb.cc).
// Benchmark-only: iterator bounds are not supported (NotSupported), transactions neither.
//
// Api names the engine's types: DB, Iterator, ReadOptions, WriteOptions, WriteBatch, Slice,
// Status, Snapshot. Thread-safety: as the engine's DB (safe for concurrent use); an iterator or
// snapshot by one thread at a time.
#ifndef LARDER_BENCH_LSM_KV_ADAPTER_H_
#define LARDER_BENCH_LSM_KV_ADAPTER_H_

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "larder/kv.h"
#include "larder/status.h"
#include "tools/larder/db_bench.h"

namespace larder::bench {

template <typename Api>
class LevelDbShapedStore final : public kv::Store {
 public:
  using Slice = typename Api::Slice;

  // Takes ownership of `db`.
  explicit LevelDbShapedStore(typename Api::DB* db) : db_(db) {}
  ~LevelDbShapedStore() override { (void)Close(); }

  static Status Convert(const typename Api::Status& s) {
    if (s.ok()) return Status::Ok();
    if (s.IsNotFound()) return Status::NotFound(s.ToString());
    return Status::IOError(s.ToString());
  }
  static Slice S(std::string_view v) { return Slice(v.data(), v.size()); }

  Status Write(const kv::WriteOptions& options, const kv::WriteBatch& batch) override {
    typename Api::WriteBatch b;
    for (const kv::WriteBatch::Entry& e : batch) {
      if (e.op == kv::WriteBatch::Op::kPut) {
        b.Put(S(e.key), S(e.value));
      } else {
        b.Delete(S(e.key));
      }
    }
    typename Api::WriteOptions wo;
    wo.sync = options.sync;
    return Convert(db_->Write(wo, &b));
  }
  Status Put(const kv::WriteOptions& options, std::string_view key,
             std::string_view value) override {
    typename Api::WriteOptions wo;
    wo.sync = options.sync;
    return Convert(db_->Put(wo, S(key), S(value)));
  }
  Status Delete(const kv::WriteOptions& options, std::string_view key) override {
    typename Api::WriteOptions wo;
    wo.sync = options.sync;
    return Convert(db_->Delete(wo, S(key)));
  }
  Status Get(std::string_view key, std::string* value) override {
    return Convert(db_->Get(typename Api::ReadOptions(), S(key), value));
  }
  Result<std::unique_ptr<kv::Iterator>> NewIterator(
      const kv::IteratorOptions& options = {}) override {
    return MakeIterator(options, nullptr);
  }
  Result<std::unique_ptr<kv::Snapshot>> GetSnapshot() override {
    return std::unique_ptr<kv::Snapshot>(new SnapshotImpl(this));
  }
  Status Close() override {
    db_.reset();
    return Status::Ok();
  }

 private:
  class IteratorImpl final : public kv::Iterator {
   public:
    explicit IteratorImpl(typename Api::Iterator* it) : it_(it) {}
    bool Valid() const override { return it_->Valid(); }
    void SeekToFirst() override { it_->SeekToFirst(); }
    void SeekToLast() override { it_->SeekToLast(); }
    void Seek(std::string_view target) override { it_->Seek(S(target)); }
    void SeekForPrev(std::string_view target) override {
      it_->Seek(S(target));
      if (!it_->Valid()) {
        it_->SeekToLast();
      } else if (View(it_->key()) != target) {
        it_->Prev();
      }
    }
    void Next() override { it_->Next(); }
    void Prev() override { it_->Prev(); }
    std::string_view key() const override { return View(it_->key()); }
    std::string_view value() const override { return View(it_->value()); }
    const Status& status() const override {
      status_ = Convert(it_->status());
      return status_;
    }

   private:
    static std::string_view View(const Slice& s) { return {s.data(), s.size()}; }
    std::unique_ptr<typename Api::Iterator> it_;
    mutable Status status_;
  };

  class SnapshotImpl final : public kv::Snapshot {
   public:
    explicit SnapshotImpl(LevelDbShapedStore* store)
        : store_(store), snapshot_(store->db_->GetSnapshot()) {}
    ~SnapshotImpl() override { store_->db_->ReleaseSnapshot(snapshot_); }
    Status Get(std::string_view key, std::string* value) override {
      typename Api::ReadOptions ro;
      ro.snapshot = snapshot_;
      return Convert(store_->db_->Get(ro, S(key), value));
    }
    Result<std::unique_ptr<kv::Iterator>> NewIterator(
        const kv::IteratorOptions& options = {}) override {
      return store_->MakeIterator(options, snapshot_);
    }

   private:
    LevelDbShapedStore* store_;
    const typename Api::Snapshot* snapshot_;
  };

  Result<std::unique_ptr<kv::Iterator>> MakeIterator(const kv::IteratorOptions& options,
                                                     const typename Api::Snapshot* snapshot) {
    if (options.lower_bound || options.upper_bound) {
      return Status::NotSupported("iterator bounds in the benchmark adapter");
    }
    typename Api::ReadOptions ro;
    ro.snapshot = snapshot;
    return std::unique_ptr<kv::Iterator>(new IteratorImpl(db_->NewIterator(ro)));
  }

  std::unique_ptr<typename Api::DB> db_;
};

// main() of a peer's runner: db_bench's flags (tools/larder/db_bench.h) over `engine`.
inline int DbBenchMain(int argc, char** argv, const cli::DbBenchEngine& engine) {
  CLI::App app{"db_bench's workloads over " + engine.name, argv[0]};
  cli::DbBenchFlags flags;
  cli::AddDbBenchFlags(&app, &flags);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return cli::RunDbBench(flags, engine, stdout);
}

}  // namespace larder::bench

#endif  // LARDER_BENCH_LSM_KV_ADAPTER_H_
