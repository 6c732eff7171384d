// bench_larder: the comparison workloads (workload.h) on LarderDB's bolt engine through the
// engine-neutral interface (include/larder/kv.h, the bolt adapter bolt::OpenKV): one bucket,
// default options (fill percent 0.5, as bbolt), no_sync unless the workload is durable. A batch
// is one kv::WriteBatch written at Commit; durable writers Put one entry each (the adapter
// group-commits concurrent ones through DB::Batch); a reader is a kv::Snapshot.
//
// bench_larder_bolt is built from this file with LARDER_BENCH_BOLT_API: the same workloads on
// bolt's own API (Tx, Bucket, Cursor), the baseline that shows what the kv layer costs
// (docs/benchmarks.md). Every error stops the run (Die) with its Status.
#include <filesystem>
#include <optional>

#include "larder/bolt/db.h"
#include "larder/bolt/kv.h"
#include "larder/kv.h"
#include "workload.h"

namespace larder::bench {
namespace {

void Check(const Status& s, std::string_view what) {
  if (!s.ok()) Die(std::string(what) + ": " + s.ToString());
}

template <typename T>
T Take(Result<T> r, std::string_view what) {
  if (!r.ok()) Die(std::string(what) + ": " + r.status().ToString());
  return std::move(*r);
}

constexpr std::string_view kBucket = "bench";

std::string DbPath(const OpenSpec& spec) {
  std::filesystem::create_directories(spec.dir);
  return spec.dir + "/larder.db";
}

bolt::Options DbOptions(const OpenSpec& spec) {
  bolt::Options o;
  o.no_sync = !spec.durable;
  return o;
}

// --- Through kv.h ---

class KvReader : public Reader {
 public:
  explicit KvReader(kv::Store* store) : store_(store) {}
  void Begin() override { snapshot_ = Take(store_->GetSnapshot(), "snapshot"); }
  void End() override { snapshot_.reset(); }
  std::int64_t Get(std::string_view key) override {
    std::string_view value;  // a view, as LMDB's and bolt's runners read (no copy)
    Status s = snapshot_->GetView(key, &value);
    if (s.IsNotFound()) return -1;
    Check(s, "get");
    return static_cast<std::int64_t>(value.size());
  }
  std::uint64_t Scan(std::uint64_t* bytes) override {
    std::unique_ptr<kv::Iterator> it = Take(snapshot_->NewIterator(), "iterator");
    const std::uint64_t count = CountEntries(*it, bytes);
    Check(it->status(), "scan");
    return count;
  }

 private:
  kv::Store* store_;
  std::unique_ptr<kv::Snapshot> snapshot_;
};

class KvStore : public Store {
 public:
  KvStore(std::unique_ptr<kv::Store> store, bool durable)
      : store_(std::move(store)), options_{durable} {}
  ~KvStore() override { Check(store_->Close(), "close"); }
  void BeginWrite() override { batch_.Clear(); }
  void Put(std::string_view key, std::string_view value) override { batch_.Put(key, value); }
  void Delete(std::string_view key) override { batch_.Delete(key); }
  void Commit() override { Check(store_->Write(options_, batch_), "commit"); }
  std::unique_ptr<Reader> NewReader() override { return std::make_unique<KvReader>(store_.get()); }

  class Writer : public DurableWriter {
   public:
    explicit Writer(kv::Store* store) : store_(store) {}
    void Put(std::string_view key, std::string_view value) override {
      Check(store_->Put(kv::WriteOptions{}, key, value), "durable put");
    }

   private:
    kv::Store* store_;
  };
  std::unique_ptr<DurableWriter> NewDurableWriter() override {
    return std::make_unique<Writer>(store_.get());
  }

