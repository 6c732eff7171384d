// bench_larder: the comparison workloads (workload.h) on LarderDB's bolt engine, one bucket,
// default options (fill percent 0.5, as bbolt), no_sync unless the workload is durable.
// Durable concurrent writers use DB::Batch (group commit).
#include <filesystem>

#include "larder/bolt/db.h"
#include "workload.h"

namespace larder::bench {
namespace {

using bolt::Bucket;
using bolt::DB;
using bolt::Tx;

void Check(const Status& s, std::string_view what) {
  if (!s.ok()) Die(std::string(what) + ": " + s.ToString());
}

template <typename T>
T Take(Result<T> r, std::string_view what) {
  if (!r.ok()) Die(std::string(what) + ": " + r.status().ToString());
  return std::move(*r);
}

constexpr std::string_view kBucket = "bench";

class LarderReader : public Reader {
 public:
  explicit LarderReader(DB* db) : db_(db) {}
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

class LarderStore : public Store {
 public:
  explicit LarderStore(std::unique_ptr<DB> db) : db_(std::move(db)) {
    Check(db_->Update([](Tx& tx) { return tx.CreateBucketIfNotExists(kBucket).status(); }),
          "create bucket");
  }
  ~LarderStore() override { Check(db_->Close(), "close"); }
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
  std::unique_ptr<Reader> NewReader() override { return std::make_unique<LarderReader>(db_.get()); }

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
  bool batch_ = false;

 private:
  std::unique_ptr<DB> db_;
  std::unique_ptr<Tx> tx_;
  std::optional<Bucket> bucket_;
};

std::unique_ptr<Store> Open(const OpenSpec& spec) {
  std::filesystem::create_directories(spec.dir);
  bolt::Options o;
  o.no_sync = !spec.durable;
  auto store = std::make_unique<LarderStore>(Take(DB::Open(spec.dir + "/larder.db", o), "open"));
  store->batch_ = spec.writer_threads > 1;
  return store;
}

}  // namespace
}  // namespace larder::bench

int main(int argc, char** argv) {
  return larder::bench::RunnerMain(argc, argv, "larder", larder::bench::Open);
}