 private:
  std::unique_ptr<kv::Store> store_;
  kv::WriteOptions options_;
  kv::WriteBatch batch_;
};

[[maybe_unused]] std::unique_ptr<Store> OpenKv(const OpenSpec& spec) {
  return std::make_unique<KvStore>(
      Take(bolt::OpenKV(DbPath(spec), DbOptions(spec), kBucket), "open"), spec.durable);
}

// --- Through bolt's own API ---

using bolt::Bucket;
using bolt::DB;
using bolt::Tx;

class BoltReader : public Reader {
 public:
  explicit BoltReader(DB* db) : db_(db) {}
  void Begin() override {
    tx_ = Take(db_->Begin(false), "begin read");
    bucket_ = Take(tx_->GetBucket(kBucket), "bucket");
  }
  void End() override {
    Check(tx_->Rollback(), "end read");
    tx_.reset();
  }
  std::int64_t Get(std::string_view key) override {
    auto v = bucket_->Get(key);
    if (!v.ok()) {
      if (v.status().IsNotFound()) return -1;
      Die("get: " + v.status().ToString());
    }
    return static_cast<std::int64_t>(v->size());
  }
  std::uint64_t Scan(std::uint64_t* bytes) override {
    bolt::Cursor c = bucket_->NewCursor();
    std::uint64_t count = 0;
    for (c.First(); c.Valid(); c.Next()) {
      ++count;
      *bytes += c.value().size();
    }
    Check(c.status(), "scan");
    return count;
  }

 private:
  DB* db_;
  std::unique_ptr<Tx> tx_;
  std::optional<Bucket> bucket_;
};

class BoltStore : public Store {
 public:
  BoltStore(std::unique_ptr<DB> db, bool batch) : db_(std::move(db)), batch_(batch) {
    Check(db_->Update([](Tx& tx) { return tx.CreateBucketIfNotExists(kBucket).status(); }),
          "create bucket");
  }
  ~BoltStore() override { Check(db_->Close(), "close"); }
  void BeginWrite() override {
    tx_ = Take(db_->Begin(true), "begin write");
    bucket_ = Take(tx_->GetBucket(kBucket), "bucket");
  }
  void Put(std::string_view key, std::string_view value) override {
    Check(bucket_->Put(key, value), "put");
  }
  void Delete(std::string_view key) override { Check(bucket_->Delete(key), "delete"); }
  void Commit() override {
    Check(tx_->Commit(), "commit");
    tx_.reset();
  }
  std::unique_ptr<Reader> NewReader() override { return std::make_unique<BoltReader>(db_.get()); }

  class Writer : public DurableWriter {
   public:
    Writer(DB* db, bool batch) : db_(db), batch_(batch) {}
    void Put(std::string_view key, std::string_view value) override {
      auto fn = [&](Tx& tx) -> Status {
        LARDER_ASSIGN_OR_RETURN(Bucket b, tx.GetBucket(kBucket));
        return b.Put(key, value);
      };
      Check(batch_ ? db_->Batch(fn) : db_->Update(fn), "durable put");
    }

   private:
    DB* db_;
    bool batch_;
  };
  std::unique_ptr<DurableWriter> NewDurableWriter() override {
    return std::make_unique<Writer>(db_.get(), batch_);
  }

 private:
  std::unique_ptr<DB> db_;
  bool batch_;  // durable writers group-commit (several writer threads)
  std::unique_ptr<Tx> tx_;
  std::optional<Bucket> bucket_;
};

[[maybe_unused]] std::unique_ptr<Store> OpenBolt(const OpenSpec& spec) {
  return std::make_unique<BoltStore>(Take(DB::Open(DbPath(spec), DbOptions(spec)), "open"),
                                     spec.writer_threads > 1);
}

}  // namespace
}  // namespace larder::bench

int main(int argc, char** argv) {
#ifdef LARDER_BENCH_BOLT_API
  return larder::bench::RunnerMain(argc, argv, "larder-bolt", larder::bench::OpenBolt);
#else
  return larder::bench::RunnerMain(argc, argv, "larder", larder::bench::OpenKv);
#endif
}
